"""What the benchmark scripts share: realistic observations, the inspector's decision step, timing, formatting.

The scripts import this module as ``common`` (their own folder is first on ``sys.path`` when run as
``python bench/<script>.py``), so ``bench/`` needs no package install.
"""

from __future__ import annotations

import itertools
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import torch

from tamiyo_tui.domain.actions import AlphaTargetAction, BlueprintAction, LifecycleOp, TempoAction
from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.policy.batch import build_policy_batch
from tamiyo_tui.policy.host_transfer import HostRow, to_host
from tamiyo_tui.policy.lstm_bundle import LSTMPolicyBundle
from tamiyo_tui.policy.types import ActionResult
from tamiyo_tui.sim.scenario import AccuracyGenerator, ActionSpec, BlueprintEffect, HostScript, Scenario
from tamiyo_tui.sim.simulator import Simulator

T = TypeVar("T")

SEED = 0  # weights (torch.manual_seed) and sampling generators

EPISODE_LENGTH = 40
EPISODE_SEEDS = (0, 1, 2)  # one episode per seed: same script, different host noise

# Epoch → action; every other epoch WAITs. On the default 3-slot CNN config this walks the slots through
# every stage a policy meets (germinated, training, blending, holding, fossilized, pruned, embargoed,
# resetting, empty again), with up to three seeds alive at once and a re-germination after a prune.
_SCRIPT: dict[int, ActionSpec] = {
    1: ActionSpec(LifecycleOp.GERMINATE, "r0c0", BlueprintAction.CONV_LIGHT, tempo=TempoAction.FAST),
    2: ActionSpec(LifecycleOp.ADVANCE, "r0c0"),
    3: ActionSpec(LifecycleOp.GERMINATE, "r0c1", BlueprintAction.NORM),
    4: ActionSpec(LifecycleOp.ADVANCE, "r0c0"),
    5: ActionSpec(LifecycleOp.ADVANCE, "r0c1"),
    6: ActionSpec(LifecycleOp.GERMINATE, "r0c2", BlueprintAction.ATTENTION, tempo=TempoAction.SLOW),
    7: ActionSpec(LifecycleOp.ADVANCE, "r0c1"),
    8: ActionSpec(LifecycleOp.ADVANCE, "r0c0"),
    9: ActionSpec(LifecycleOp.FOSSILIZE, "r0c0"),
    10: ActionSpec(LifecycleOp.ADVANCE, "r0c2"),
    12: ActionSpec(LifecycleOp.SET_ALPHA_TARGET, "r0c1", alpha_target=AlphaTargetAction.HALF),
    16: ActionSpec(LifecycleOp.PRUNE, "r0c2"),
    20: ActionSpec(LifecycleOp.PRUNE, "r0c1"),
    26: ActionSpec(LifecycleOp.GERMINATE, "r0c2", BlueprintAction.DEPTHWISE),
    27: ActionSpec(LifecycleOp.ADVANCE, "r0c2"),
    28: ActionSpec(LifecycleOp.GERMINATE, "r0c1", BlueprintAction.BOTTLENECK),
    29: ActionSpec(LifecycleOp.ADVANCE, "r0c2"),
    32: ActionSpec(LifecycleOp.PRUNE, "r0c2"),
}
_WAIT = ActionSpec(LifecycleOp.WAIT)


def _scenario(seed: int) -> Scenario:
    return Scenario(
        name=f"bench-{seed}",
        description="scripted germinate/advance/prune walk used by the benchmarks",
        host=HostScript(val_accuracy=AccuracyGenerator(start=40.0, end=80.0, plateau_at=30, noise=0.5)),
        seed=seed,
        episode_length=EPISODE_LENGTH,
        blueprints={
            "default": BlueprintEffect(contribution=2.0, params=1_000),
            BlueprintAction.CONV_LIGHT.to_blueprint_id(): BlueprintEffect(contribution=3.0, params=4_000),
            BlueprintAction.ATTENTION.to_blueprint_id(): BlueprintEffect(contribution=-1.0, params=20_000),
        },
    )


def observation_pool() -> tuple[Observation, ...]:
    """Every observation of the scripted episodes (3-slot default config), in episode order."""
    observations: list[Observation] = []
    for seed in EPISODE_SEEDS:
        scenario = _scenario(seed)
        simulator = Simulator(scenario)
        while not simulator.done:
            epoch = simulator.epoch
            observations.append(simulator.observe())
            simulator.apply(_SCRIPT.get(epoch, _WAIT).to_factored(scenario.slot_config))
    return tuple(observations)


def batches(pool: Sequence[T], size: int, count: int) -> list[list[T]]:
    """``count`` batches of ``size`` items cycling through ``pool``, each starting where the last one ended."""
    cycle = itertools.cycle(pool)
    return [list(itertools.islice(cycle, size)) for _ in range(count)]


def cycling(function: Callable[[T], object], inputs: Sequence[T]) -> Callable[[], object]:
    """A no-argument call that applies ``function`` to the next input, round and round."""
    next_input = itertools.cycle(inputs).__next__
    return lambda: function(next_input())


