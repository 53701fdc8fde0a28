"""Policy registry: bundle classes by name, checked against the whole PolicyBundle protocol on registration.

The check reads ``REQUIRED_METHODS`` and ``REQUIRED_PROPERTIES`` from ``protocol.py`` (not a copy of
them), so a member added to the protocol is enforced here at once. It inspects the class, not an
instance: properties must be declared as class-level ``property`` objects, and a plain instance
attribute cannot satisfy them. Signatures are left to static type checking.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from tamiyo_tui.policy.protocol import REQUIRED_METHODS, REQUIRED_PROPERTIES

BundleClass = TypeVar("BundleClass", bound=type)

_POLICIES: dict[str, type] = {}


def register_policy(name: str) -> Callable[[BundleClass], BundleClass]:
    """Class decorator that registers a PolicyBundle implementation under ``name``.

    Raises ``TypeError`` for a non-class or a class missing protocol members (methods listed first,
    then properties) and ``ValueError`` for a name already taken.
    """

    def decorate(cls: BundleClass) -> BundleClass:
        if not inspect.isclass(cls):
            raise TypeError(f"{cls!r} is not a class")
        missing = missing_protocol_members(cls)
        if missing:
            raise TypeError(f"{cls.__name__} does not implement PolicyBundle protocol. Missing: {', '.join(missing)}")
        if name in _POLICIES:
            raise ValueError(f"Policy '{name}' is already registered")
        _POLICIES[name] = cls
        return cls

    return decorate


def missing_protocol_members(cls: type) -> list[str]:
    """Protocol members ``cls`` lacks: methods that are absent or not callable, then non-property properties."""
    methods = [name for name in REQUIRED_METHODS if not callable(getattr(cls, name, None))]
    properties = [
        name for name in REQUIRED_PROPERTIES if not isinstance(inspect.getattr_static(cls, name, None), property)
    ]
    return methods + properties


def get_policy(name: str, config: Mapping[str, Any]) -> Any:
    """A new instance of the policy registered as ``name``, built with ``config`` as keyword arguments."""
    if name not in _POLICIES:
        available = ", ".join(sorted(_POLICIES)) or "(none registered)"
        raise ValueError(f"Unknown policy: '{name}'. Available: {available}")
    return _POLICIES[name](**config)


def list_policies() -> list[str]:
    """Registered names, in registration order."""
    return list(_POLICIES)


def clear_registry() -> None:
    """Forget every registration (tests only: bundle modules register once, when first imported)."""
    _POLICIES.clear()
