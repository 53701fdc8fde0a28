"""The episodes of a sweep: every (scenario, policy, seed), each an ``InspectionSession`` like ``run``'s.

A scenario and its policy are loaded once, and every seed of them plays on the same bundles: the bundles
keep no per-episode state (each session's ``PolicyRunner`` holds it), and loading a checkpoint a thousand
times would cost more than the sweep. Each episode is what ``open_run(path, policy=…, seed=…)`` builds.
An LSTM episode also has its partner, the heuristic, decide on every step (``shadow``, as in the
inspector): a disagreement with the rules is worth a look, and the partner's decision changes nothing the
active bundle records. The heuristic's own partner is an untrained network, whose near-uniform choices
say nothing about the rules, so a heuristic episode decides alone, as in ``run``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from tamiyo_tui.policy.heuristic_bundle import HeuristicPolicyBundle
from tamiyo_tui.session.decide import PolicyRunner
from tamiyo_tui.session.loading import LoadedPolicies, load_policies
from tamiyo_tui.session.policy_spec import open_scenario
from tamiyo_tui.session.session import InspectionSession
from tamiyo_tui.sim.scenario import Scenario


@dataclass(frozen=True, slots=True)
class EpisodeSpec:
    """One episode to run: the scenario and policy as the command line gave them, and a seed."""

    scenario: str  # as given (a lesson name or a path): the finding's command repeats it
    scenario_path: str  # the file it names
    seed: int | None  # None: the scenario's own seed
    policy: str | None  # as given to --policy; None: the scenario's own policy key
    index: int  # the episode's place in the sweep, which orders every result


def sweep_episodes(
    scenarios: Sequence[tuple[str, str]], seeds: Sequence[int | None], policies: Sequence[str | None]
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
    partner: str | None  # the bundle the active one is compared with (the heuristic), or None
    previous_value: float | None = None

    @property
    def deciding(self) -> tuple[str, ...]:
        """The bundles that decide on every step, in the runner's order."""
        return tuple(name for name in self.session.runner.bundle_names if name in (self.session.active, self.partner))


class EpisodeFactory:
    """Opens episodes, loading each (scenario, policy) pair once."""

    def __init__(self, device: torch.device, deterministic: bool) -> None:
        self.device = device
        self.deterministic = deterministic
        self._loaded: dict[tuple[str, str | None], LoadedPolicies] = {}

    def open(self, spec: EpisodeSpec) -> Episode:
        """The episode ``spec`` names; bad input (a scenario, a policy, a checkpoint) raises an InputError."""
        policies = self._policies(spec.scenario_path, spec.policy)
        scenario = policies.scenario if spec.seed is None else dataclasses.replace(policies.scenario, seed=spec.seed)
        # A fresh runner per episode: the bundles are shared, each episode's policy state is its own.
        runner = PolicyRunner(policies.runner.bundles, device=self.device)
        rules = [
            name
            for name, bundle in runner.bundles.items()
            if name != policies.active and isinstance(bundle, HeuristicPolicyBundle)
        ]
        partner = rules[0] if rules else None
        session = InspectionSession(
            scenario,
            runner,
            active=policies.active,
            deterministic=self.deterministic,
            shadow=partner is not None,
            keep_records=False,
        )
        return Episode(spec, session, policies, partner)

    def scenario_of(self, spec: EpisodeSpec) -> Scenario:
        """The scenario ``spec`` plays, as its policy plays it (loading the pair if it is new)."""
        return self._policies(spec.scenario_path, spec.policy).scenario

    def _policies(self, path: str, policy: str | None) -> LoadedPolicies:
        key = (path, policy)
        if key not in self._loaded:
            scenario, spec = open_scenario(path, policy=policy)
            self._loaded[key] = load_policies(spec, scenario, self.device)
        return self._loaded[key]
