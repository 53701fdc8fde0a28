"""The sweep on an accelerator: the same episodes as on the CPU, the same decisions; then its rate.

``bench/device_check.py`` runs this after its own checks. For each size (1,024 and 8,192 episodes, every
lesson in turn with ``lstm-bc``):

- a deterministic sweep on the CPU and on the device: every record's actions must match and every raw
  logit and value agree within ``TOLERANCE``. Once an episode's actions differ, its later states differ
  too, so it is compared up to there; a difference where the CPU's two options' logits lie within
  ``TOLERANCE`` is counted as a near-tie (float rounding chose), any other as a mismatch (a failure);
- decisions per second of both sweeps.

Then a sampled sweep of ``SAMPLED_EPISODES`` episodes on the device against ``tamiyo-tui run --device``'s
records for the same episodes: sampling draws on the device's own generator, so it matches ``run`` there,
not the CPU.
"""

from __future__ import annotations

import math
import time
from array import array
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

from tamiyo_tui.session.headless import open_run
from tamiyo_tui.session.records import DecisionRecord
from tamiyo_tui.shipped import lessons
from tamiyo_tui.sweep.episodes import EpisodeSpec
from tamiyo_tui.sweep.runner import BatchedSweep, RecordHook, SweepSettings

TOLERANCE = 1e-4
SWEEP_SIZES = (1024, 8192)
SAMPLED_EPISODES = 32
POLICY = "lstm-bc"


def lesson_specs(count: int) -> list[EpisodeSpec]:
    """Episode i plays lesson i mod 15 with seed i div 15."""
    shipped = lessons()
    return [
        EpisodeSpec(shipped[i % len(shipped)].label, str(shipped[i % len(shipped)].path), i // len(shipped), POLICY, i)
        for i in range(count)
    ]


@dataclass(frozen=True, slots=True)
class Digest:
    """What a record is compared by: the action, the value and every raw logit, compactly."""

    action: tuple[str, ...]
    value: float | None
    raw_logits: array  # float64, the heads' options side by side

    @classmethod
    def of(cls, record: DecisionRecord) -> Digest:
        logits = array("d", (logit for head in record.heads.values() for logit in head.raw_logits))
        return cls(tuple(record.action.values()), record.value, logits)


@dataclass
class SweepParity:
    episodes: int
    decisions: int = 0
    compared: int = 0
    max_difference: float = 0.0
    near_ties: int = 0
    mismatches: int = 0
    cpu_seconds: float = 0.0
    device_seconds: float = 0.0
    diverged: set[int] = field(default_factory=set)

    @property
    def passed(self) -> bool:
        return self.mismatches == 0 and self.max_difference <= TOLERANCE


def timed_sweep(specs: list[EpisodeSpec], settings: SweepSettings, on_record: RecordHook) -> float:
    sweep = BatchedSweep(specs, settings, on_record=on_record)
    start = time.perf_counter()
    sweep.run()
    return time.perf_counter() - start


def check_size(size: int, device: str) -> SweepParity:
    specs = lesson_specs(size)
    parity = SweepParity(size)
    cpu: dict[tuple[int, int], Digest] = {}

    def keep(spec: EpisodeSpec, record: DecisionRecord) -> None:
        cpu[(spec.index, record.step)] = Digest.of(record)

    parity.cpu_seconds = timed_sweep(specs, SweepSettings(device="cpu", deterministic=True), keep)

    def compare(spec: EpisodeSpec, record: DecisionRecord) -> None:
        parity.decisions += 1
        if spec.index in parity.diverged:
            return
        theirs, ours = cpu[(spec.index, record.step)], Digest.of(record)
        parity.compared += 1
        differences = [abs(a - b) for a, b in zip(theirs.raw_logits, ours.raw_logits, strict=True) if math.isfinite(a)]
        if theirs.value is not None and ours.value is not None:
            differences.append(abs(theirs.value - ours.value))
        parity.max_difference = max([parity.max_difference, *differences])
        if ours.action != theirs.action:
            parity.diverged.add(spec.index)
            if _near_tie(theirs, ours, record):
                parity.near_ties += 1
            else:
                parity.mismatches += 1

    parity.device_seconds = timed_sweep(specs, SweepSettings(device=device, deterministic=True), compare)
    return parity


def _near_tie(cpu: Digest, device: Digest, record: DecisionRecord) -> bool:
    """Whether every head that chose differently had both options within TOLERANCE on the CPU."""
    start = 0
    for (head, numbers), ours, theirs in zip(record.heads.items(), device.action, cpu.action, strict=True):
        options = numbers.options
        if ours != theirs:
            logits = cpu.raw_logits[start : start + len(options)]
            if abs(logits[options.index(ours)] - logits[options.index(theirs)]) > TOLERANCE:
                return head == "style"  # the style follows the op: a near-tied op moves it too
        start += len(options)
    return True


def check_sampled(device: str) -> tuple[int, int, float]:
    """(records compared, action mismatches, largest float difference): a sampled sweep against run's."""
    specs = lesson_specs(SAMPLED_EPISODES)
    ours: dict[tuple[int, int], Digest] = {}

    def keep(spec: EpisodeSpec, record: DecisionRecord) -> None:
        ours[(spec.index, record.step)] = Digest.of(record)

    timed_sweep(specs, SweepSettings(device=device), keep)
    mismatches, largest, compared = 0, 0.0, 0
    for spec in specs:
        session = open_run(spec.scenario_path, policy=POLICY, device=device, seed=spec.seed, shadow=False).session
        while not session.done:
            record = session.step()
            theirs, mine = Digest.of(record), ours[(spec.index, record.step)]
            compared += 1
            if mine.action != theirs.action:
                mismatches += 1
                break
            pairs = zip(mine.raw_logits, theirs.raw_logits, strict=True)
            largest = max([largest, *(abs(a - b) for a, b in pairs if math.isfinite(a))])
    return compared, mismatches, largest


def run_sweep_parity(console: Console, device: str, sizes: tuple[int, ...] = SWEEP_SIZES) -> bool:
    """Every check above, one table; True when all pass."""
    table = Table(title=f"sweep, CPU vs {device}: deterministic, {POLICY} on every lesson in turn")
    columns = ("episodes", "decisions", "compared", "max |Δ|", "near-ties", "mismatches", "cpu dec/s", "device dec/s")
    for column in columns:
        table.add_column(column, justify="right")
    passed = True
    for size in sizes:
        parity = check_size(size, device)
        passed = passed and parity.passed
        table.add_row(
            str(size),
            f"{parity.decisions:,}",
            f"{parity.compared:,}",
            f"{parity.max_difference:.2g}",
            str(parity.near_ties),
            str(parity.mismatches) if parity.passed else f"[red]{parity.mismatches}[/red]",
            f"{parity.decisions / parity.cpu_seconds:,.0f}",
            f"{parity.decisions / parity.device_seconds:,.0f}",
        )
    console.print(table)
    compared, mismatches, largest = check_sampled(device)
    sampled_ok = mismatches == 0 and largest <= TOLERANCE
    console.print(
        f"sampled sweep on {device} against `run --device {device}`, {SAMPLED_EPISODES} episodes: "
        f"{compared} records, {mismatches} action mismatches, max |Δ| {largest:.2g} "
        f"({'ok' if sampled_ok else '[red]NOT OK[/red]'})"
    )
    return passed and sampled_ok
