"""Command line: ``tamiyo-tui SCENARIO``, ``run``, ``check``, ``review``, ``train-bc``, ``agree``, ``sweep``,
``query``, ``export``, ``diff``.

This module imports neither torch nor Textual at import time, so ``--help`` and ``--version`` answer
instantly; each command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from tamiyo_tui import __version__
from tamiyo_tui.device_spec import parse_device_spec
from tamiyo_tui.domain.constants import MAX_SEED  # a module without imports: --help stays light
from tamiyo_tui.errors import EXIT_BAD_INPUT, InputError

EXIT_OK, EXIT_FAILED = 0, 1
COMMANDS = ("run", "check", "review", "train-bc", "agree", "lessons", "policies", "sweep")
COMMANDS += ("query", "export", "diff", "scenario-from")  # over recorded decisions: records and telemetry

DESCRIPTION = """\
Inspect Tamiyo, the seed-lifecycle policy, decision by decision.

commands:
  tamiyo-tui SCENARIO [options]           open the interactive inspector (the main job)
  tamiyo-tui run SCENARIO [options]       run headless, stream decision records, print a summary
  tamiyo-tui check SCENARIO [...]         run each scenario's `expect` checks (exit 1 on a failure)
  tamiyo-tui review FILE.jsonl            a recorded run read-only, a sweep's findings, or esper-lite telemetry
  tamiyo-tui lessons                      the shipped lessons: number, name, what each teaches
  tamiyo-tui policies                     the policies --policy takes by name
  tamiyo-tui train-bc [options]           train the LSTM to imitate the heuristic (policies/lstm-bc.pt)
  tamiyo-tui agree POLICY_A POLICY_B [SCENARIO ...] [--generated 200000-200299]
                                          how often two policies choose the same option, head by head
  tamiyo-tui sweep SCENARIO [...] [--seeds 0-1023]
                                          many episodes batched; the decisions worth a look, ranked
  tamiyo-tui query FILE [...] "SQL"      SQL over the `decisions` view of records and esper-lite telemetry
  tamiyo-tui export FILE [...] --parquet OUT_DIR
                                          that view as Parquet, by run and episode (DuckDB, Spark)
  tamiyo-tui diff A B                     two recorded runs compared decision by decision (exit 1: they differ)
  tamiyo-tui scenario-from TELEMETRY --env E --episode K
                                          a recorded esper-lite episode as a scenario that replays it

SCENARIO is a scenario file, or a shipped lesson by number (01) or name (first-seed).
Run `tamiyo-tui COMMAND --help` for a command's options."""

EPILOG = """\
exit codes: 0 ok, 1 a check failed, 2 bad input (the message names file, line and field).
examples:
  tamiyo-tui 01
  tamiyo-tui prune-needs-hold --policy lstm-bc --deterministic
  tamiyo-tui run 01 --out decisions.jsonl
  tamiyo-tui my-scenario.yaml --policy my-policy.yaml"""
SCENARIO_HELP = "a scenario file, or a shipped lesson by number (01) or name (first-seed); see `tamiyo-tui lessons`"


