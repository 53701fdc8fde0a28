"""How often two policies choose the same option on the same states, head by head.

Policy A acts; policy B decides in shadow on every state A's episode passes through (the session's
shadow mode), both deterministically (the LSTM takes each head's argmax). Every decision counts for
every head, except the slot head: it only counts where A's op targets a slot (A's op is not WAIT), since a
WAIT's slot carries no meaning. Steps where a scenario's scripted action was carried out count too: both
policies still decided on that state.

Scenarios run as written, or with ``seeds``: seed N is the scenario varied by seed N, exactly as the
behaviour-cloning rollouts vary it (``rollouts.vary_scenario``). ``generated`` adds generated scenarios
(``generator.generated_scenario``), each played once as drawn; the seeds from ``HELD_OUT_SEEDS`` on are
never trained or calibrated on. A scenario whose slots are a subset of an LSTM checkpoint's layout is
widened to that layout (``Scenario.widened_to``), so the 3 × 3 checkpoint covers every grid up to 3 × 3.

Besides the counts, the report keeps B's probability of its own choice on the op, slot and blueprint
heads (``confidences``, for the reliability table of ``calibration``) and the op head's normalized
entropy on close calls and elsewhere (``calibration.is_close_call``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

from tamiyo_tui.domain.actions import HEAD_NAMES, LifecycleOp
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.errors import InputError
from tamiyo_tui.policy.checkpoint import load_checkpoint
from tamiyo_tui.policy.devices import resolve_device
from tamiyo_tui.policy.protocol import PolicyBundle
from tamiyo_tui.session.decide import PolicyRunner
from tamiyo_tui.session.loading import load_policies
from tamiyo_tui.session.policy_spec import PolicySpec, resolve_policy
from tamiyo_tui.session.session import InspectionSession
from tamiyo_tui.sim.loader import load_scenario
from tamiyo_tui.sim.scenario import Scenario
from tamiyo_tui.training.calibration import Reliability, is_close_call, reliability
from tamiyo_tui.training.generator import generated_scenario
from tamiyo_tui.training.rollouts import training_variant

WAIT = LifecycleOp.WAIT.name
GERMINATE = LifecycleOp.GERMINATE.name
# The blueprint head once more, counted only where A germinates (where the blueprint is carried out).
BLUEPRINT_ON_GERMINATE = "blueprint on GERMINATE"
# Which decisions each row's agreement is measured on (the table's "counted on" column).
COUNTED_ON = (
    {head: "all decisions" for head in HEAD_NAMES}
    | {"slot": "A's op ≠ WAIT"}
    | {BLUEPRINT_ON_GERMINATE: "A's op = GERMINATE"}
)
# Rows listed first: the ones that say what happens; the others only shape how.
REPORT_ORDER = (
    "op",
    "slot",
    BLUEPRINT_ON_GERMINATE,
    *(head for head in HEAD_NAMES if head not in ("op", "slot")),
)
CALIBRATED_HEADS = ("op", "slot", BLUEPRINT_ON_GERMINATE)
GENERATED_GROUP = "generated · "  # the per-scenario rows of generated scenarios: one per grid shape


@dataclass
class HeadTally:
    agree: int = 0
    total: int = 0

    @property
    def percent(self) -> float:
        return 100.0 * self.agree / self.total if self.total else 0.0

    def add(self, same: bool) -> None:
        self.agree += same
        self.total += 1

    def __iadd__(self, other: HeadTally) -> HeadTally:
        self.agree += other.agree
        self.total += other.total
        return self


@dataclass(frozen=True, slots=True)
class Difference:
    """One head on one state where A and B chose differently."""

    scenario: str
    seed: int | None  # None: the scenario as written
    epoch: int
    head: str
    a: str  # A's option
    b: str  # B's option


@dataclass
class AgreementReport:
    policy_a: str
    policy_b: str
    seeds: tuple[int | None, ...]
    episodes: int = 0
    decisions: int = 0
    by_scenario: dict[str, dict[str, HeadTally]] = field(default_factory=dict)  # scenario -> head -> tally
    differences: list[Difference] = field(default_factory=list)
    generated: tuple[int, ...] = ()  # generated scenario seeds, after the files
    # Per calibrated row: (B's probability of its choice, B's choice is A's), on the decisions it counts.
    confidences: dict[str, list[tuple[float, bool]]] = field(default_factory=dict)
    entropies: dict[bool, list[float]] = field(default_factory=dict)  # close call? -> B's op entropies

    @property
    def generated_groups(self) -> frozenset[str]:
        return frozenset(name for name in self.by_scenario if name.startswith(GENERATED_GROUP))

    @property
    def by_files(self) -> bool:
        """Whether scenario files were played (not only generated scenarios)."""
        return any(not name.startswith(GENERATED_GROUP) for name in self.by_scenario) or not self.generated

    def reliability(self, head: str = "op") -> Reliability:
        pairs = self.confidences.get(head, [])
        return reliability([p for p, _ in pairs], [same for _, same in pairs])

    def mean_entropy(self, close_call: bool) -> tuple[float, int]:
        """B's mean normalized op entropy on close calls (or elsewhere), and on how many decisions."""
        values = self.entropies.get(close_call, [])
        return (sum(values) / len(values) if values else 0.0), len(values)

    def head(self, head: str) -> HeadTally:
        """``head``'s tally (or the ``BLUEPRINT_ON_GERMINATE`` row's) over every scenario."""
        total = HeadTally()
        for tallies in self.by_scenario.values():
            total += tallies.get(head, HeadTally())
        return total

    def add_decision(self, scenario: str, seed: int | None, epoch: int, a: dict[str, str], b: dict[str, str]) -> None:
        tallies = self.by_scenario.setdefault(scenario, {head: HeadTally() for head in HEAD_NAMES})
        self.decisions += 1
        for head in HEAD_NAMES:
            if head == "slot" and a["op"] == WAIT:
                continue
            same = a[head] == b[head]
            tallies[head].add(same)
            # A blueprint on anything but a germination is a filler (both sides write one), not a difference.
            filler = head == "blueprint" and GERMINATE not in (a["op"], b["op"])
            if not same and not filler:
                self.differences.append(Difference(scenario, seed, epoch, head, a[head], b[head]))
        if a["op"] == GERMINATE:
            tallies.setdefault(BLUEPRINT_ON_GERMINATE, HeadTally()).add(a["blueprint"] == b["blueprint"])

    def add_confidences(
        self, a: dict[str, str], b: dict[str, str], probabilities: dict[str, float], entropy: float, close: bool
    ) -> None:
        """B's probability of its own choice per head (``probabilities``), its op entropy, the close-call flag."""
        rows = {"op": "op", "slot": "slot", BLUEPRINT_ON_GERMINATE: "blueprint"}
        for row, head in rows.items():
            if (row == "slot" and a["op"] == WAIT) or (row == BLUEPRINT_ON_GERMINATE and a["op"] != GERMINATE):
                continue
            self.confidences.setdefault(row, []).append((probabilities[head], a[head] == b[head]))
        self.entropies.setdefault(close, []).append(entropy)


