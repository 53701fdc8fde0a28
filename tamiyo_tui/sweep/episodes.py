"""The episodes of a sweep: every (scenario, policy, seed), each an ``InspectionSession`` like ``run``'s.

A scenario and its policy are loaded once, and every seed of them plays on the same bundles: the bundles
keep no per-episode state (each session's ``PolicyRunner`` holds it), and loading a checkpoint a thousand
times would cost more than the sweep. Each episode is what ``open_run(path, policy=…, seed=…)`` builds,
except that every bundle decides on every step (``shadow``), as in the inspector: the partner bundle's
decision is what a disagreement is measured against, and it changes nothing the active bundle records.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from tamiyo_tui.session.decide import PolicyRunner
from tamiyo_tui.session.loading import LoadedPolicies, load_policies
from tamiyo_tui.session.policy_spec import open_scenario
from tamiyo_tui.session.session import InspectionSession


@dataclass(frozen=True, slots=True)
class EpisodeSpec:
    """One episode to run: the scenario and policy as the command line gave them, and a seed."""

    scenario: str  # as given (a lesson name or a path): the finding's command repeats it
    scenario_path: str  # the file it names
    seed: int
    policy: str | None  # as given to --policy; None: the scenario's own policy key
    index: int  # the episode's place in the sweep, which orders every result


def sweep_episodes(
    scenarios: Sequence[tuple[str, str]], seeds: Sequence[int], policies: Sequence[str | None]
) -> list[EpisodeSpec]:
    """Every (scenario, policy, seed), in that nesting order; ``scenarios`` holds (as given, path) pairs."""
    combos = [(given, path, policy, seed) for given, path in scenarios for policy in policies for seed in seeds]
    return [
        EpisodeSpec(scenario=given, scenario_path=path, seed=seed, policy=policy, index=index)
        for index, (given, path, policy, seed) in enumerate(combos)
    ]


@dataclass
class Episode:
    """A running episode: its session, which bundle acts, and what the findings need from the last step."""

    spec: EpisodeSpec
    session: InspectionSession
    policies: LoadedPolicies
    partner: str | None  # the bundle compared with the active one; None when only one is loaded
    previous_value: float | None = None


class EpisodeFactory:
    """Opens episodes, loading each (scenario, policy) pair once."""

    def __init__(self, device: torch.device, deterministic: bool) -> None:
        self.device = device
        self.deterministic = deterministic
        self._loaded: dict[tuple[str, str | None], LoadedPolicies] = {}

    def open(self, spec: EpisodeSpec) -> Episode:
        """The episode ``spec`` names; bad input (a scenario, a policy, a checkpoint) raises an InputError."""
        policies = self._policies(spec.scenario_path, spec.policy)
        scenario = dataclasses.replace(policies.scenario, seed=spec.seed)
        # A fresh runner per episode: the bundles are shared, each episode's policy state is its own.
        runner = PolicyRunner(policies.runner.bundles, device=self.device)
        session = InspectionSession(
            scenario,
            runner,
            active=policies.active,
            deterministic=self.deterministic,
            shadow=True,
            keep_records=False,
        )
        partners = [name for name in runner.bundle_names if name != policies.active]
        return Episode(spec, session, policies, partners[0] if partners else None)

    def _policies(self, path: str, policy: str | None) -> LoadedPolicies:
        key = (path, policy)
        if key not in self._loaded:
            scenario, spec = open_scenario(path, policy=policy)
            self._loaded[key] = load_policies(spec, scenario, self.device)
        return self._loaded[key]

    @property
    def loaded(self) -> list[LoadedPolicies]:
        return list(self._loaded.values())
