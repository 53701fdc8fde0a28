"""Action masks as bool tensors, one environment or a whole batch at once.

The rule set lives in ``tamiyo_tui.rules.masks`` (plain Python, with reasons); this module computes the
same masks as tensors, and the tests hold the two to exact agreement. ``compute_batch_masks`` is the one
implementation: it packs each environment into plain integers, creates a single tensor, and answers every
rule with whole-batch tensor operations (stage sets become lookup tables indexed by stage value), so the
cost of a rollout step no longer grows with one set of tiny tensors per environment.
"""

from __future__ import annotations

import functools
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch

from tamiyo_tui.domain.actions import (
    HEAD_NAMES,
    NUM_ALPHA_CURVES,
    NUM_ALPHA_SPEEDS,
    NUM_TEMPO,
    AlphaTargetAction,
    BlueprintAction,
    GerminationStyle,
    LifecycleOp,
    blueprints_for_topology,
)
from tamiyo_tui.domain.alpha import AlphaMode
from tamiyo_tui.domain.observation import Observation
from tamiyo_tui.domain.stages import (
    ADVANCABLE_STAGES,
    FOSSILIZABLE_STAGES,
    PRUNABLE_STAGES,
    RETARGETABLE_STAGES,
    SeedStage,
)
from tamiyo_tui.rules.masks import MaskInputs

DeviceLike = torch.device | str | None

# Packed layout: per env, these scalars first, then these fields for every slot in slot-config order.
_ENV_FIELDS = ("total_seeds", "max_seeds", "min_prune_age", "governor_override", "is_transformer")
_SLOT_FIELDS = ("stage", "age", "alpha_mode", "occupied", "enabled")

# Stage lookup table: row = stage value, column = stage set. Its last row belongs to no stage, so it is
# all False; every value outside the enum's range is sent there (a raw negative index would wrap around).
_STAGE_SETS = (ADVANCABLE_STAGES, FOSSILIZABLE_STAGES, PRUNABLE_STAGES, RETARGETABLE_STAGES)
_ADVANCE_COL, _FOSSILIZE_COL, _PRUNE_COL, _RETARGET_COL = range(len(_STAGE_SETS))
_MAX_STAGE = int(max(SeedStage))
_UNKNOWN_STAGE_ROW = _MAX_STAGE + 1
_STAGE_TABLE_ROWS = tuple(
    tuple(stage in stage_set for stage_set in _STAGE_SETS) for stage in range(_UNKNOWN_STAGE_ROW + 1)
)
_BLUEPRINT_ROWS = tuple(  # row 0: CNN (and any unknown topology), row 1: transformer
    tuple(bp != BlueprintAction.NOOP and bp in blueprints_for_topology(topology) for bp in BlueprintAction)
    for topology in ("cnn", "transformer")
)
# When neither GERMINATE nor SET_ALPHA_TARGET is possible, these heads keep one option so they stay defined.
_STYLE_FALLBACK = tuple(style == GerminationStyle.SIGMOID_ADD for style in GerminationStyle)
_ALPHA_TARGET_FALLBACK = tuple(target == AlphaTargetAction.FULL for target in AlphaTargetAction)


@dataclass(frozen=True, slots=True)
class _Tables:
    stage_flags: torch.Tensor  # [_UNKNOWN_STAGE_ROW + 1, len(_STAGE_SETS)]
    blueprint: torch.Tensor  # [2, NUM_BLUEPRINTS]
    style_fallback: torch.Tensor  # [NUM_STYLES]
    alpha_target_fallback: torch.Tensor  # [NUM_ALPHA_TARGETS]


@functools.cache
def _tables(device: torch.device) -> _Tables:
    def make(rows: tuple) -> torch.Tensor:
        return torch.tensor(rows, dtype=torch.bool, device=device)

    return _Tables(
        stage_flags=make(_STAGE_TABLE_ROWS),
        blueprint=make(_BLUEPRINT_ROWS),
        style_fallback=make(_STYLE_FALLBACK),
        alpha_target_fallback=make(_ALPHA_TARGET_FALLBACK),
    )


def _resolve_device(device: DeviceLike) -> torch.device:
    return torch.device("cpu") if device is None else torch.device(device)


def _check_batch(batch: Sequence[MaskInputs]) -> None:
    if not batch:
        raise ValueError("compute_batch_masks needs at least one MaskInputs; the batch is empty")
    config = batch[0].slot_config
    for index, inputs in enumerate(batch):
        if inputs.slot_config != config:
            raise ValueError(
                "compute_batch_masks needs one SlotConfig for the whole batch: "
                f"env 0 has slots {config.slot_ids} but env {index} has {inputs.slot_config.slot_ids}"
            )


