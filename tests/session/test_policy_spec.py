"""What ``--policy`` names: built-ins, checkpoints and policy files, and a ScenarioError at file:line:col for each
kind of bad policy file; then ``load_policies`` turning a spec into the two bundles a session runs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import torch

from tamiyo_tui.errors import InputError
from tamiyo_tui.policy.checkpoint import save_checkpoint
from tamiyo_tui.policy.lstm_bundle import LSTMPolicyBundle
from tamiyo_tui.session.loading import load_policies, untrained_lstm
from tamiyo_tui.session.policy_spec import DEFAULT_INIT_SEED, PolicySpec, load_policy_file, resolve_policy
from tamiyo_tui.sim.errors import ScenarioError
from tamiyo_tui.sim.loader import parse_scenario
from tamiyo_tui.sim.scenario import Scenario

SCENARIO_YAML = """\
schema: 1
name: policy spec test
description: two slots
episode_length: 5
slots: [r0c0, r0c1]
host:
  val_accuracy: [50.0, 51.0, 52.0]
"""


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return parse_scenario(SCENARIO_YAML, "spec.yaml")


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- built-ins and checkpoints ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["heuristic", "lstm"])
def test_built_in_names(name: str) -> None:
    assert resolve_policy(name) == PolicySpec(policy_id=name, bundle=name, description=f"built-in {name} policy")  # type: ignore[arg-type]


def test_no_name_takes_the_scenario_default() -> None:
    assert resolve_policy(None, "lstm").bundle == "lstm"
    assert resolve_policy(None).bundle == "heuristic"


def test_a_checkpoint_path(tmp_path: Path) -> None:
    path = tmp_path / "weights.pt"
    path.write_bytes(b"any bytes: the checkpoint is read later, by load_policies")

    spec = resolve_policy(str(path))

    assert (spec.policy_id, spec.bundle, spec.checkpoint) == (str(path), "lstm", path)


def test_a_missing_checkpoint(tmp_path: Path) -> None:
    path = str(tmp_path / "gone.pt")
    with pytest.raises(ScenarioError) as error:
        resolve_policy(path)
    assert str(error.value) == f"{path}: checkpoint file not found"


@pytest.mark.parametrize("name", ["ppo", "policy.json", "LSTM"])
def test_an_unknown_policy_name(name: str) -> None:
    with pytest.raises(InputError) as error:  # not a file, so no file:line:col to point at
        resolve_policy(name)
    hint = " (did you mean 'lstm'?)" if name == "LSTM" else ""
    assert str(error.value) == (
        f"unknown policy {name!r}{hint}: use heuristic, lstm, heuristic.yaml, lstm-bc, lstm-untrained "
        "(tamiyo-tui policies), a policy file (*.yaml) or a checkpoint (*.pt)"
    )


@pytest.mark.parametrize(
    ("name", "bundle", "checkpoint"),
    [
        ("lstm-bc", "lstm", "lstm-bc.pt"),
        ("lstm-bc.yaml", "lstm", "lstm-bc.pt"),
        ("lstm-untrained", "lstm", None),
        ("heuristic.yaml", "heuristic", None),
        ("lstm-bc.pt", "lstm", "lstm-bc.pt"),
    ],
)
def test_a_shipped_policy_by_name_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, bundle: str, checkpoint: str | None
) -> None:
    monkeypatch.chdir(tmp_path)  # no policies/ here: the name finds the shipped file

    spec = resolve_policy(name)

    assert (spec.policy_id, spec.bundle) == (name, bundle)
    assert (spec.checkpoint.name if spec.checkpoint else None) == checkpoint
    assert spec.checkpoint is None or spec.checkpoint.is_file()


def test_a_file_that_exists_wins_over_a_shipped_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "lstm-bc.yaml", "bundle: heuristic\ndescription: mine, not the shipped one\n")

    spec = resolve_policy("lstm-bc.yaml")

    assert (spec.bundle, spec.description) == ("heuristic", "mine, not the shipped one")
    assert resolve_policy("lstm-bc").bundle == "lstm"  # no file called lstm-bc: the shipped name


# --- policy files -----------------------------------------------------------------------------------------


def test_an_lstm_policy_file_with_a_checkpoint_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "policies" / "weights").mkdir(parents=True)
    (tmp_path / "policies" / "weights" / "bc.pt").write_bytes(b"weights")
    file = write(
        tmp_path / "policies" / "lstm-bc.yaml",
        "bundle: lstm\ndescription: behaviour-cloned\ncheckpoint: weights/bc.pt\n",
    )

    spec = resolve_policy(file)

    assert spec == PolicySpec(
        policy_id=file,
        bundle="lstm",
        description="behaviour-cloned",
        checkpoint=tmp_path / "policies" / "weights" / "bc.pt",
    )


def test_an_untrained_lstm_policy_file_with_its_init_seed(tmp_path: Path) -> None:
    file = write(tmp_path / "fresh.yml", "bundle: lstm\ndescription: untrained\ninit_seed: 7\n")
    assert load_policy_file(file) == PolicySpec(file, "lstm", "untrained", None, 7, {})


def test_a_heuristic_policy_file_with_thresholds(tmp_path: Path) -> None:
    file = write(
        tmp_path / "patient.yaml",
        "bundle: heuristic\n"
        "description: waits longer\n"
        "heuristic:\n"
        "  plateau_epochs_to_germinate: 6\n"
        "  prune_if_accuracy_drops_by: 1\n"
        "  blueprint_rotation: [norm, conv_light]\n",
    )

    spec = resolve_policy(file)

    assert (spec.bundle, spec.description, spec.checkpoint) == ("heuristic", "waits longer", None)
    assert spec.heuristic == {
        "plateau_epochs_to_germinate": 6,
        "prune_if_accuracy_drops_by": 1.0,
        "blueprint_rotation": ("norm", "conv_light"),
    }
    assert type(spec.heuristic["prune_if_accuracy_drops_by"]) is float


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            "bundle: lstm\ndescription: d\ncheckpointt: w.pt\n",
            "3:1",
            "unknown key 'checkpointt' (did you mean 'checkpoint'?)",
        ),
        ("bundle: ppo\ndescription: d\n", "1:1", "bundle: unknown bundle 'ppo'; valid: heuristic, lstm"),
        ("bundle: lstm\n", "1:1", "missing required key 'description'"),
        ("- bundle: lstm\n", "1:1", "must be a mapping, got a list"),
        (
            "bundle: [lstm\n",
            "2:1",
            "invalid YAML: expected ',' or ']', but got '<stream end>' (while parsing a flow sequence)",
        ),
        (
            "bundle: heuristic\ndescription: d\ncheckpoint: w.pt\n",
            "3:1",
            "checkpoint: only an lstm bundle takes a checkpoint",
        ),
        (
            "bundle: lstm\ndescription: d\ncheckpoint: gone.pt\n",
            "3:1",
            "checkpoint: checkpoint file not found: {dir}/gone.pt",
        ),
        (
            "bundle: heuristic\ndescription: d\nheuristic:\n  plateau_epochs: 3\n",
            "4:3",
            "heuristic: unknown heuristic setting 'plateau_epochs' (did you mean 'plateau_epochs_to_germinate'?)",
        ),
        (
            "bundle: lstm\ndescription: d\nheuristic:\n  plateau_epochs_to_germinate: 3\n",
            "3:1",
            "heuristic: heuristic thresholds only apply to a heuristic bundle",
        ),
        (
            "bundle: heuristic\ndescription: d\nheuristic:\n  plateau_epochs_to_germinate: 2.5\n",
            "4:3",
            "heuristic.plateau_epochs_to_germinate: must be an integer ≥ 0, got a number",
        ),
        (
            "bundle: heuristic\ndescription: d\nheuristic:\n  blueprint_rotation: [norm, warp]\n",
            "4:30",
            "heuristic.blueprint_rotation[1]: unknown blueprint 'warp'; valid: noop, conv_light, attention, norm, "
            "depthwise, bottleneck, conv_small, conv_heavy, lora, lora_large, mlp_small, mlp, flex_attention",
        ),
        ("bundle: lstm\ndescription: d\ninit_seed: -1\n", "3:1", "init_seed: must be an integer ≥ 0"),
    ],
    ids=[
        "unknown-key",
        "wrong-bundle",
        "missing-description",
        "not-a-mapping",
        "malformed-yaml",
        "checkpoint-on-heuristic",
        "missing-checkpoint",
        "unknown-heuristic-setting",
        "thresholds-on-lstm",
        "wrong-threshold-type",
        "unknown-blueprint-in-rotation",
        "negative-init-seed",
    ],
)
def test_a_bad_policy_file_names_file_line_and_column(tmp_path: Path, text: str, where: str, message: str) -> None:
    file = write(tmp_path / "bad.yaml", text)

    with pytest.raises(ScenarioError) as error:
        resolve_policy(file)

    assert str(error.value) == f"{file}:{where}: {message.format(dir=tmp_path)}"


def test_a_missing_policy_file(tmp_path: Path) -> None:
    file = str(tmp_path / "gone.yaml")
    with pytest.raises(ScenarioError) as error:
        resolve_policy(file)
    assert str(error.value) == f"{file}: file not found"


# --- load_policies --------------------------------------------------------------------------------------


def test_every_session_gets_both_bundles_and_the_named_one_is_active(scenario: Scenario) -> None:
    loaded = load_policies(resolve_policy("heuristic"), scenario, "cpu")

    assert loaded.runner.bundle_names == ("heuristic", "lstm")
    assert loaded.active == "heuristic"
    assert loaded.checkpoint_sha256 is None
    assert loaded.device == torch.device("cpu")


def test_an_untrained_lstm_is_the_same_for_the_same_init_seed_and_leaves_the_global_rng_alone(
    scenario: Scenario,
) -> None:
    before = torch.random.get_rng_state()
    first, second = untrained_lstm(scenario, 3), untrained_lstm(scenario, 3)
    other = untrained_lstm(scenario, DEFAULT_INIT_SEED)

    assert torch.equal(torch.random.get_rng_state(), before)
    weights = first.state_dict()
    assert all(torch.equal(weights[key], value) for key, value in second.state_dict().items())
    assert not torch.equal(weights["lstm.weight_ih_l0"], other.state_dict()["lstm.weight_ih_l0"])


def test_a_checkpoint_is_loaded_with_its_sha256(tmp_path: Path, scenario: Scenario) -> None:
    torch.manual_seed(1)
    saved = LSTMPolicyBundle(slot_config=scenario.slot_config)
    path = tmp_path / "w.pt"
    save_checkpoint(path, saved)

    loaded = load_policies(resolve_policy(str(path)), scenario, "cpu")

    assert loaded.active == "lstm"
    assert loaded.checkpoint_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    lstm_weights = loaded.runner.bundles["lstm"].state_dict()
    assert all(torch.equal(lstm_weights[key], value) for key, value in saved.state_dict().items())


def test_a_rotation_the_scenarios_topology_lacks_is_an_input_error_naming_the_policy_file(
    tmp_path: Path, scenario: Scenario
) -> None:
    file = write(
        tmp_path / "lora.yaml", "bundle: heuristic\ndescription: d\nheuristic:\n  blueprint_rotation: [lora]\n"
    )

    with pytest.raises(InputError) as error:
        load_policies(resolve_policy(file), scenario, "cpu")

    assert str(error.value).startswith(f"{file}: blueprint_rotation contains blueprints not available for topology")
    assert "'lora'" in str(error.value)
