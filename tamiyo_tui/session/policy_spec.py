"""What ``--policy`` names: a built-in bundle, a shipped policy by name, a policy file (YAML), or a checkpoint.

Resolving a policy is pure (no torch): the TUI resolves it, and reports a bad policy file, before torch
has finished importing. ``tamiyo_tui.session.loading`` turns a ``PolicySpec`` into bundles.

Policy file (the keys; ``policies/README.md`` explains them)::

    bundle: lstm | heuristic          # required
    description: free text            # required
    checkpoint: lstm-bc.pt            # lstm only; relative to the policy file; omit for an untrained net
    init_seed: 0                      # lstm without checkpoint: seed of the initialization
    heuristic: {plateau_epochs_to_germinate: 3, ...}   # heuristic thresholds (any HeuristicConfig field)
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tamiyo_tui.domain.actions import BLUEPRINT_IDS
from tamiyo_tui.errors import InputError
from tamiyo_tui.rules.heuristic import HeuristicConfig
from tamiyo_tui.shipped import POLICY_SUFFIXES, policy_file_names, shipped_policy_files
from tamiyo_tui.sim.errors import ScenarioError
from tamiyo_tui.sim.loader import load_scenario
from tamiyo_tui.sim.scenario import Scenario
from tamiyo_tui.sim.yaml_nodes import YamlNode, closest_name, compose_document, read_source

BundleKind = Literal["lstm", "heuristic"]
BUILT_IN_POLICIES: tuple[str, ...] = ("heuristic", "lstm")
POLICY_FILE_KEYS = ("bundle", "description", "checkpoint", "init_seed", "heuristic")
DEFAULT_INIT_SEED = 0
_HEURISTIC_FIELDS = tuple(f.name for f in dataclasses.fields(HeuristicConfig))


@dataclass(frozen=True, slots=True)
class PolicySpec:
    policy_id: str  # what the header and the TUI show: "heuristic", "lstm", a shipped name ("lstm-bc"), a path
    bundle: BundleKind
    description: str = ""
    checkpoint: Path | None = None
    init_seed: int = DEFAULT_INIT_SEED
    heuristic: dict[str, Any] = field(default_factory=dict)


def resolve_policy(name: str | None, scenario_default: str = "heuristic") -> PolicySpec:
    """``--policy`` value (or the scenario's ``policy`` key when None) → a spec; bad input raises.

    In order: a built-in name; a file that exists (a checkpoint by its ``.pt``, else a policy file); a
    shipped policy file by name (``lstm-bc``, ``lstm-untrained``, ``heuristic.yaml``; ``tamiyo_tui.shipped``);
    then a path that does not exist is ``file not found``, and any other word an unknown policy."""
    value = name if name is not None else scenario_default
    if value in BUILT_IN_POLICIES:
        return PolicySpec(policy_id=value, bundle=value, description=f"built-in {value} policy")  # type: ignore[arg-type]
    path = Path(value)
    if path.suffix in POLICY_SUFFIXES and path.is_file():
        return _policy_at(path, policy_id=value)
    shipped = shipped_policy_files().get(value)
    if shipped is not None:
        return _policy_at(shipped, policy_id=value)
    if path.suffix in POLICY_SUFFIXES:
        return _policy_at(path, policy_id=value)  # not there: the error says so
    raise InputError(unknown_policy_message(value))


def _policy_at(path: Path, policy_id: str) -> PolicySpec:
    if path.suffix == ".pt":
        if not path.is_file():
            raise ScenarioError(str(path), 0, 0, "", "checkpoint file not found")
        return PolicySpec(policy_id=policy_id, bundle="lstm", description="checkpoint", checkpoint=path)
    return load_policy_file(path, policy_id=policy_id)


def unknown_policy_message(value: str) -> str:
    names = [*BUILT_IN_POLICIES, *policy_file_names(reserved=BUILT_IN_POLICIES)]
    guess = closest_name(value, names)
    hint = f" (did you mean {guess!r}?)" if guess else ""
    return (
        f"unknown policy {value!r}{hint}: use {', '.join(names)} (tamiyo-tui policies), "
        "a policy file (*.yaml) or a checkpoint (*.pt)"
    )


def load_policy_file(path: str | os.PathLike[str], *, policy_id: str | None = None) -> PolicySpec:
    """A policy file → its spec; ``policy_id`` (default: the path) is what headers and records call it."""
    file = os.fsdecode(path)
    text, _ = read_source(file)
    root = compose_document(text, file)
    fields = root.mapping(POLICY_FILE_KEYS, required=("bundle", "description"))
    bundle = fields["bundle"].choice(BUILT_IN_POLICIES, noun="bundle")
    description = fields["description"].string()
    checkpoint = None
    if "checkpoint" in fields:
        if bundle != "lstm":
            raise fields["checkpoint"].error("only an lstm bundle takes a checkpoint")
        checkpoint = Path(file).parent / fields["checkpoint"].string()
        if not checkpoint.is_file():
            raise fields["checkpoint"].error(f"checkpoint file not found: {checkpoint}")
    init_seed = fields["init_seed"].integer(minimum=0) if "init_seed" in fields else DEFAULT_INIT_SEED
    heuristic: dict[str, Any] = {}
    if "heuristic" in fields:
        if bundle != "heuristic":
            raise fields["heuristic"].error("heuristic thresholds only apply to a heuristic bundle")
        heuristic = _read_heuristic(fields["heuristic"])
    return PolicySpec(policy_id or file, bundle, description, checkpoint, init_seed, heuristic)  # type: ignore[arg-type]


def _read_heuristic(node: YamlNode) -> dict[str, Any]:
    values: dict[str, Any] = {}
    defaults = HeuristicConfig()
    for key, value in node.mapping(_HEURISTIC_FIELDS, noun="heuristic setting").items():
        default = getattr(defaults, key)
        if isinstance(default, tuple):
            # The one list setting is the blueprint rotation: an unknown blueprint must fail here, at its line.
            values[key] = tuple(item.choice(BLUEPRINT_IDS, noun="blueprint") for item in value.items(non_empty=True))
        elif isinstance(default, int):
            values[key] = value.integer(minimum=0)
        else:
            values[key] = value.number(minimum=0.0)
    try:
        HeuristicConfig.from_mapping(values)
    except ValueError as err:
        raise node.error(str(err)) from None
    return values


def open_scenario(path: str, *, policy: str | None = None, seed: int | None = None) -> tuple[Scenario, PolicySpec]:
    """The scenario (``seed`` overriding its own) and the policy a run of it uses; pure, so the TUI can
    report bad input before torch loads. Bad input raises an InputError."""
    scenario = load_scenario(path)
    if seed is not None:
        scenario = dataclasses.replace(scenario, seed=seed)
    return scenario, resolve_policy(policy, scenario.policy)
