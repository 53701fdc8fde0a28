"""Run every loaded bundle on one observation and bring what an inspector shows to the host.

The runner owns the bundles' per-episode state (the LSTM hidden state, the heuristic's counters) so the
session can checkpoint and restore it; ``decide`` never changes that state, ``commit`` does.

What a commit means differs by kind of state. A recurrent bundle's hidden state is a function of the
observations it saw, so its own decision's next hidden state is committed, whether or not it acted. A
bundle whose memory depends on what was done (``FollowsTheRun``: the heuristic's rotation, embargo and
penalties) is moved on by the action that was really carried out, whoever chose it; its own proposal
commits nothing unless it is that action.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import torch

from tamiyo_tui.domain.actions import HEAD_NAMES, FactoredAction
from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.policy.batch import build_policy_batch
from tamiyo_tui.policy.host_transfer import HostCritic, HostHead, to_host
from tamiyo_tui.policy.protocol import PolicyBundle
from tamiyo_tui.policy.types import Hidden


@dataclass(frozen=True, slots=True)
class BundleDecision:
    """One bundle's choice on one state, as host-side numbers."""

    bundle: str
    action: FactoredAction
    chosen: dict[str, str]  # head -> option name
    heads: dict[str, HostHead]  # per head: its numbers for this state
    value: float | None  # None: the bundle has no value function
    hidden_norm: float | None
    reason: str | None
    # The bundle's state were this decision committed (see ``PolicyRunner.commit``); None for a bundle that
    # follows the run, whose state moves on by the action carried out instead.
    next_state: Any
    telemetry_features: bool | None = None  # the network read the telemetry blocks; None: not a network
    critic: HostCritic | None = None  # Q(s, op), contributions and pre-floor probabilities (2016337e networks)


@runtime_checkable
class FollowsTheRun(Protocol):
    """A bundle whose per-episode state is moved on by the executed action, not by its own proposal."""

    def state_after(self, state: Any, observation: Observation, action: FactoredAction, *, accepted: bool) -> Any: ...


@dataclass(frozen=True, slots=True)
class RunnerState:
    """Per-episode policy state, by bundle name (an LSTM hidden tuple, a heuristic state dict)."""

    states: dict[str, Any]


class PolicyRunner:
    def __init__(self, bundles: Mapping[str, PolicyBundle], device: torch.device | str = "cpu") -> None:
        if not bundles:
            raise ValueError("PolicyRunner needs at least one bundle")
        self.bundles = dict(bundles)
        self.device = torch.device(device)
        self._generator = torch.Generator(device=self.device)
        self._states: dict[str, Any] = {name: self._initial_state(bundle) for name, bundle in self.bundles.items()}
        # One batch serves every bundle; the heuristic reads no features, so a telemetry LSTM decides it.
        self.use_telemetry = any(getattr(bundle, "use_telemetry", False) for bundle in self.bundles.values())
        # Asked once: a runtime-checkable Protocol's isinstance inspects the class on every call.
        self._follow_the_run = {name for name, bundle in self.bundles.items() if isinstance(bundle, FollowsTheRun)}

    @property
    def bundle_names(self) -> tuple[str, ...]:
        return tuple(self.bundles)

    def decide(
        self,
        observation: Observation,
        *,
        governor_override: bool,
        deterministic: bool,
        sample_seed: int,
        bundles: tuple[str, ...] | None = None,
        masks: Mapping[str, tuple[bool, ...]] | None = None,
    ) -> dict[str, BundleDecision]:
        """Decisions of ``bundles`` (default: all) on ``observation``; their state is left unchanged.

        ``masks`` are the pure rules' masks when the caller already has them (the session does).
        """
        batch = build_policy_batch(
            [observation],
            self.device,
            allow_governor_override=governor_override,
            mask_rows=None if masks is None else [masks],
            telemetry=self.use_telemetry,
        )
        decisions = {}
        for name in bundles or self.bundle_names:
            bundle = self.bundles[name]
            self._generator.manual_seed(sample_seed)
            if bundle.is_recurrent:
                result = bundle.get_action(batch, self._states[name], deterministic, generator=self._generator)
                next_state = result.hidden
            else:
                # Rule-based bundles keep their counters inside; decide, capture, then put them back.
                bundle.load_state_dict(self._states[name])
                result = bundle.get_action(batch, None, deterministic, generator=self._generator)
                next_state = None if name in self._follow_the_run else bundle.state_dict()
                bundle.load_state_dict(self._states[name])
            telemetry = self.use_telemetry if bundle.is_recurrent else None
            decisions[name] = self._to_decision(name, result, observation, next_state, telemetry)
        return decisions

    def commit(
        self,
        decisions: Mapping[str, BundleDecision],
        *,
        observation: Observation,
        action: FactoredAction,
        accepted: bool,
    ) -> None:
        """The step on ``observation`` is taken: ``action`` was carried out (``accepted`` by the lifecycle).

        Bundles that follow the run (``FollowsTheRun``) are moved on by that action, decided here or not;
        every other bundle in ``decisions`` commits its own decision's next state.
        """
        for name, bundle in self.bundles.items():
            if name in self._follow_the_run:
                self._states[name] = bundle.state_after(self._states[name], observation, action, accepted=accepted)
            elif name in decisions:
                self._states[name] = decisions[name].next_state

    def get_state(self) -> RunnerState:
        return RunnerState(dict(self._states))

    def set_state(self, state: RunnerState) -> None:
        self._states = dict(state.states)

    def reset(self) -> None:
        self._states = {name: self._initial_state(bundle) for name, bundle in self.bundles.items()}

    def _initial_state(self, bundle: PolicyBundle) -> Hidden | dict[str, Any] | None:
        if bundle.is_recurrent:
            return bundle.initial_hidden(1)
        reset = getattr(bundle, "reset", None)
        if reset is not None:
            reset()
        return bundle.state_dict()

    def _to_decision(
        self, name: str, result: Any, observation: Observation, next_state: Any, telemetry: bool | None
    ) -> BundleDecision:
        (row,) = to_host(result)
        action = FactoredAction.from_indices(*(row.heads[head].action for head in HEAD_NAMES))
        return BundleDecision(
            bundle=name,
            action=action,
            chosen=action.option_names(observation.slot_config),
            heads=row.heads,
            value=row.value if result.extras.get("has_value", True) else None,
            hidden_norm=row.hidden_norm,
            reason=result.reasons[0] if result.reasons else None,
            next_state=next_state,
            telemetry_features=telemetry,
            critic=row.critic,
        )
