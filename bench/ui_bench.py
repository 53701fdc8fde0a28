"""UI benchmark: how fast the inspector reacts, starts, and how quiet it is when nobody touches it.

    python bench/ui_bench.py [--presses N] [--runs N] [--idle S] [--quick]

1. Step latency: in-process (``App.run_test`` at 120×40), the time from a key press ("n") to the
   compositor having painted a frame that shows the new epoch, including turning that frame into terminal
   output. Both bundles decide on every step (shadow mode), on a 40-epoch, 3×3-slot scenario with the
   untrained LSTM acting.
2. Cold start: ``tamiyo-tui scenarios/01-first-seed.yaml`` spawned under a pseudo-terminal (120×40);
   the time from spawning to the first frame on the terminal (its status line), and to the policy being
   ready (the heads panel shows the bundle's numbers); beside it, ``python -c "import torch"`` alone.
3. Idle CPU: the same process's CPU time (all threads, from /proc) over a few seconds while paused.

Prints one Rich table (median and spread of each measure), then one PASS or MISS line per target (p95
step ≤ 50 ms, median first frame ≤ 1.5 s, idle near 0 %). ``--quick`` measures a few presses and one
cold start (a smoke test of the script). The exit status is 0 whatever the verdicts: this is a
measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table
from textual._compositor import CompositorUpdate
from textual.pilot import Pilot
from textual.screen import Screen

REPO = Path(__file__).resolve().parents[1]
LESSON = REPO / "scenarios" / "01-first-seed.yaml"
SIZE = (120, 40)

TARGET_STEP_P95_S = 0.050
TARGET_FIRST_FRAME_S = 1.5
TARGET_IDLE_CPU = 0.01  # fraction of one core
QUICK = {"presses": 5, "runs": 1, "idle": 1.0}

# 40 epochs on a 3×3 grid: a longer, wider run than the lessons, so ≥ 30 presses all take a decision.
BENCH_SCENARIO = """\
schema: 1
name: ui bench
description: forty epochs on nine slots
seed: 3
episode_length: 41
slots: {rows: 3, cols: 3}
policy: lstm
host:
  val_accuracy: {start: 40, end: 75, plateau_at: 20, noise: 0.3}
blueprints:
  default: {contribution: 1.5, params: 1000}
initial:
  r0c0: {stage: TRAINING, blueprint: conv_light, epochs_in_stage: 2, epochs_total: 3}
  r1c1: {stage: HOLDING, blueprint: norm, alpha: 1.0, epochs_in_stage: 1, epochs_total: 9}
  r2c2: {stage: EMBARGOED, blueprint: depthwise, epochs_in_stage: 1, epochs_total: 6}
