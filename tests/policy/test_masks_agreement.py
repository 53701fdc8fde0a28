"""The three faces of the masks agree: the rules' explanation, ``compute_action_masks`` (one env) and every
row of ``compute_batch_masks`` (vectorized).

The rules (``tamiyo_tui.rules.masks.compute_masks``) are the reference throughout; they cost well over
100 µs a call, so the state spaces below are sized by how many rule calls they need, not by how many
batch rows they check.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

import pytest
import torch

from tamiyo_tui.domain.actions import HEAD_NAMES, get_action_head_sizes
from tamiyo_tui.domain.alpha import AlphaMode
from tamiyo_tui.domain.observation import HostMetrics, Observation, SlotReport
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.domain.stages import SeedStage
from tamiyo_tui.policy.masks import (
    compute_action_masks,
    compute_batch_masks,
    compute_batch_masks_reference,
    masks_from_observations,
)
from tamiyo_tui.rules.masks import MaskInputs, MaskSeedInfo, compute_masks

CONFIG3 = SlotConfig.default()
MIN_AGE = 2  # not the default of 1, so the tensors must read min_prune_age from the inputs
# Per-slot states of the reduced space: empty, or every stage × an age just below / at MIN_AGE × every mode.
SLOT_STATES: tuple[MaskSeedInfo | None, ...] = (
    None,
    *(
        MaskSeedInfo(int(stage), age, int(mode))
        for stage in SeedStage
        for age in (MIN_AGE - 1, MIN_AGE)
        for mode in AlphaMode
    ),
)
ENABLED_SUBSETS = tuple(
    tuple(slot_id for slot_id, on in zip(CONFIG3.slot_ids, bits, strict=True) if on)
    for bits in itertools.product((False, True), repeat=3)
)
# (total_seeds, max_seeds): no seed yet, many seeds but no cap (0 = unlimited), below the cap, at the cap.
SEED_COUNTS = ((0, 0), (7, 0), (1, 2), (2, 2))


def rules_rows(batch: Sequence[MaskInputs]) -> torch.Tensor:
    """The rules' masks for each env, every head concatenated in canonical order: [B, sum of head sizes]."""
    rows = []
    for inputs in batch:
        masks = compute_masks(inputs)
        rows.append([allowed for head in HEAD_NAMES for allowed in masks[head]])
    return torch.tensor(rows, dtype=torch.bool)


def flat(masks: dict[str, torch.Tensor]) -> torch.Tensor:
    assert tuple(masks) == HEAD_NAMES
    return torch.cat([masks[head] for head in HEAD_NAMES], dim=-1)


def head_columns(head: str, slot_config: SlotConfig = CONFIG3) -> slice:
    """Where ``head`` sits in a row of ``flat`` masks."""
    sizes = get_action_head_sizes(slot_config)
    start = sum(sizes[name] for name in HEAD_NAMES[: HEAD_NAMES.index(head)])
    return slice(start, start + sizes[head])


def assert_rows_equal(batch: Sequence[MaskInputs], got: torch.Tensor, expected: torch.Tensor) -> None:
    """Row-wise equality that, on failure, names the first envs and heads that differ."""
    assert got.shape == expected.shape
    bad_rows = (got != expected).any(dim=1).nonzero().flatten().tolist()
    if not bad_rows:
        return
    lines = []
    for row in bad_rows[:5]:
        for head in HEAD_NAMES:
            columns = head_columns(head, batch[row].slot_config)
            if not torch.equal(got[row, columns], expected[row, columns]):
                lines.append(
                    f"env {row} head {head}: tensors {got[row, columns].tolist()} "
                    f"rules {expected[row, columns].tolist()} for {batch[row]}"
                )
    pytest.fail(f"{len(bad_rows)} of {len(batch)} envs disagree with the rules:\n" + "\n".join(lines))


