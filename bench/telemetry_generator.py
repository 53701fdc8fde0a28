"""Large esper-lite telemetry files for the review benchmark, made of real events.

    python bench/telemetry_generator.py OUT.jsonl --decisions 1000000 [--malformed 10]

The committed slice of a real 2016337e training run (``tests/data/esper-2016337e-telemetry/events.jsonl``:
one batch of two episodes, 40 decisions and the 173 events around them) is written again and again, each
copy a later batch: its episode numbers moved on by two per copy and its event ids made unique, every other
byte as recorded. ``--malformed`` cuts that many lines short, spread over the file, so the count and the line
numbers the review reports can be checked against the generator's.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

SLICE = Path(__file__).resolve().parents[1] / "tests" / "data" / "esper-2016337e-telemetry" / "events.jsonl"
_EPISODE = re.compile(r'"episode_idx": (\d+)')
_EVENT_ID = re.compile(r'^\{"event_id": "([0-9a-f]{8})')


def generate(out: Path, decisions: int, malformed: int = 0) -> tuple[int, tuple[int, ...]]:
    """Write at least ``decisions`` decisions to ``out``; (lines written, the malformed lines' numbers)."""
    lines = SLICE.read_text(encoding="utf-8").splitlines()
    header, batch = lines[0], lines[1:]  # TRAINING_STARTED once, then the batch
    per_batch = sum('"kind": "last_action"' in line for line in batch)
    batches = -(-decisions // per_batch)
    total = 1 + batches * len(batch)
    cut = {round(total * (k + 1) / (malformed + 1)) for k in range(malformed)} - {1}
    number = 1
    with out.open("w", encoding="utf-8") as sink:
        sink.write(header + "\n")
        for copy in range(batches):
            shift = 2 * copy

            def episode(match: re.Match[str], shift: int = shift) -> str:
                return f'"episode_idx": {int(match.group(1)) + shift}'

            for line in batch:
                number += 1
                text = _EVENT_ID.sub(lambda m, c=copy: '{"event_id": "' + f"{c:08x}", line, count=1)
                text = _EPISODE.sub(episode, text)
                sink.write((text[: len(text) // 2] if number in cut else text) + "\n")
    return number, tuple(sorted(cut))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--decisions", type=int, default=1_000_000)
    parser.add_argument("--malformed", type=int, default=0)
    args = parser.parse_args(argv)
    lines, cut = generate(args.out, args.decisions, args.malformed)
    print(f"wrote {lines:,} lines ({args.out.stat().st_size / 1e6:,.0f} MB) to {args.out}; malformed: {list(cut)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
