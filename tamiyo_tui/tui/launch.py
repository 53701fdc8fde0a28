"""``tamiyo-tui SCENARIO`` and ``tamiyo-tui review FILE`` (decisions or a sweep): check the input, build the
app, run it.

Bad input found here (scenario, policy file, record file) raises an ``InputError`` before the app starts,
so the CLI prints it as one line; bad input found once torch loads (a checkpoint, a device) ends the app
and is raised as the same kind of error once the terminal is restored. Only pure modules are imported on
the way to the first frame; torch is imported later, on the engine thread.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tamiyo_tui.errors import InputError
from tamiyo_tui.session.findings import Finding, is_sweep_file, read_sweep_file
from tamiyo_tui.session.preview import open_preview
from tamiyo_tui.session.review import open_review
from tamiyo_tui.session.telemetry_review import TelemetryReview, is_telemetry
from tamiyo_tui.shipped import scenario_path
from tamiyo_tui.tui.app import RUN_INTERVAL_S, TamiyoApp
from tamiyo_tui.tui.screens.findings import FindingsApp
from tamiyo_tui.tui.telemetry_app import TelemetryApp

EXIT_OK = 0


def export_path_for(scenario_path: str, directory: Path | None = None) -> Path:
    """Where ``e`` writes: ``<scenario-stem>-decisions.jsonl`` in the working directory."""
    return (directory or Path.cwd()) / f"{Path(scenario_path).stem}-decisions.jsonl"


def build_live_app(
    scenario_path: str,
    *,
    policy: str | None = None,
    device: str = "auto",
    seed: int | None = None,
    deterministic: bool = False,
    export_dir: Path | None = None,
    run_interval: float = RUN_INTERVAL_S,
    at: int | None = None,
) -> TamiyoApp:
    """The scenario and the policy file are read here, once: the first frame and, on the engine thread, the
    session start from what was read (positioned at epoch ``at``'s decision when given)."""
    preview = open_preview(scenario_path, policy=policy, device=device, seed=seed, deterministic=deterministic, at=at)
    return TamiyoApp(
        preview.first_frame(),
        load=preview,
        export_path=export_path_for(scenario_path, export_dir),
        run_interval=run_interval,
    )


def build_review_app(records_path: str, at: int | None = None) -> TamiyoApp:
    """The recorded run, at the first record of epoch ``at`` when given (in file order: the current branch
    comes first, so that is its decision, the one ``tamiyo-tui diff`` compared)."""
    inspector = open_review(records_path)
    if at is not None:
        epochs = [record.epoch for record in inspector.run.decisions]
        if at not in epochs:
            raise InputError(
                f"--at {at}: {records_path} has no decision at epoch {at} (its epochs: {min(epochs)}–{max(epochs)})"
            )
        inspector.go_to(epochs.index(at))
    return TamiyoApp(inspector.frame(), inspector=inspector)


def run_app(app: TamiyoApp) -> int:
    """Run until quit; non-zero when the app stopped on an error (Textual has printed it).

    A live run whose policy failed to load exits the app; its message is raised here as an ``InputError``,
    once the terminal is restored, so the CLI prints the same one line as ``run`` and exits with code 2."""
    app.run()
    if app.load_error is not None:
        raise InputError(app.load_error)
    return app.return_code or EXIT_OK


def inspect_command(args: argparse.Namespace) -> int:
    return run_app(
        build_live_app(
            args.scenario,
            policy=args.policy,
            device=args.device,
            seed=args.seed,
            deterministic=args.deterministic,
            at=args.at,
        )
    )


def review_command(args: argparse.Namespace) -> int:
    if is_telemetry(Path(args.records)):
        TelemetryApp(TelemetryReview(Path(args.records), episode=args.episode, epoch=args.at)).run()
        return EXIT_OK
    if args.episode is not None:
        raise InputError(f"--episode: {args.records} is not esper-lite telemetry; --episode picks a telemetry episode")
    if is_sweep_file(args.records):
        if args.at is not None:
            raise InputError(f"--at: {args.records} is a sweep file; --at opens a record file at an epoch")
        return review_sweep(args.records)
    return run_app(build_review_app(args.records, at=args.at))


def review_sweep(path: str) -> int:
    """The findings list, then the inspector at the finding chosen, then the list again, until q on the list.

    ``review`` takes both kinds of file (told apart by the first line), since both are records to look
    through; a sweep's records are decisions still to be replayed, so choosing one opens a live inspector.
    """
    sweep = read_sweep_file(path)
    if not sweep.findings:
        raise InputError(f"{path}: the sweep found no decision worth a look")
    cursor = 0
    while (chosen := FindingsApp(sweep, path, cursor).run()) is not None:
        cursor = sweep.findings.index(chosen)
        run_app(build_finding_app(chosen))
    return EXIT_OK


def build_finding_app(finding: Finding, export_dir: Path | None = None) -> TamiyoApp:
    """The inspector at a finding's decision: what its command (``Finding.command``) opens."""
    return build_live_app(
        scenario_path(finding.scenario),
        policy=finding.policy,
        device=finding.device or "auto",
        seed=finding.seed,
        deterministic=finding.deterministic,
        export_dir=export_dir,
        at=finding.epoch,
    )