def compare_policies(
    policy_a: str,
    policy_b: str,
    scenario_paths: Sequence[str],
    seeds: Sequence[int | None] = (None,),
    device: str | torch.device = "cpu",
    on_episode: Callable[[], None] | None = None,
    generated: Sequence[int] = (),
) -> AgreementReport:
    """Run every (scenario, seed), then every generated seed, with A acting and B in shadow.

    Bad input raises an InputError.
    """
    target = resolve_device(device) if isinstance(device, str) else device
    specs = (resolve_policy(policy_a), resolve_policy(policy_b))
    layout = _checkpoint_layout(specs)
    report = AgreementReport(specs[0].policy_id, specs[1].policy_id, tuple(seeds), generated=tuple(generated))
    bundles = _BundleCache(target)
    episodes: list[tuple[str, int | None, Scenario, int | None]] = []  # group, seed, scenario, variation seed
    for path in scenario_paths:
        scenario = load_scenario(path)
        episodes += [(scenario.name, seed, scenario, seed) for seed in seeds]
    for seed in generated:
        scenario = generated_scenario(seed)  # played as drawn, never varied
        rows, cols = scenario.slot_config.grid_shape()
        episodes.append((f"{GENERATED_GROUP}{rows}×{cols} grid", seed, scenario, None))
    for group, seed, scenario, variation in episodes:
        try:
            variant = training_variant(scenario, variation, layout or scenario.slot_config)
        except ValueError as err:
            raise InputError(str(err)) from None
        _play(report, group, seed, variant, (bundles.get(specs[0], variant), bundles.get(specs[1], variant)), target)
        report.episodes += 1
        if on_episode is not None:
            on_episode()
    return report