"""


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def s(seconds: float) -> str:
    return f"{seconds:.2f} s"


# --- 1. step latency ------------------------------------------------------------------------------------


async def measure_step_latency(presses: int) -> list[float]:
    from tamiyo_tui.tui.launch import build_live_app

    with tempfile.TemporaryDirectory() as directory:
        scenario = Path(directory) / "ui-bench.yaml"
        scenario.write_text(BENCH_SCENARIO, encoding="utf-8")
        app = build_live_app(str(scenario), device="cpu", export_dir=Path(directory))
        painted: list[tuple[int, float]] = []
        async with app.run_test(size=SIZE) as pilot:
            console = app.console
            display = app._display

            def display_and_record(screen: Screen, renderable: CompositorUpdate | None) -> None:
                display(screen, renderable)
                if renderable is not None and not app._batch_count:
                    # What a real terminal driver would do with the update: turn it into output.
                    renderable.render_segments(console)
                    painted.append((app.frame.epoch, time.perf_counter()))

            app._display = display_and_record
            await wait_until(pilot, lambda: not app.frame.loading and not app.busy)
            latencies = []
            for _ in range(presses):
                target = app.frame.epoch + 1
                painted.clear()
                start = time.perf_counter()
                app.simulate_key("n")
                while not any(epoch == target for epoch, _ in painted):
                    await asyncio.sleep(0.0002)
                latencies.append(next(t for epoch, t in painted if epoch == target) - start)
                await pilot.pause()
    return latencies


async def wait_until(pilot: Pilot[object], condition: Callable[[], bool]) -> None:
    while not condition():
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()


# --- 2. and 3. a real process on a pseudo-terminal ---------------------------------------------------------


def inspector_command() -> list[str]:
    script = Path(sys.executable).parent / "tamiyo-tui"
    if script.is_file():
        return [str(script), str(LESSON)]
    return [sys.executable, "-m", "tamiyo_tui", str(LESSON)]


class PtyRun:
    """One ``tamiyo-tui`` process on a pty; the screen's bytes are scanned for marker text."""

    def __init__(self, command: list[str]) -> None:
        self.start = time.perf_counter()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ["TERM"] = "xterm-256color"
            os.environ.pop("TEXTUAL", None)
            os.execv(command[0], command)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
        self.output = b""

    def wait_for(self, marker: bytes, timeout: float = 60.0) -> float:
        deadline = time.perf_counter() + timeout
        while marker not in self.output:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"{marker!r} never appeared")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    self.output += os.read(self.fd, 65536)
                except OSError:
                    raise RuntimeError("the process ended before showing " + repr(marker)) from None
        return time.perf_counter() - self.start

    def cpu_seconds(self) -> float:
        """User + system time of every thread of the process so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def drain(self, seconds: float) -> None:
        """Keep reading the screen for ``seconds`` (a pty whose reader stops would block the app)."""
        end = time.perf_counter() + seconds
        while (left := end - time.perf_counter()) > 0:
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    self.output += os.read(self.fd, 65536)
                except OSError:  # the process has exited and closed its end
                    return

    def quit(self) -> None:
        os.write(self.fd, b"q")
        deadline = time.perf_counter() + 10
        while time.perf_counter() < deadline:
            done, _ = os.waitpid(self.pid, os.WNOHANG)
            if done:
                break
            self.drain(0.05)
        else:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


def measure_process(runs: int, idle_seconds: float) -> tuple[list[float], list[float], list[float]]:
    first_frames, ready_times, idle_cpu = [], [], []
    for _ in range(runs):
        run = PtyRun(inspector_command())
        try:
            first_frames.append(run.wait_for(b"epoch 1/16"))
            ready_times.append(run.wait_for(b"\xc2\xb7 value "))  # " · value ": the heads panel has numbers
            run.drain(1.0)  # let the last repaints and the engine thread settle
            cpu_before, wall_before = run.cpu_seconds(), time.perf_counter()
            run.drain(idle_seconds)
            idle_cpu.append((run.cpu_seconds() - cpu_before) / (time.perf_counter() - wall_before))
        finally:
            run.quit()
    return first_frames, ready_times, idle_cpu


def measure_torch_import(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import torch"], check=True)
        times.append(time.perf_counter() - start)
    return times


# --- the table -------------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "[green]PASS[/]" if ok else "[red]MISS[/]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=40, help="step key presses to time (default 40)")
    parser.add_argument("--runs", type=int, default=3, help="cold starts to time (default 3)")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds of idle CPU sampling (default 5)")
    parser.add_argument("--quick", action="store_true", help="few presses, one cold start (smoke test)")
    args = parser.parse_args()
    if args.quick:
        vars(args).update(QUICK)

    latencies = asyncio.run(measure_step_latency(args.presses))
    first_frames, ready_times, idle_cpu = measure_process(args.runs, args.idle)
    torch_imports = measure_torch_import(args.runs)

    table = Table(title=f"tamiyo-tui UI bench ({os.cpu_count()} CPUs, {SIZE[0]}×{SIZE[1]})", title_justify="left")
    for column in ("measure", "n", "median", "p95 / max", "target", "verdict"):
        table.add_column(column, justify="left" if column in ("measure", "target") else "right")
    p95 = percentile(latencies, 0.95)
    table.add_row(
        "step key → repainted epoch (in-process)",
        str(len(latencies)),
        ms(statistics.median(latencies)),
        ms(p95),
        "p95 ≤ 50 ms",
        verdict(p95 <= TARGET_STEP_P95_S),
    )
    first = statistics.median(first_frames)
    table.add_row(
        "process start → first frame (pty)",
        str(len(first_frames)),
        s(first),
        s(max(first_frames)),
        "median ≤ 1.5 s",
        verdict(first <= TARGET_FIRST_FRAME_S),
    )
    table.add_row(
        "process start → policy ready (pty)",
        str(len(ready_times)),
        s(statistics.median(ready_times)),
        s(max(ready_times)),
        "",
        "",
    )
    table.add_row(
        'python -c "import torch" (for comparison)',
        str(len(torch_imports)),
        s(statistics.median(torch_imports)),
        s(max(torch_imports)),
        "",
        "",
    )
    idle = statistics.median(idle_cpu)
    table.add_row(
        f"CPU while paused ({args.idle:.0f} s, all threads)",
        str(len(idle_cpu)),
        f"{idle * 100:.2f} %",
        f"{max(idle_cpu) * 100:.2f} %",
        "≤ 1 % of a core",
        verdict(idle <= TARGET_IDLE_CPU),
    )
    console = Console()
    console.width = max(console.width, 120)  # off a terminal Rich assumes 80 columns, which wraps the table
    console.print(table)
    print(f"first frame: {' '.join(inspector_command())}")
    console.print("Targets:")
    targets = (
        (f"step key → repainted epoch at {SIZE[0]}×{SIZE[1]}, p95", "≤ 50 ms", ms(p95), p95 <= TARGET_STEP_P95_S),
        ("process start → first frame, median", "≤ 1.5 s", s(first), first <= TARGET_FIRST_FRAME_S),
        ("CPU while paused, median", "≈ 0 (≤ 1 % of a core)", f"{idle * 100:.2f} %", idle <= TARGET_IDLE_CPU),
    )
    for name, goal, measured, ok in targets:
        console.print(f"  {verdict(ok)}  {name}: {goal}, measured {measured}", soft_wrap=True)


if __name__ == "__main__":
    main()