def triple(states: Sequence[MaskSeedInfo | None], enabled: tuple[str, ...] = CONFIG3.slot_ids, **context) -> MaskInputs:
    return MaskInputs(
        slot_states=dict(zip(CONFIG3.slot_ids, states, strict=True)),
        enabled_slots=enabled,
        slot_config=CONFIG3,
        min_prune_age=MIN_AGE,
        **context,
    )


# --- exhaustive reduced 3-slot space ------------------------------------------------------------------


def test_every_ordered_slot_triple_agrees_with_the_rules() -> None:
    """All 61³ = 226,981 ordered slot-state triples, one fixed context (all slots enabled, no seed cap,
    no governor override, CNN), batched in one ``compute_batch_masks`` call.

    Reduction: with every slot enabled, the rules' masks do not depend on which slot holds which state
    (every op is an "any enabled slot" rule and the slot head is all True), so the rules are evaluated once
    per *multiset* of states (C(63, 3) = 39,711 calls) and each ordered triple is checked against the
    rules' answer for its sorted form. That invariance is itself checked against the rules on a sample.
    The batch path still sees every ordered triple, so a slot-position bug in the packing cannot hide.
    """
    index_triples = list(itertools.product(range(len(SLOT_STATES)), repeat=3))
    batch = [triple([SLOT_STATES[i] for i in t]) for t in index_triples]

    multisets = list(itertools.combinations_with_replacement(range(len(SLOT_STATES)), 3))
    multiset_row = {ms: row for row, ms in enumerate(multisets)}
    expected_per_multiset = rules_rows([triple([SLOT_STATES[i] for i in ms]) for ms in multisets])
    expected = expected_per_multiset[torch.tensor([multiset_row[tuple(sorted(t))] for t in index_triples])]

    assert_rows_equal(batch, flat(compute_batch_masks(batch)), expected)

    for index in random.Random(3).sample(range(len(batch)), 300):
        assert compute_masks(batch[index]) == compute_masks(
            triple([SLOT_STATES[i] for i in sorted(index_triples[index])])
        )


