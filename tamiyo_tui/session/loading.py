"""Turn a PolicySpec into the bundles a session runs: the chosen one plus its counterpart.

Every session holds both an LSTM and a heuristic bundle so the operator can switch and compare: the one
the spec names is configured from it, the other is the built-in default (an untrained LSTM seeded with
``DEFAULT_INIT_SEED``, or the heuristic with default thresholds).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from tamiyo_tui.errors import InputError
from tamiyo_tui.generations.esper_2016337e import masks as masks_2016337e
from tamiyo_tui.generations.esper_2016337e.heuristic import HeuristicTamiyo2016337e
from tamiyo_tui.policy.bundle_2016337e import Policy2016337eBundle
from tamiyo_tui.policy.checkpoint import CheckpointError, load_checkpoint
from tamiyo_tui.policy.devices import resolve_device
from tamiyo_tui.policy.heuristic_bundle import HeuristicPolicyBundle
from tamiyo_tui.policy.lstm_bundle import LSTMPolicyBundle
from tamiyo_tui.rules.heuristic import HeuristicConfig, HeuristicTamiyo
from tamiyo_tui.rules.masks import MaskInputs
from tamiyo_tui.session.decide import PolicyRunner
from tamiyo_tui.session.policy_spec import DEFAULT_INIT_SEED, PolicySpec
from tamiyo_tui.sim.scenario import (
    ESPER_2016337E_LIFECYCLE,
    ESPER_60205274_LIFECYCLE,
    Scenario,
)


@dataclass(frozen=True, slots=True)
class LoadedPolicies:
    runner: PolicyRunner
    active: str  # the bundle the spec names: "lstm" or "heuristic"
    spec: PolicySpec
    checkpoint_sha256: str | None
    device: torch.device
    scenario: Scenario  # the scenario as the policies play it (widened to a checkpoint's slot layout)


def untrained_lstm(scenario: Scenario, init_seed: int = DEFAULT_INIT_SEED) -> LSTMPolicyBundle:
    """A freshly initialized network, identical for the same seed, without touching the global RNG."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(init_seed)
        return LSTMPolicyBundle(slot_config=scenario.slot_config)


def load_policies(spec: PolicySpec, scenario: Scenario, device: str | torch.device = "auto") -> LoadedPolicies:
    """The bundles a run of ``scenario`` by ``spec`` needs. A checkpoint of the 2016337e generation runs under
    that generation's lifecycle unless the scenario names one (its ``lifecycle`` key); the heuristic and the
    untrained partner are those of the generation in force."""
    target = resolve_device(device) if isinstance(device, str) else device
    checkpoint_sha256 = None
    lstm: LSTMPolicyBundle | Policy2016337eBundle | None = None
    if spec.checkpoint is not None:
        loaded = load_checkpoint(spec.checkpoint, target)
        lstm, checkpoint_sha256 = loaded.bundle, loaded.sha256
        scenario = _fit_to_checkpoint(scenario, lstm, spec)
        scenario = _under_the_checkpoints_generation(scenario, lstm, spec)
    later = scenario.lifecycle_in_force == ESPER_2016337E_LIFECYCLE
    try:
        heuristic = HeuristicPolicyBundle(
            config=HeuristicConfig.from_mapping(spec.heuristic),
            topology=scenario.topology,
            slot_config=scenario.slot_config,
            controller=HeuristicTamiyo2016337e if later else HeuristicTamiyo,
            mask_inputs=masks_2016337e.mask_inputs if later else MaskInputs.from_observation,
        )
    except ValueError as err:  # a rotation with blueprints this scenario's topology does not have
        raise InputError(f"{spec.policy_id}: {err}") from None
    if lstm is None:
        init_seed = spec.init_seed if spec.bundle == "lstm" else DEFAULT_INIT_SEED
        lstm = (
            Policy2016337eBundle.untrained(scenario.slot_config, init_seed)
            if later
            else untrained_lstm(scenario, init_seed)
        )
    lstm.to(target)
    runner = PolicyRunner({"heuristic": heuristic, "lstm": lstm}, device=target)
    return LoadedPolicies(runner, spec.bundle, spec, checkpoint_sha256, target, scenario)


def _under_the_checkpoints_generation(
    scenario: Scenario, lstm: LSTMPolicyBundle | Policy2016337eBundle, spec: PolicySpec
) -> Scenario:
    """One generation per session: a checkpoint runs under its own generation's lifecycle and masks, which a
    scenario that names no ``lifecycle`` takes from it; a scenario that names the other one is refused."""
    generation = ESPER_2016337E_LIFECYCLE if isinstance(lstm, Policy2016337eBundle) else ESPER_60205274_LIFECYCLE
    if scenario.lifecycle is None:
        return dataclasses.replace(scenario, lifecycle=generation)
    if scenario.lifecycle != generation:
        raise InputError(
            f"{spec.checkpoint}: a policy of the {generation} generation cannot run under {scenario.path}'s "
            f"'lifecycle: {scenario.lifecycle}' (its masks and gates are another generation's); remove the key "
            "or use a policy of that generation"
        )
    return scenario


def _fit_to_checkpoint(scenario: Scenario, lstm: LSTMPolicyBundle | Policy2016337eBundle, spec: PolicySpec) -> Scenario:
    """A network serves one slot layout; a lesson written for a subset of it is widened (extra slots
    disabled, which changes no decision), anything else is an error naming both layouts."""
    layout = lstm.slot_config
    if scenario.slot_config == layout:
        return scenario
    try:
        return scenario.widened_to(layout)
    except ValueError:
        raise CheckpointError(
            f"{spec.checkpoint}: the checkpoint's slots {list(layout.slot_ids)} do not contain the "
            f"scenario's slots {list(scenario.slot_config.slot_ids)}"
        ) from None
