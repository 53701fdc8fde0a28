"""Review benchmark: opening, indexing and navigating esper-lite telemetry of 10k, 100k and 1M decisions.

    python bench/review_bench.py [--quick] [--cache DIR] [--json PATH]

Files come from ``bench/telemetry_generator.py`` (real events of a 2016337e run, repeated as later batches,
a few lines cut short), made once into ``--cache`` (default: the system's temp folder). Per size, each in a
fresh process so that its peak memory is its own:

- ``review`` (the product's path, ``TelemetryReview``): the first frame (read straight from the file), the
  DuckDB index build, then 30 jumps (``]``/``[`` for each kind, from random places) and 30 filters (next
  episode, the other environment, a random decision) once indexed, and the process's peak RSS;
- ``reference``: the simple path a review could take instead, every line parsed with ``json.loads`` and the
  decisions kept in a sorted list, a jump a scan of that list; measured up to 100k decisions (at 1M it would
  hold every decision in memory, which is the point of not doing it).

And ``tamiyo-tui review FILE`` itself on a pseudo-terminal: process start → first frame (median of 3).
Prints the table (median and max) and PASS/MISS for issue #15's targets at the largest size: first frame
≤ 1.5 s, any jump or filter ≤ 1 s once indexed, peak RSS ≤ 500 MB. Exit status 0 whatever the verdicts.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from telemetry_generator import generate

FULL_SIZES, QUICK_SIZES = (10_000, 100_000, 1_000_000), (1_000, 4_000)
REFERENCE_LIMIT = 100_000
FIRST_FRAME_S, NAVIGATION_S, RSS_MB = 1.5, 1.0, 500.0
MARKER = "review · esper-lite telemetry".encode()


def measure_review(path: Path) -> dict[str, object]:
    from tamiyo_tui.session.telemetry_review import TELEMETRY_JUMPS, TelemetryReview

    start = time.perf_counter()
    review = TelemetryReview(path)
    review.frame()
    first = time.perf_counter() - start
    start = time.perf_counter()
    review.build_index()
    index = time.perf_counter() - start
    total = review.frame().total or 0
    rng = random.Random(0)
    jumps, filters = [], []
    for kind in TELEMETRY_JUMPS:
        while review.frame().jump != kind:
            review.cycle_jump()
        for _ in range(5):
            review.go_to(rng.randrange(total))
            for direction in (1, -1):
                start = time.perf_counter()
                review.jump(direction)
                jumps.append(time.perf_counter() - start)
    for _ in range(10):
        for move in (lambda: review.episode(1), review.other_env, lambda: review.go_to(rng.randrange(total))):
            start = time.perf_counter()
            move()
            filters.append(time.perf_counter() - start)
    return {
        "first_frame_s": first,
        "index_s": index,
        "jumps_s": jumps,
        "filters_s": filters,
        "decisions": total,
        "malformed": len(review.frame().malformed),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure_reference(path: Path) -> dict[str, object]:
    start = time.perf_counter()
    decisions = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            data = event.get("data") or {}
            if event.get("event_type") == "ANALYTICS_SNAPSHOT" and data.get("kind") == "last_action":
                decisions.append(data)
    decisions.sort(key=lambda d: (d["episode_idx"], d["env_id"], d["inner_epoch"]))
    first = time.perf_counter() - start
    rng = random.Random(0)
    jumps = []
    for _ in range(30):
        here = rng.randrange(len(decisions))
        start = time.perf_counter()
        next((i for i in range(here + 1, len(decisions)) if not decisions[i]["action_success"]), None)
        jumps.append(time.perf_counter() - start)
    return {
        "first_frame_s": first,
        "index_s": None,
        "jumps_s": jumps,
        "filters_s": [],
        "decisions": len(decisions),
        "malformed": None,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def in_child(path: Path, which: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", which, str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.splitlines()[-1])


def pty_first_frames(path: Path, runs: int = 3) -> list[float]:
    # Imported here: ui_bench loads the inspector (and torch), which would count in the children's memory.
    from ui_bench import PtyRun

    script = Path(sys.executable).parent / "tamiyo-tui"
    launcher = [str(script)] if script.is_file() else [sys.executable, "-m", "tamiyo_tui"]
    seconds = []
    for _ in range(runs):
        run = PtyRun([*launcher, "review", str(path)])
        try:
            seconds.append(run.wait_for(MARKER))
        finally:
            run.quit()
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two small sizes (smoke test)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "tamiyo-review-bench")
    parser.add_argument("--json", type=Path, metavar="PATH")
    parser.add_argument("--child", nargs=2, metavar=("WHICH", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        which, path = args.child
        print(json.dumps((measure_review if which == "review" else measure_reference)(Path(path))))
        return 0
    console = Console()
    console.width = max(console.width, 130)
    args.cache.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in QUICK_SIZES if args.quick else FULL_SIZES:
        path = args.cache / f"telemetry-{size}.jsonl"
        if not path.exists():
            console.print(f"[dim]generating {size:,} decisions…[/]", highlight=False)
            generate(path, size, malformed=5)
        console.print(f"[dim]measuring {size:,} decisions ({path.stat().st_size / 1e6:,.0f} MB)…[/]", highlight=False)
        review = in_child(path, "review")
        review["pty_first_frame_s"] = pty_first_frames(path)
        rows.append({"size": size, "path": "review (DuckDB index)", **review})
        if size <= REFERENCE_LIMIT:
            rows.append({"size": size, "path": "reference: json.loads every line", **in_child(path, "reference")})
    render(console, rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


def format_duration(seconds: float) -> str:
    """Like ``common.format_duration``, which this script does not import: ``common`` loads torch, whose
    memory would be counted in the review's peak RSS."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-6:.3g} µs"


def _spread(values: list[float]) -> str:
    return f"{format_duration(statistics.median(values))} / {format_duration(max(values))}" if values else "—"


def render(console: Console, rows: list[dict]) -> None:
    table = Table(title="review of esper-lite telemetry, one process per row", caption="median / max")
    columns = ("decisions", "path", "first frame", "first frame (pty)", "index", "jump", "filter", "peak RSS")
    for column in (*columns, "malformed"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for row in rows:
        pty = row.get("pty_first_frame_s")
        table.add_row(
            f"{row['decisions']:,}",
            row["path"],
            f"{row['first_frame_s']:.3f} s",
            f"{statistics.median(pty):.2f} s / {max(pty):.2f} s" if pty else "—",
            "—" if row["index_s"] is None else f"{row['index_s']:.1f} s",
            _spread(row["jumps_s"]),
            _spread(row["filters_s"]),
            f"{row['peak_rss_mb']:,.0f} MB",
            "—" if row["malformed"] is None else str(row["malformed"]),
        )
    console.print(table)
    largest = max((row for row in rows if row["path"].startswith("review")), key=lambda row: row["size"])
    navigation = max(largest["jumps_s"] + largest["filters_s"])
    for name, measured, goal, unit in (
        ("first frame (pty, median)", statistics.median(largest["pty_first_frame_s"]), FIRST_FRAME_S, "s"),
        ("slowest jump or filter once indexed", navigation, NAVIGATION_S, "s"),
        ("peak RSS", largest["peak_rss_mb"], RSS_MB, "MB"),
    ):
        status = "[green]PASS[/green]" if measured <= goal else "[red]MISS[/red]"
        target = f"{largest['size']:,} decisions, {name}: ≤ {goal:g} {unit}"
        console.print(f"  {status}  {target}, measured {measured:,.2f} {unit}")


if __name__ == "__main__":
    sys.exit(main())
