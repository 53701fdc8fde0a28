"""The rules' explanation of many states, each distinct state explained once.

``explain_masks`` is a pure function of its ``MaskInputs`` and its result is immutable, and a sweep meets
the same state again and again: a lesson's episodes under different seeds mostly pass through the same
states at the same epoch. So each epoch's distinct states are explained once and shared, as the episodes'
sessions would each explain them alone (``explain_state``), word for word.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable

from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.rules.masks import MaskExplanation, MaskInputs, explain_masks
from tamiyo_tui.session.recording import mask_inputs
from tamiyo_tui.sim.scenario import ESPER_60205274_LIFECYCLE

_FIELDS = tuple(field.name for field in dataclasses.fields(MaskInputs))


def _key(inputs: MaskInputs) -> Hashable:
    """Every field of ``inputs``, hashable (the slot-state mapping as its items): all that the rules read."""
    return tuple(
        tuple(inputs.slot_states.items()) if name == "slot_states" else getattr(inputs, name) for name in _FIELDS
    )


class Explanations:
    """A memo of explanations, emptied by ``new_epoch`` so that it never holds more than one epoch's states."""

    def __init__(self) -> None:
        self._memo: dict[Hashable, MaskExplanation] = {}

    def of(
        self, observation: Observation, *, governor_override: bool, lifecycle: str = ESPER_60205274_LIFECYCLE
    ) -> MaskExplanation:
        inputs = mask_inputs(observation, governor_override=governor_override, lifecycle=lifecycle)
        key = _key(inputs)
        explanation = self._memo.get(key)
        if explanation is None:
            explanation = self._memo[key] = explain_masks(inputs)
        return explanation

    def new_epoch(self) -> None:
        self._memo.clear()