def test_every_context_crossed_with_rotating_slot_states_agrees_with_the_rules() -> None:
    """The context factors the first test fixes: every enabled subset (8, the empty one included) × seed
    count (none, unlimited, below cap, at cap) × governor override (off/on) × topology (cnn/transformer)
    = 128 contexts. In each, 61 triples (s[k], s[k+20], s[k+41]) (indices mod 61) put every slot state in
    every slot position exactly once, so each state meets each context both in an enabled and (for the
    subsets that leave it out) a disabled slot. Every rule branch is reached here and in the first test:
    empty slot enabled/disabled; each stage in and out of the advance, fossilize, prune and retarget sets
    (stage 5 excepted: it is no SeedStage, see
    ``test_stage_values_outside_the_enum_enable_nothing_like_in_the_rules``); age below / at
    min_prune_age; HOLD vs UP/DOWN with and without the override; seed cap none / unlimited / below / at;
    no slot enabled; both blueprint topologies; both style/alpha_target fallbacks.
    """
    count = len(SLOT_STATES)
    rotations = [[SLOT_STATES[(k + offset) % count] for offset in (0, 20, 41)] for k in range(count)]
    batch = [
        triple(states, enabled, total_seeds=total, max_seeds=cap, allow_governor_override=override, topology=topology)
        for enabled in ENABLED_SUBSETS
        for total, cap in SEED_COUNTS
        for override in (False, True)
        for topology in ("cnn", "transformer")
        for states in rotations
    ]
    expected = rules_rows(batch)
    assert_rows_equal(batch, flat(compute_batch_masks(batch)), expected)

    # The space is not degenerate: every op but WAIT, and the style fallback, is seen both open and shut.
    op_columns = expected[:, head_columns("op")]
    assert op_columns[:, 0].all()
    assert op_columns[:, 1:].any(dim=0).all() and (~op_columns[:, 1:]).any(dim=0).all()
    style_open = expected[:, head_columns("style")].all(dim=1)
    assert style_open.any() and (~style_open).any()

    sample = batch[:: len(batch) // 150]
    single = torch.stack([flat(compute_action_masks(inputs)) for inputs in sample])
    assert_rows_equal(sample, single, rules_rows(sample))


# --- random states on larger grids --------------------------------------------------------------------


STAGE_VALUES = tuple(int(stage) for stage in SeedStage)
MODE_VALUES = tuple(int(mode) for mode in AlphaMode)
AGES = tuple(range(13))
SEED_COUNT_CHOICES = tuple(range(9))
SEED_CAP_CHOICES = (0, 0, *range(1, 9))  # 0 (unlimited) twice as often as any one cap
MIN_PRUNE_AGES = tuple(range(7))
TOPOLOGIES = ("cnn", "transformer", "rnn")  # "rnn" must behave as cnn


def random_inputs(rng: random.Random, config: SlotConfig) -> MaskInputs:
    choice, draw = rng.choice, rng.random
    slot_states: dict[str, MaskSeedInfo | None] = {}
    for slot_id in config.slot_ids:
        kind = draw()
        if kind < 0.1:
            continue  # a missing slot counts as empty
        slot_states[slot_id] = (
            None if kind < 0.35 else MaskSeedInfo(choice(STAGE_VALUES), choice(AGES), choice(MODE_VALUES))
        )
    if draw() < 0.05:
        slot_states["r9c9"] = MaskSeedInfo(int(SeedStage.HOLDING), 9)  # a slot the config does not know
    enabled = [slot_id for slot_id in config.slot_ids if draw() < 0.6]
    if draw() < 0.05:
        enabled.append("r9c9")
    rng.shuffle(enabled)
    return MaskInputs(
        slot_states=slot_states,
        enabled_slots=tuple(enabled),
        slot_config=config,
        total_seeds=choice(SEED_COUNT_CHOICES),
        max_seeds=choice(SEED_CAP_CHOICES),
        topology=choice(TOPOLOGIES),
        min_prune_age=choice(MIN_PRUNE_AGES),
        allow_governor_override=draw() < 0.5,
    )


@pytest.mark.parametrize(("rows", "cols", "seed"), [(2, 3, 2023), (1, 5, 2024)])
def test_random_states_agree_with_the_rules(rows: int, cols: int, seed: int) -> None:
    """50,000 random envs per grid (100,000 in all): ages 0..12, min_prune_age 0..6, random enabled
    subsets (with unknown ids), missing and unknown slot keys, seed counts and caps, all topologies."""
    rng = random.Random(seed)
    config = SlotConfig.for_grid(rows, cols)
    batch = [random_inputs(rng, config) for _ in range(50_000)]
    assert_rows_equal(batch, flat(compute_batch_masks(batch)), rules_rows(batch))


# --- behaviour of the tensor API ----------------------------------------------------------------------


def test_stage_values_outside_the_enum_enable_nothing_like_in_the_rules() -> None:
    batch = [
        triple([MaskSeedInfo(stage, 5), MaskSeedInfo(int(SeedStage.FOSSILIZED), 5), None], enabled=("r0c0", "r0c1"))
        for stage in (-1, -6, -8, 5, 11, 99)  # -6 and -8 would wrap to HOLDING and BLENDING
    ]
    got = flat(compute_batch_masks(batch))
    assert_rows_equal(batch, got, rules_rows(batch))
    assert got[:, head_columns("op")].tolist() == [[True, False, False, False, False, False]] * 6


def test_single_env_masks_are_one_dimensional_bool_in_head_order() -> None:
    masks = compute_action_masks(triple([None, MaskSeedInfo(int(SeedStage.HOLDING), 3), None]), device="cpu")
    assert tuple(masks) == HEAD_NAMES
    assert {head: tuple(mask.shape) for head, mask in masks.items()} == {
        head: (size,) for head, size in get_action_head_sizes(CONFIG3).items()
    }
    assert all(mask.dtype == torch.bool and mask.device.type == "cpu" for mask in masks.values())
    assert masks["op"].tolist() == [True, True, True, True, True, False]


def test_reference_path_equals_the_batch_path() -> None:
    rng = random.Random(7)
    batch = [random_inputs(rng, SlotConfig.for_grid(2, 2)) for _ in range(200)]
    reference = compute_batch_masks_reference(batch)
    batch_masks = compute_batch_masks(batch)
    assert tuple(reference) == tuple(batch_masks) == HEAD_NAMES
    for head in HEAD_NAMES:
        assert torch.equal(reference[head], batch_masks[head]), head


@pytest.mark.parametrize("function", [compute_batch_masks, compute_batch_masks_reference])
def test_empty_batch_is_rejected(function) -> None:
    with pytest.raises(ValueError, match="empty"):
        function([])


@pytest.mark.parametrize("function", [compute_batch_masks, compute_batch_masks_reference])
def test_a_batch_must_share_one_slot_config(function) -> None:
    other = MaskInputs(slot_states={}, enabled_slots=("r0c0",), slot_config=SlotConfig.for_grid(1, 4))
    with pytest.raises(ValueError, match="one SlotConfig") as caught:
        function([triple([None, None, None]), other])
    assert "env 1" in str(caught.value)


def test_returned_masks_do_not_share_memory_with_cached_tables() -> None:
    young = MaskSeedInfo(int(SeedStage.TRAINING), 0)
    inputs = triple([young, young, None], max_seeds=1, total_seeds=1)  # style and alpha_target fall back
    first = compute_batch_masks([inputs])
    for mask in first.values():
        mask.fill_(False)
    again = compute_batch_masks([inputs])
    assert again["blueprint"][0].tolist() == [False] + [True] * 7 + [False] * 5
    assert again["style"][0].tolist() == [False, False, True, False]
    assert again["alpha_target"][0].tolist() == [False, False, True]
    assert again["tempo"][0].tolist() == [True, True, True]


def test_masks_from_observations_reads_each_observation() -> None:
    config = SlotConfig.for_grid(1, 2)
    ramping = SlotReport(
        slot_id="r0c0",
        seed_id="s",
        blueprint_id="norm",
        stage=SeedStage.BLENDING,
        alpha_mode=AlphaMode.UP,
        epochs_total=3,
    )
    observations = [
        Observation(
            host=HostMetrics(), slots={"r0c0": ramping, "r0c1": None}, slot_config=config, topology="transformer"
        ),
        Observation(
            host=HostMetrics(), slots={"r0c0": ramping, "r0c1": None}, slot_config=config, max_seeds=1, total_seeds=1
        ),
    ]
    plain = masks_from_observations(observations)
    overridden = masks_from_observations(observations, allow_governor_override=True)
    # op order: WAIT, GERMINATE, SET_ALPHA_TARGET, PRUNE, FOSSILIZE, ADVANCE
    assert plain["op"].tolist() == [[True, True, False, False, False, True], [True, False, False, False, False, True]]
    assert overridden["op"][:, 3].tolist() == [True, True]
    assert plain["blueprint"][:, 8].tolist() == [True, False]  # LORA: transformer only


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_masks_are_built_on_the_requested_cuda_device() -> None:
    rng = random.Random(11)
    batch = [random_inputs(rng, SlotConfig.for_grid(2, 3)) for _ in range(2_000)]
    on_cuda = compute_batch_masks(batch, device="cuda")
    on_cpu = compute_batch_masks(batch)
    for head in HEAD_NAMES:
        assert on_cuda[head].device.type == "cuda"
        assert torch.equal(on_cuda[head].cpu(), on_cpu[head]), head
    single = compute_action_masks(batch[0], device=torch.device("cuda"))
    assert all(mask.device.type == "cuda" and mask.dim() == 1 for mask in single.values())
