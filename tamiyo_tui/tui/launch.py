"""``tamiyo-tui SCENARIO`` and ``tamiyo-tui review FILE``: check the input, build the app, run it.

Bad input found here (scenario, policy file, record file) raises an ``InputError`` before the app starts,
so the CLI prints it as one line; bad input found once torch loads (a checkpoint, a device) ends the app
and is raised as the same kind of error once the terminal is restored. Only pure modules are imported on
the way to the first frame; torch is imported later, on the engine thread.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tamiyo_tui.errors import InputError
from tamiyo_tui.session.jsonl import RecordFileError, read_run
from tamiyo_tui.session.policy_spec import open_scenario
from tamiyo_tui.tui.app import RUN_INTERVAL_S, TamiyoApp
from tamiyo_tui.tui.engine import LoadRequest
from tamiyo_tui.tui.frames import first_frame
from tamiyo_tui.tui.review import ReviewInspector

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
) -> TamiyoApp:
    scenario, spec = open_scenario(scenario_path, policy=policy, seed=seed)
    first = first_frame(
        scenario, bundle=spec.bundle, policy_id=spec.policy_id, device=device, deterministic=deterministic
    )
    request = LoadRequest(scenario_path, policy, device, seed, deterministic)
    return TamiyoApp(
        first, load=request, export_path=export_path_for(scenario_path, export_dir), run_interval=run_interval
    )


def build_review_app(records_path: str) -> TamiyoApp:
    run = read_run(records_path)
    if not run.decisions:
        raise RecordFileError(f"{records_path}: no decision records to review (only a header)")
    inspector = ReviewInspector(run)
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
            args.scenario, policy=args.policy, device=args.device, seed=args.seed, deterministic=args.deterministic
        )
    )


def review_command(args: argparse.Namespace) -> int:
    return run_app(build_review_app(args.records))