class UsageError(Exception):
    """Bad input: printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse with the CLI's error contract: one ``tamiyo-tui: error:`` line and exit code 2, not a usage
    block; the line points at the command's ``--help`` instead."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see: {self.prog} --help)")


def _integer(text: str, rule: str, minimum: int, maximum: int | None = None) -> int:
    """``text`` as an integer in [minimum, maximum]; anything else is argparse's error naming the rule."""
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{rule}, got {text!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        raise argparse.ArgumentTypeError(f"{rule}, got {text!r}")
    return value


# argparse names the option; the rule and the value come from these (never "invalid <function> value").
def positive_int(text: str) -> int:
    return _integer(text, "must be an integer ≥ 1", 1)


def non_negative_int(text: str) -> int:
    return _integer(text, "must be an integer ≥ 0", 0)


SEED_RULE = "must be an integer ≥ 0 and below 2**63"


def number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    return value


def seed(text: str) -> int:
    """A seed, by the same rule as a scenario's ``seed`` key: every RNG the session seeds accepts it."""
    return _integer(text, SEED_RULE, 0, MAX_SEED)


def _add_policy_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy",
        metavar="NAME|PATH",
        help="heuristic, lstm, a shipped policy by name (lstm-bc, lstm-untrained; see `tamiyo-tui policies`), "
        "a policy file (*.yaml) or a checkpoint (*.pt); default: the scenario's `policy` key",
    )
    parser.add_argument(
        "--device",
        default="auto",
        metavar="DEVICE",
        help="auto (cuda when present, else cpu), cpu, cuda or cuda:N (default: auto)",
    )
    parser.add_argument("--seed", type=seed, metavar="N", help="sampling seed (default: the scenario's `seed`)")
    parser.add_argument(
        "--deterministic", action="store_true", help="take each head's most likely option instead of sampling"
    )


def build_parser() -> Parser:
    parser = Parser(
        prog="tamiyo-tui",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tamiyo-tui {__version__}")
    parser.add_argument("scenario", metavar="SCENARIO", help=SCENARIO_HELP)
    _add_policy_options(parser)
    parser.add_argument(
        "--at",
        type=positive_int,
        metavar="EPOCH",
        help="open at this epoch's decision, replayed exactly (the commands `tamiyo-tui sweep` prints)",
    )
    return parser


def build_command_parser(command: str) -> Parser:
    if command == "run":
        parser = Parser(prog="tamiyo-tui run", description="Run a scenario headless and print a summary table.")
        parser.add_argument("scenario", metavar="SCENARIO", help=SCENARIO_HELP)
        _add_policy_options(parser)
        parser.add_argument(
            "--steps", type=positive_int, metavar="N", help="stop after N decisions (default: whole episode)"
        )
        parser.add_argument("--out", metavar="FILE.jsonl", help="stream decision records to this JSONL file")
        return parser
    if command == "check":
        parser = Parser(
            prog="tamiyo-tui check",
            description="Run each scenario's `expect` block headless; one line per failed expectation.",
        )
        parser.add_argument("scenarios", nargs="+", metavar="SCENARIO", help=SCENARIO_HELP)
        parser.add_argument("--device", default="cpu", metavar="DEVICE", help="device for LSTM policies (default: cpu)")
        return parser
    if command == "train-bc":
        parser = Parser(
            prog="tamiyo-tui train-bc",
            description="Play the heuristic on procedurally generated scenarios (every grid up to 3 × 3, "
            "deterministic and sampled teacher runs) and train the LSTM policy to imitate it (behaviour cloning), "
            "then calibrate it on validation seeds; writes a checkpoint with its training config and data hash. "
            "The shipped lessons are held out. See docs/policies.md.",
        )
        parser.add_argument(
            "scenarios",
            nargs="*",
            metavar="SCENARIO",
            help="scenario files to add to the training data, varied per seed (default: none)",
        )
        parser.add_argument("--out", default="policies/lstm-bc.pt", metavar="FILE.pt", help="default: %(default)s")
        parser.add_argument(
            "--epochs", type=positive_int, metavar="N", help="training epochs (default: the trainer's, 24)"
        )
        parser.add_argument(
            "--episodes", type=positive_int, metavar="N", help="generated training episodes (default: 12000)"
        )
        parser.add_argument("--seed", type=seed, default=0, metavar="N", help="initialization and shuffling seed")
        parser.add_argument(
            "--quick", action="store_true", help="a seconds-long smoke run: 6 generated episodes, 2 epochs"
        )
        return parser
    if command == "agree":
        parser = Parser(
            prog="tamiyo-tui agree",
            description="Run the scenarios with POLICY_A acting and POLICY_B deciding in shadow; print how often "
            "they choose the same option per head, and the states where they differ.",
        )
        parser.add_argument("policy_a", metavar="POLICY_A", help="the acting policy (name, policy file or checkpoint)")
        parser.add_argument("policy_b", metavar="POLICY_B", help="the policy deciding in shadow")
        parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help=SCENARIO_HELP)
        parser.add_argument(
            "--seeds",
            metavar="RANGE",
            help="variation seeds, e.g. 1000-1019 or 3,7 (default: each scenario as written)",
        )
        parser.add_argument(
            "--generated",
            metavar="RANGE",
            help="also play these generated scenarios, e.g. 200000-200299 (held out from training: 200000 on)",
        )
        parser.add_argument("--device", default="cpu", metavar="DEVICE", help="device for LSTM policies (default: cpu)")
        parser.add_argument(
            "--show", type=non_negative_int, default=15, metavar="N", help="differing states to list (default: 15)"
        )
        parser.add_argument("--markdown", metavar="FILE.md", help="also write the report as Markdown to this file")
        return parser
    if command == "sweep":
        return _sweep_parser()
    if command in ("query", "export", "diff"):
        from tamiyo_tui.query.options import build_parser as build_query_parser  # argparse only: --help stays light

        return build_query_parser(command, Parser, positive=positive_int, non_negative=non_negative_int)
    if command == "scenario-from":
        return _scenario_from_parser()
    if command == "lessons":
        return Parser(prog="tamiyo-tui lessons", description="List the shipped lessons and what each teaches.")
    if command == "policies":
        return Parser(prog="tamiyo-tui policies", description="List the policies --policy takes by name.")
    parser = Parser(
        prog="tamiyo-tui review",
        description="Open a recorded run read-only (a file of `run --out` or `e`), the findings of a sweep "
        "(`sweep --out`: a list in which enter opens the inspector at the finding), or esper-lite telemetry (an "
        "events.jsonl or a --telemetry-dir folder of one run: its decisions in the inspector's panels).",
    )
    parser.add_argument("records", metavar="FILE.jsonl")
    parser.add_argument(
        "--at",
        type=positive_int,
        metavar="EPOCH",
        help="open at the first decision of this epoch (the command `tamiyo-tui diff` prints)",
    )
    parser.add_argument("--episode", type=non_negative_int, metavar="K", help="telemetry: open at this episode_idx")
    return parser


