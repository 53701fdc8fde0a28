"""A live run before its policy has loaded: the scenario and the policy, each read once, and the first frame.

The first frame comes from the pure simulator and rule set, so a view can paint it before torch has
loaded (this module imports no torch). ``Preview.open`` then starts the session on what was read, without
reading the scenario or the policy file again; it imports torch, so it runs where policy work runs (the
TUI's engine thread).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tamiyo_tui.errors import InputError
from tamiyo_tui.session.frames import build_frame, pending_state
from tamiyo_tui.session.policy_spec import PolicySpec, open_scenario
from tamiyo_tui.session.recording import explain_state, run_header
from tamiyo_tui.session.view import Frame
from tamiyo_tui.sim.scenario import Scenario
from tamiyo_tui.sim.simulator import Simulator

if TYPE_CHECKING:  # imports torch
    from tamiyo_tui.session.live import LiveInspector


@dataclass(frozen=True, slots=True)
class Preview:
    """What the command line asked for, with the scenario and the policy already read."""

    scenario: Scenario  # ``--seed`` applied
    spec: PolicySpec
    device: str = "auto"  # as asked for: resolved once torch has loaded
    deterministic: bool = False
    at: int | None = None  # ``--at``: the epoch whose decision the inspector opens at, replayed

    def first_frame(self) -> Frame:
        """The scenario's first state, with the rule set's masks and no decision yet."""
        simulator = Simulator(self.scenario)
        observation = simulator.observe()
        explanation = explain_state(
            observation,
            governor_override=simulator.governor_override_active,
            lifecycle=self.scenario.lifecycle_in_force,
        )
        return build_frame(
            run_header(self.scenario, self.spec, device=self.device),
            pending_state(self.scenario, simulator.epoch, observation, explanation),
            position=0,
            bundle=self.spec.bundle,
            deterministic=self.deterministic,
        )

    def open(self) -> LiveInspector:
        """Import torch, load the policies and start the session (bad input found now raises an InputError)."""
        from tamiyo_tui.session.live import LiveInspector

        return LiveInspector.start(
            self.scenario, self.spec, device=self.device, deterministic=self.deterministic, at=self.at
        )


def open_preview(
    scenario_path: str,
    *,
    policy: str | None = None,
    device: str = "auto",
    seed: int | None = None,
    deterministic: bool = False,
    at: int | None = None,
) -> Preview:
    """Read the scenario and resolve the policy (pure); bad input raises an InputError."""
    scenario, spec = open_scenario(scenario_path, policy=policy, seed=seed)
    if at is not None and not 1 <= at <= scenario.episode_length:
        raise InputError(f"--at {at}: {scenario.path} decides at epochs 1 to {scenario.episode_length}")
    return Preview(scenario, spec, device, deterministic, at)