def _play(
    report: AgreementReport,
    group: str,
    seed: int | None,
    variant: Scenario,
    bundles: tuple[PolicyBundle, PolicyBundle],
    device: torch.device,
) -> None:
    runner = PolicyRunner({"a": bundles[0], "b": bundles[1]}, device)
    session = InspectionSession(variant, runner, active="a", deterministic=True, keep_records=False)
    while not session.done:
        decisions = session.pending_decisions()
        a, b = decisions["a"].chosen, decisions["b"].chosen
        report.add_decision(group, seed, session.epoch, a, b)
        heads = decisions["b"].heads
        probabilities = {  # a policy without probabilities (none here) would count as sure
            head: heads[head].probs[heads[head].action] if heads[head].probs else 1.0
            for head in ("op", "slot", "blueprint")
        }
        entropy = heads["op"].entropy or 0.0
        report.add_confidences(a, b, probabilities, entropy, is_close_call(session.observation()))
        session.step()


def _checkpoint_layout(specs: tuple[PolicySpec, PolicySpec]) -> SlotConfig | None:
    """The slot layout the policies' checkpoints were saved for (None: no checkpoint, any layout goes)."""
    layouts = {
        spec.checkpoint: load_checkpoint(spec.checkpoint).bundle.slot_config for spec in specs if spec.checkpoint
    }
    distinct = set(layouts.values())
    if len(distinct) > 1:
        described = ", ".join(f"{path}: {list(config.slot_ids)}" for path, config in layouts.items())
        raise InputError(f"the two checkpoints are for different slot layouts ({described})")
    return distinct.pop() if distinct else None


class _BundleCache:
    """One bundle per (policy, topology, slots): loading a checkpoint per episode would dominate the run."""

    def __init__(self, device: torch.device) -> None:
        self._device = device
        self._bundles: dict[tuple[str, str, tuple[str, ...]], PolicyBundle] = {}

    def get(self, spec: PolicySpec, scenario: Scenario) -> PolicyBundle:
        key = (spec.policy_id, scenario.topology, scenario.slot_config.slot_ids)
        if key not in self._bundles:
            self._bundles[key] = load_policies(spec, scenario, self._device).runner.bundles[spec.bundle]
        return self._bundles[key]


def differing_states(report: AgreementReport) -> dict[tuple[str, int | None, int], list[Difference]]:
    """Differences grouped by state (scenario, seed, epoch), in the order they happened."""
    states: dict[tuple[str, int | None, int], list[Difference]] = {}
    for difference in report.differences:
        states.setdefault((difference.scenario, difference.seed, difference.epoch), []).append(difference)
    return states


_SEED_ITEM = re.compile(r"^(\d+)(?:-(\d+))?$")


def parse_seeds(text: str, option: str = "--seeds") -> list[int]:
    """``1000-1019``, ``3,7,9`` or a mix (``0-3,7``) → the seeds, in order; malformed text → InputError."""
    seeds: list[int] = []
    for item in text.split(","):
        match = _SEED_ITEM.match(item.strip())
        if match is None:
            raise InputError(f"{option}: {item.strip()!r} is not a seed or a range like 1000-1019")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        if last < first:
            raise InputError(f"{option}: the range {item.strip()} runs backwards")
        seeds.extend(range(first, last + 1))
    return seeds
