"""The policy benchmark's rows for esper-lite's 2016337e generation (``bench/policy_bench.py`` prints them).

At the generation's default sizes (512 wide), on one CPU thread:

- one decision at batch 1 as ``run`` makes it (V3 features, the generation's masks and slot-by-op, the
  network with its probability floor, one host copy), and the network's ``get_action`` alone on built inputs;
- the same ``get_action`` on a batch of 1,024 rows, and a whole sweep of 1,024 episodes (``BatchedSweep``:
  lessons 16–19 in turn, sampling, the heuristic partner deciding beside the network, the simulator and the
  records), per decision;
- when ``ESPER_LITE_2016337E`` names a checkout of the reference that imports, the reference's own
  ``get_action`` on the same inputs and weights, at batch 1 and at batch 1,024.

The sweep plays a ``PPOAgent.save`` file written for the run: the committed reference checkpoint's fields
(its normalizer statistics) with an untrained network of the default sizes in place of its small one.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from common import SEED, Timing, cycling

from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.generations.esper_2016337e import masks as masks_2016337e
from tamiyo_tui.generations.esper_2016337e.constants import PROBABILITY_FLOOR
from tamiyo_tui.policy.batch import build_policy_batch
from tamiyo_tui.policy.bundle_2016337e import Policy2016337eBundle
from tamiyo_tui.policy.host_transfer import to_host
from tamiyo_tui.rules.masks import explain_masks
from tamiyo_tui.shipped import scenario_path
from tamiyo_tui.sweep.episodes import EpisodeFactory, sweep_episodes
from tamiyo_tui.sweep.runner import BatchedSweep, SweepSettings

REPO = Path(__file__).resolve().parents[1]
REFERENCE_CHECKPOINT = REPO / "tests" / "vectors" / "esper-2016337e-checkpoint.pt"
LESSONS = ("16", "17", "18", "19")  # the lessons of the generation's rules, all on three slots
SWEEP_EPISODES = 1024
BATCH = 1024


@dataclass(frozen=True, slots=True)
class Case:
    """A timed call: ``rows`` decisions per call (a batch), or a ready ``timing`` per decision (a sweep)."""

    name: str
    call: Callable[[], object] | None = None
    rows: int = 1
    timing: Timing | None = None


def cases_2016337e(pool: Sequence[Observation], *, repeats: int, quick: bool) -> list[Case]:
    bundle = Policy2016337eBundle.untrained(pool[0].slot_config, SEED)
    network = bundle.network
    hidden = bundle.initial_hidden(1)

    def decide(obs: Observation) -> object:
        explanation = explain_masks(masks_2016337e.mask_inputs(obs))
        batch = build_policy_batch([obs], mask_rows=[explanation.masks()])
        return to_host(bundle.get_action(batch, hidden))

    one = _inputs(bundle, pool[:1])
    many = _inputs(bundle, [pool[index % len(pool)] for index in range(BATCH)])
    wide = bundle.initial_hidden(BATCH)

    def ours(inputs: tuple, h: tuple) -> Callable[[], object]:
        state, blueprints, masks, by_op = inputs
        return lambda: network.get_action(state, blueprints, h, masks, by_op, probability_floor=PROBABILITY_FLOOR)

    cases = [
        Case("2016337e: decision + host copy", cycling(decide, pool)),
        Case("2016337e: network get_action, built inputs", ours(one, hidden)),
        Case(f"2016337e: network get_action, batch {BATCH:,}", ours(many, wide), rows=BATCH),
        Case(
            f"2016337e: sweep, {SWEEP_EPISODES if not quick else 16:,} episodes (per decision)",
            timing=time_sweep(16 if quick else SWEEP_EPISODES, repeats),
        ),
    ]
    reference = reference_network(network)
    if reference is not None:
        cases.append(Case("2016337e: reference get_action, same inputs", _call(reference, one, hidden)))
        cases.append(Case(f"2016337e: reference get_action, batch {BATCH:,}", _call(reference, many, wide), rows=BATCH))
    return cases


def _inputs(bundle: Policy2016337eBundle, observations: Sequence[Observation]) -> tuple:
    """(state, blueprint indices, masks, slot-by-op) for ``observations``, as the session builds them."""
    state, blueprints, by_op = bundle.network_inputs(observations)
    rows = [explain_masks(masks_2016337e.mask_inputs(obs)).masks() for obs in observations]
    return state, blueprints, dict(build_policy_batch(observations, mask_rows=rows).masks), by_op


def time_sweep(episodes: int, repeats: int) -> Timing:
    """Seconds per decision of ``BatchedSweep.run`` over ``episodes`` (sessions opened before the clock)."""
    with tempfile.TemporaryDirectory() as folder:
        checkpoint = default_size_checkpoint(Path(folder) / "ppo-2016337e.pt")
        specs = sweep_episodes([(lesson, scenario_path(lesson)) for lesson in LESSONS], range(256), [str(checkpoint)])
        specs = specs[:episodes]
        factory = EpisodeFactory(torch.device("cpu"), deterministic=False)
        samples = []
        for index in range(repeats + 1):  # the first is a warm-up
            sweep = BatchedSweep(specs, SweepSettings(device="cpu"), factory=factory)
            start = time.perf_counter()
            decisions = sweep.run().decisions
            if index:
                samples.append((time.perf_counter() - start) / decisions)
    return Timing(tuple(samples))


def default_size_checkpoint(path: Path) -> Path:
    """The reference checkpoint's fields with an untrained network of the default sizes, saved to ``path``."""
    fields = torch.load(REFERENCE_CHECKPOINT, weights_only=True)
    wide = Policy2016337eBundle.untrained(SlotConfig(tuple(fields["architecture"]["slot_ids"])), SEED)
    fields["network_state_dict"] = wide.state_dict()
    torch.save(fields, path)
    return path


def reference_network(ours: torch.nn.Module) -> torch.nn.Module | None:
    """The reference's network with our weights, if ``ESPER_LITE_2016337E`` names a checkout that imports."""
    root = os.environ.get("ESPER_LITE_2016337E")
    if not root:
        return None
    sys.path.insert(0, str(Path(root) / "src"))
    try:
        from esper.leyline.slot_config import SlotConfig as ReferenceSlots
        from esper.tamiyo.networks.factored_lstm import FactoredRecurrentActorCritic as Reference
    except ImportError as error:
        print(f"reference rows left out: {error}", file=sys.stderr)
        return None
    network = Reference(state_dim=ours.state_dim, slot_config=ReferenceSlots(tuple(ours.slot_config.slot_ids)))
    network.load_state_dict(ours.state_dict())
    return network.train(False)


def _call(reference: torch.nn.Module, inputs: tuple, hidden: tuple) -> Callable[[], object]:
    return lambda: reference_get_action(reference, inputs, hidden)


@torch.inference_mode()
def reference_get_action(reference: torch.nn.Module, inputs: tuple, hidden: tuple) -> object:
    state, blueprints, masks, by_op = inputs
    return reference.get_action(
        state,
        blueprints,
        hidden=hidden,
        slot_mask=masks["slot"],
        blueprint_mask=masks["blueprint"],
        style_mask=masks["style"],
        tempo_mask=masks["tempo"],
        alpha_target_mask=masks["alpha_target"],
        alpha_speed_mask=masks["alpha_speed"],
        alpha_curve_mask=masks["alpha_curve"],
        op_mask=masks["op"],
        slot_by_op_mask=by_op,
        probability_floor=dict(PROBABILITY_FLOOR),
    )
