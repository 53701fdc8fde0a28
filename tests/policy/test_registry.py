"""The policy registry's full protocol check, lookups, and the create_policy factory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import torch

from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.policy import registry
from tamiyo_tui.policy.factory import VALID_COMPILE_MODES, create_policy
from tamiyo_tui.policy.lstm_bundle import LSTMPolicyBundle
from tamiyo_tui.policy.protocol import REQUIRED_METHODS, REQUIRED_PROPERTIES
from tamiyo_tui.policy.registry import clear_registry, get_policy, list_policies, register_policy


@pytest.fixture
def empty_registry() -> Iterator[None]:
    """An empty registry for the test; the real registrations come back afterwards."""
    saved = dict(registry._POLICIES)
    clear_registry()
    yield
    clear_registry()
    registry._POLICIES.update(saved)


def bundle_class(name: str = "Bundle", without: tuple[str, ...] = (), **overrides: Any) -> type:
    """A class with every protocol member (methods as functions, properties as properties) minus ``without``."""
    members: dict[str, Any] = {method: lambda self, *args, **kwargs: None for method in REQUIRED_METHODS}
    members |= {prop: property(lambda self: None) for prop in REQUIRED_PROPERTIES}
    members |= {"__init__": lambda self, **config: setattr(self, "config", config)}
    members |= overrides
    for member in without:
        del members[member]
    return type(name, (), members)


def test_protocol_lists_cover_the_review_findings() -> None:
    assert "compile" in REQUIRED_METHODS
    for prop in ("slot_config", "feature_dim", "hidden_dim", "network", "is_compiled"):
        assert prop in REQUIRED_PROPERTIES


def test_complete_class_registers_and_is_returned_unchanged(empty_registry: None) -> None:
    cls = bundle_class()
    assert register_policy("complete")(cls) is cls
    assert list_policies() == ["complete"]


@pytest.mark.parametrize("member", REQUIRED_METHODS + REQUIRED_PROPERTIES)
def test_each_missing_member_is_named(empty_registry: None, member: str) -> None:
    with pytest.raises(TypeError) as error:
        register_policy("incomplete")(bundle_class("Incomplete", without=(member,)))
    assert str(error.value) == f"Incomplete does not implement PolicyBundle protocol. Missing: {member}"
    assert list_policies() == []


def test_missing_members_list_methods_first_then_properties(empty_registry: None) -> None:
    cls = bundle_class("Sparse", without=("is_compiled", "compile", "slot_config", "get_action"))
    with pytest.raises(TypeError) as error:
        register_policy("sparse")(cls)
    assert str(error.value) == (
        "Sparse does not implement PolicyBundle protocol. Missing: get_action, compile, slot_config, is_compiled"
    )


def test_properties_must_be_class_level_properties(empty_registry: None) -> None:
    instance_attribute = bundle_class(
        "InstanceAttribute", without=("feature_dim",), __init__=lambda self: setattr(self, "feature_dim", 140)
    )
    plain_value = bundle_class("PlainValue", feature_dim=140, hidden_dim=128)
    not_callable = bundle_class("NotCallable", compile="yes")
    for cls, missing in (
        (instance_attribute, "feature_dim"),
        (plain_value, "feature_dim, hidden_dim"),
        (not_callable, "compile"),
    ):
        with pytest.raises(TypeError, match=f"Missing: {missing}$"):
            register_policy("x")(cls)


def test_non_class_is_rejected(empty_registry: None) -> None:
    def factory() -> None:
        return None

    with pytest.raises(TypeError) as error:
        register_policy("function")(factory)
    assert str(error.value) == f"{factory!r} is not a class"


def test_duplicate_name_is_rejected_after_the_protocol_check(empty_registry: None) -> None:
    register_policy("dup")(bundle_class())
    with pytest.raises(ValueError) as error:
        register_policy("dup")(bundle_class())
    assert str(error.value) == "Policy 'dup' is already registered"
    with pytest.raises(TypeError):
        register_policy("dup")(bundle_class(without=("to",)))


def test_get_policy_builds_with_config_as_keywords(empty_registry: None) -> None:
    register_policy("b")(bundle_class("B"))
    register_policy("a")(bundle_class("A"))
    policy = get_policy("a", {"hidden_dim": 7})
    assert type(policy).__name__ == "A"
    assert policy.config == {"hidden_dim": 7}
    assert list_policies() == ["b", "a"]
    with pytest.raises(ValueError) as error:
        get_policy("missing", {})
    assert str(error.value) == "Unknown policy: 'missing'. Available: a, b"


def test_get_policy_on_empty_registry(empty_registry: None) -> None:
    with pytest.raises(ValueError) as error:
        get_policy("lstm", {})
    assert str(error.value) == "Unknown policy: 'lstm'. Available: (none registered)"


def test_lstm_bundle_registers_itself_and_passes_the_check() -> None:
    assert "lstm" in list_policies()
    assert registry.missing_protocol_members(LSTMPolicyBundle) == []


# --- factory -------------------------------------------------------------------------------------------


def test_create_policy_requires_slot_config() -> None:
    with pytest.raises(TypeError, match="slot_config"):
        create_policy("lstm")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        create_policy("lstm", SlotConfig.default())  # type: ignore[misc]


def test_invalid_compile_mode_is_checked_first() -> None:
    with pytest.raises(ValueError) as error:
        create_policy("no-such-policy", slot_config=SlotConfig.default(), compile_mode="fast")
    assert str(error.value) == (
        "compile_mode must be one of ['default', 'max-autotune', 'off', 'reduce-overhead'], got 'fast'"
    )
    assert {"off", "default", "reduce-overhead", "max-autotune"} == VALID_COMPILE_MODES


@pytest.mark.parametrize(
    ("slot_config", "feature_dim"), [(SlotConfig.default(), 140), (SlotConfig.for_grid(2, 2), 179)]
)
def test_create_policy_derives_observation_size_from_slot_config(slot_config: SlotConfig, feature_dim: int) -> None:
    policy = create_policy("lstm", slot_config=slot_config, lstm_hidden_dim=32, num_lstm_layers=2)
    assert isinstance(policy, LSTMPolicyBundle)
    assert policy.slot_config == slot_config
    assert policy.feature_dim == feature_dim
    assert (policy.hidden_dim, policy.num_lstm_layers) == (32, 2)
    assert policy.network.feature_net[0].in_features == feature_dim
    assert policy.device == torch.device("cpu")
    assert policy.is_compiled is False


def test_create_policy_builds_every_registered_bundle() -> None:
    assert {"lstm", "heuristic"} <= set(list_policies())
    heuristic = create_policy("heuristic", slot_config=SlotConfig.for_grid(1, 2))
    assert heuristic.slot_config == SlotConfig.for_grid(1, 2)
    assert heuristic.is_recurrent is False


def test_create_policy_resolves_device_specs() -> None:
    assert create_policy(slot_config=SlotConfig.default(), device="CPU").device == torch.device("cpu")
    with pytest.raises(ValueError, match="Unknown device 'tpu'"):
        create_policy(slot_config=SlotConfig.default(), device="tpu")