def _sweep_parser() -> Parser:
    from tamiyo_tui.session.findings import Thresholds  # pure, and only this command's help needs it

    defaults = Thresholds()
    parser = Parser(
        prog="tamiyo-tui sweep",
        description="Run every (scenario, policy, seed) episode with the batched stack (one batched decision "
        "per epoch for every live episode), then list the decisions worth a look, ranked, each with the "
        "command that opens the inspector at it. See docs/sweep.md.",
    )
    parser.add_argument("sweep_scenarios", nargs="+", metavar="SCENARIO", help=SCENARIO_HELP)
    parser.add_argument(
        "--seeds", metavar="RANGE", help="sampling seeds, e.g. 0-1023 or 3,7 (default: each scenario's own `seed`)"
    )
    parser.add_argument(
        "--policy",
        action="append",
        metavar="NAME|PATH",
        help="a policy as `run` takes it; repeat it to sweep several (default: each scenario's `policy` key)",
    )
    parser.add_argument(
        "--device", default="auto", metavar="DEVICE", help="auto (cuda when present, else cpu), cpu, cuda or cuda:N"
    )
    parser.add_argument(
        "--deterministic", action="store_true", help="take each head's most likely option instead of sampling"
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        metavar="N",
        help="processes on cpu, each batching its share of the episodes (default: 1); on cuda one process",
    )
    parser.add_argument("--out", metavar="FILE.jsonl", help="write every finding to this sweep file")
    parser.add_argument(
        "--top", type=non_negative_int, default=20, metavar="N", help="findings the table shows (default: 20)"
    )
    for option, default, what in (
        ("--entropy-above", defaults.high_entropy, "flag an op head whose normalized entropy reaches this"),
        ("--probability-below", defaults.low_probability, "flag a sampled option less likely than this"),
        ("--value-drop", defaults.value_drop, "flag a value estimate that falls by this from one decision"),
    ):
        parser.add_argument(option, type=number, default=default, metavar="X", help=f"{what} (default: {default:g})")
    return parser