class PolicyDecision:
    """One decision at batch 1 (features + masks + forward + sample): build the batch on the policy's
    device and decide (sampling, hidden state carried over)."""

    def __init__(self, bundle: LSTMPolicyBundle, deterministic: bool = False) -> None:
        self._bundle = bundle
        self._deterministic = deterministic
        self._hidden = bundle.initial_hidden(1)
        self._generator = torch.Generator(device=bundle.device).manual_seed(SEED)

    def __call__(self, obs: Observation) -> ActionResult:
        batch = build_policy_batch([obs], device=self._bundle.device)
        result = self._bundle.get_action(batch, self._hidden, self._deterministic, self._generator)
        self._hidden = result.hidden
        return result


class InspectorDecision:
    """What the inspector does per step at batch 1: a ``PolicyDecision``, then the displayed values brought
    back in one transfer (on a GPU that transfer is also what waits for the decision to finish)."""

    def __init__(self, bundle: LSTMPolicyBundle, deterministic: bool = False) -> None:
        self._decide = PolicyDecision(bundle, deterministic)

    def __call__(self, obs: Observation) -> tuple[HostRow, ...]:
        return to_host(self._decide(obs))


@dataclass(frozen=True, slots=True)
class Timing:
    """Seconds per call, one sample per repeat."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def minimum(self) -> float:
        return min(self.samples)

    @property
    def maximum(self) -> float:
        return max(self.samples)

    @property
    def p95(self) -> float:
        """Nearest-rank 95th percentile."""
        ordered = sorted(self.samples)
        return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]

    def to_dict(self) -> dict[str, float | int]:
        return {
            "median_s": self.median,
            "min_s": self.minimum,
            "max_s": self.maximum,
            "p95_s": self.p95,
            "repeats": len(self.samples),
        }


def measure(call: Callable[[], object], repeats: int, warmup: int = 1, min_repeat_s: float = 0.0) -> Timing:
    """Time ``call`` after ``warmup`` untimed calls (at least one).

    Each of the ``repeats`` samples is the mean of as many back-to-back calls as fill ``min_repeat_s``
    (sized from the last warm-up call), so calls of a few microseconds are not lost in timer jitter;
    with ``min_repeat_s=0`` every sample is one call.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    sample = _sampler(call, warmup, min_repeat_s)
    return Timing(tuple(sample() for _ in range(repeats)))


def measure_pair(
    fast: Callable[[], object],
    reference: Callable[[], object],
    repeats: int,
    reference_repeats: int | None = None,
    warmup: int = 1,
    min_repeat_s: float = 0.0,
) -> tuple[Timing, Timing]:
    """``measure`` for two calls at once, their samples taken in alternation (fast, reference, fast, …).

    On a shared machine the speed drifts by tens of percent over seconds (other tenants, steal time);
    alternating puts both paths in the same spells, so their ratio means something even when the
    absolute figures drift. The price is a cold start per sample (the other path evicted the caches),
    so samples should be long next to one call: ``min_repeat_s`` of tens of milliseconds. The reference
    may take fewer samples (``reference_repeats``): they are spread evenly among the fast ones, so both
    sets still cover the same stretch of time.
    """
    reference_repeats = repeats if reference_repeats is None else reference_repeats
    if repeats < 1 or reference_repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats} and {reference_repeats}")
    sample_fast = _sampler(fast, warmup, min_repeat_s)
    sample_reference = _sampler(reference, warmup, min_repeat_s)
    fast_samples, reference_samples = [], []
    for index in range(repeats):
        fast_samples.append(sample_fast())
        # Measured: with the reference's 7 samples all in the first half, a slow spell in the second half
        # moved the fast median alone (5.14 ms against 3.1–3.2 ms in the runs before and after).
        while len(reference_samples) < (index + 1) * reference_repeats // repeats:
            reference_samples.append(sample_reference())
    return Timing(tuple(fast_samples)), Timing(tuple(reference_samples))


def _sampler(call: Callable[[], object], warmup: int, min_repeat_s: float) -> Callable[[], float]:
    """Warm ``call`` up, then return a function that takes one sample (seconds per call), as ``measure`` does."""
    single = 0.0
    for _ in range(max(warmup, 1)):
        start = time.perf_counter()
        call()
        single = time.perf_counter() - start
    calls = max(1, math.ceil(min_repeat_s / single)) if single > 0 else 1

    def sample() -> float:
        start = time.perf_counter()
        for _ in range(calls):
            call()
        return (time.perf_counter() - start) / calls

    return sample


def format_duration(seconds: float) -> str:
    """Three significant digits in µs, ms or s."""
    for unit, scale in (("µs", 1e-6), ("ms", 1e-3)):
        if seconds < 999.5 * scale:  # what would round to "1e+03" belongs to the next unit
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds:.3g} s"


def format_range(timing: Timing) -> str:
    return f"{format_duration(timing.minimum)} – {format_duration(timing.maximum)}"