def _pack(batch: Sequence[MaskInputs], slot_ids: tuple[str, ...]) -> array:
    """Every env as plain ints, env after env, in the ``_ENV_FIELDS`` + ``_SLOT_FIELDS`` layout."""
    # Packing is most of the cost of a batch call, hence one flat list grown through a bound extend.
    flat: list[int] = []
    extend = flat.extend
    for inputs in batch:
        enabled = inputs.enabled_slots
        state_of = inputs.slot_states.get
        extend(
            (
                inputs.total_seeds,
                inputs.max_seeds,
                inputs.min_prune_age,
                inputs.allow_governor_override,
                inputs.topology == "transformer",
            )
        )
        for slot_id in slot_ids:
            info = state_of(slot_id)
            if info is None:
                extend((0, 0, 0, False, slot_id in enabled))
            else:
                extend((info.stage, info.seed_age_epochs, info.alpha_mode, True, slot_id in enabled))
    return array("q", flat)


def compute_batch_masks(batch: Sequence[MaskInputs], device: DeviceLike = None) -> dict[str, torch.Tensor]:
    """Masks for a batch of environments: head name -> [B, head_size] bool tensor (True = valid).

    Every environment must share one ``SlotConfig`` (``ValueError`` otherwise, and on an empty batch).
    Semantics are those of ``tamiyo_tui.rules.masks.compute_masks``, row by row.
    """
    _check_batch(batch)
    device = _resolve_device(device)
    slot_ids = batch[0].slot_config.slot_ids
    num_envs, num_slots = len(batch), len(slot_ids)

    # torch.frombuffer over an int64 array is a few times cheaper than torch.tensor on a Python list.
    packed = torch.frombuffer(_pack(batch, slot_ids), dtype=torch.int64).view(num_envs, -1).to(device)
    env = packed[:, : len(_ENV_FIELDS)]
    slots = packed[:, len(_ENV_FIELDS) :].view(num_envs, num_slots, len(_SLOT_FIELDS))
    total_seeds, max_seeds, min_prune_age, override, is_transformer = env.unbind(dim=1)
    stage, age, alpha_mode, occupied, enabled = slots.unbind(dim=2)
    occupied, enabled = occupied.bool(), enabled.bool()

    tables = _tables(device)
    in_range = (stage >= 0) & (stage <= _MAX_STAGE)
    flags = tables.stage_flags[torch.where(in_range, stage, _UNKNOWN_STAGE_ROW)]  # [B, S, sets]
    live = occupied & enabled
    hold = alpha_mode == AlphaMode.HOLD

    seed_limit_reached = (max_seeds > 0) & (total_seeds >= max_seeds)
    can_germinate = (enabled & ~occupied).any(dim=1) & ~seed_limit_reached
    old_enough = age >= min_prune_age.unsqueeze(1)
    prune_ok = hold | override.bool().unsqueeze(1)
    retargetable = (flags[..., _RETARGET_COL] & live & hold).any(dim=1)
    op_allowed = {
        LifecycleOp.WAIT: torch.ones(num_envs, dtype=torch.bool, device=device),
        LifecycleOp.GERMINATE: can_germinate,
        LifecycleOp.SET_ALPHA_TARGET: retargetable,
        LifecycleOp.PRUNE: (flags[..., _PRUNE_COL] & live & old_enough & prune_ok).any(dim=1),
        LifecycleOp.FOSSILIZE: (flags[..., _FOSSILIZE_COL] & live).any(dim=1),
        LifecycleOp.ADVANCE: (flags[..., _ADVANCE_COL] & live).any(dim=1),
    }
    options_open = (can_germinate | retargetable).unsqueeze(1)

    masks = {
        "slot": enabled,
        "blueprint": tables.blueprint[is_transformer],
        "style": tables.style_fallback | options_open,
        "tempo": torch.ones(num_envs, NUM_TEMPO, dtype=torch.bool, device=device),
        "alpha_target": tables.alpha_target_fallback | options_open,
        "alpha_speed": torch.ones(num_envs, NUM_ALPHA_SPEEDS, dtype=torch.bool, device=device),
        "alpha_curve": torch.ones(num_envs, NUM_ALPHA_CURVES, dtype=torch.bool, device=device),
        "op": torch.stack([op_allowed[op] for op in LifecycleOp], dim=1),
    }
    return {head: masks[head] for head in HEAD_NAMES}


def compute_action_masks(inputs: MaskInputs, device: DeviceLike = None) -> dict[str, torch.Tensor]:
    """Masks for one environment: head name -> 1-D bool tensor (True = valid), in canonical head order."""
    return {head: mask[0] for head, mask in compute_batch_masks([inputs], device).items()}


def compute_batch_masks_reference(batch: Sequence[MaskInputs], device: DeviceLike = None) -> dict[str, torch.Tensor]:
    """The per-environment path (one mask dict per env, then a stack per head), kept as the baseline that
    the benchmark measures ``compute_batch_masks`` against and that tests compare it with."""
    _check_batch(batch)
    per_env = [compute_action_masks(inputs, device) for inputs in batch]
    return {head: torch.stack([masks[head] for masks in per_env]) for head in HEAD_NAMES}


def masks_from_observations(
    observations: Iterable[Observation], device: DeviceLike = None, allow_governor_override: bool = False
) -> dict[str, torch.Tensor]:
    """Batch masks straight from observations (``MaskInputs.from_observation`` for each)."""
    batch = [MaskInputs.from_observation(obs, allow_governor_override=allow_governor_override) for obs in observations]
    return compute_batch_masks(batch, device)