def _scenario_from_parser() -> Parser:
    parser = Parser(
        prog="tamiyo-tui scenario-from",
        description="Write a scenario that replays one episode of esper-lite telemetry (docs/scenario-from.md).",
    )
    parser.add_argument("telemetry", metavar="TELEMETRY", help="an events.jsonl, or a folder of one run")
    for option, name, what in (("--env", "E", "the environment (env_id)"), ("--episode", "K", "episode_idx")):
        parser.add_argument(option, type=non_negative_int, required=True, metavar=name, help=what)
    parser.add_argument("--out", metavar="FILE.yaml", help="default: <run>-env<E>-ep<K>.yaml here; - for stdout")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list and args_list[0] in COMMANDS:
            command = args_list[0]
            args = build_command_parser(command).parse_args(args_list[1:])
        else:
            command = "tui"
            args = build_parser().parse_args(args_list)
        return _dispatch(command, args)
    except UsageError as err:
        print(f"tamiyo-tui: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("tamiyo-tui: interrupted", file=sys.stderr)
        return 130


def _dispatch(command: str, args: argparse.Namespace) -> int:
    try:
        if getattr(args, "device", None) is not None:
            parse_device_spec(args.device)  # a typo is reported now, not after torch has loaded
        if command in ("lessons", "policies"):
            from tamiyo_tui.session.catalog import lessons_command, policies_command

            return lessons_command() if command == "lessons" else policies_command()
        _resolve_scenarios(command, args)
        if command == "run":
            from tamiyo_tui.session.headless import run_command

            return run_command(args)
        if command == "check":
            from tamiyo_tui.session.headless import check_command

            return check_command(args)
        if command == "train-bc":
            from tamiyo_tui.training.bc import train_bc_command

            return train_bc_command(args)
        if command == "agree":
            from tamiyo_tui.training.agree_command import agree_command
            from tamiyo_tui.training.agreement import parse_seeds

            for option, text in (("--seeds", args.seeds), ("--generated", args.generated)):
                for value in parse_seeds(text, option) if text is not None else ():
                    if value > MAX_SEED:
                        raise UsageError(f"{option}: {value}: {SEED_RULE}")

            return agree_command(args)
        if command == "sweep":
            from tamiyo_tui.sweep.options import sweep_plan

            sweep_plan(args)  # every option checked before torch loads
            from tamiyo_tui.sweep.command import sweep_command

            return sweep_command(args)
        if command == "query":
            from tamiyo_tui.query.command import query_command

            return query_command(args)
        if command == "export":
            from tamiyo_tui.query.export import export_command

            return export_command(args)
        if command == "diff":
            from tamiyo_tui.query.diff_command import diff_command

            return diff_command(args)
        if command == "scenario-from":
            from tamiyo_tui.telemetry.scenario_from import scenario_from_command

            return scenario_from_command(args)
        if command == "review":
            from tamiyo_tui.tui.launch import review_command

            return review_command(args)
        from tamiyo_tui.tui.launch import inspect_command

        return inspect_command(args)
    except InputError as err:
        raise UsageError(str(err)) from None


def _resolve_scenarios(command: str, args: argparse.Namespace) -> None:
    """Scenario arguments → files: a path that exists, else a shipped lesson by number or name."""
    from tamiyo_tui.shipped import scenario_path

    if getattr(args, "scenario", None) is not None:
        args.scenario = scenario_path(args.scenario)
    if getattr(args, "scenarios", None) is not None:
        args.scenarios = [scenario_path(text) for text in args.scenarios]
    if command == "train-bc":
        folder = os.path.dirname(args.out) or "."
        if not os.path.isdir(folder):  # found now, not after minutes of training
            raise UsageError(f"--out {args.out}: the folder {folder} does not exist")


if __name__ == "__main__":
    raise SystemExit(main())
