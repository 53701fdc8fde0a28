"""The 2016337e network equals the reference's, measured on vectors the reference itself wrote
(``tools/make_2016337e_vectors.py``): its state_dict loads unchanged, and ``get_action`` gives the same
actions (sampled ones included, the generator seeded as the reference's global one was), log-probs,
normalized entropies, V(s), Q(s, op), contributions and hidden states."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from tamiyo_tui.domain.actions import HEAD_NAMES, LifecycleOp
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.generations.esper_2016337e.constants import PROBABILITY_FLOOR, state_dim
from tamiyo_tui.generations.esper_2016337e.network import IRRELEVANT, FactoredRecurrentActorCritic2016337e

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
ATOL = 1e-5


@pytest.fixture(scope="module")
def vectors() -> dict:
    return torch.load(VECTORS / "esper-2016337e-network.pt", weights_only=True)


@pytest.fixture(scope="module")
def network(vectors) -> FactoredRecurrentActorCritic2016337e:
    sizes = vectors["sizes"]
    net = FactoredRecurrentActorCritic2016337e(vectors["state_dim"], SlotConfig.default(), **sizes)
    net.load_state_dict(vectors["state_dict"])  # strict: every key and shape the reference's
    return net


def test_a_fresh_network_has_the_reference_keys_and_shapes() -> None:
    reference = json.loads((VECTORS / "esper-2016337e-state-dict.json").read_text())
    ours = FactoredRecurrentActorCritic2016337e(state_dim(3), SlotConfig.default())
    assert reference["state_dim"] == state_dim(3) == 116
    assert {key: list(tensor.shape) for key, tensor in ours.state_dict().items()} == reference["shapes"]
    assert sum(param.numel() for param in ours.parameters()) == 4_006_502  # the reference network's own count


def test_the_floors_are_the_reference_floors(vectors) -> None:
    assert dict(PROBABILITY_FLOOR) == vectors["floors"]


def decide(network, case, deterministic: bool):
    inputs = case["inputs"]
    generator = torch.Generator().manual_seed(int(case["sample_seed"]))
    return network.get_action(
        inputs["state"],
        inputs["blueprint_indices"],
        (inputs["h"], inputs["c"]),
        masks={head: inputs[f"mask_{head}"] for head in HEAD_NAMES},
        slot_by_op=inputs.get("slot_by_op"),
        deterministic=deterministic,
        probability_floor=PROBABILITY_FLOOR,
        generator=generator,
    )


@pytest.mark.parametrize("leg", ["deterministic", "sampled"])
def test_get_action_equals_the_reference(network, vectors, leg: str) -> None:
    drawn = 0
    for case in vectors["cases"]:
        ours, theirs = decide(network, case, leg == "deterministic"), case["outputs"]
        for head in HEAD_NAMES:
            assert torch.equal(ours.action[head], theirs[f"{leg}_action_{head}"]), head
            torch.testing.assert_close(ours.log_prob[head], theirs[f"{leg}_log_prob_{head}"], atol=ATOL, rtol=0)
            torch.testing.assert_close(ours.entropy[head], theirs[f"{leg}_entropy_{head}"], atol=ATOL, rtol=0)
            drawn += int((ours.probs[head].max(dim=-1).values < 0.999).sum())
        torch.testing.assert_close(ours.value, theirs[f"{leg}_value"], atol=ATOL, rtol=0)
        torch.testing.assert_close(ours.hidden[0], theirs[f"{leg}_h"], atol=ATOL, rtol=0)
        torch.testing.assert_close(ours.hidden[1], theirs[f"{leg}_c"], atol=ATOL, rtol=0)
    assert drawn > 100  # real choices, not heads held to one option


def test_raw_logits_q_values_and_contributions_equal_the_reference(network, vectors) -> None:
    for case in vectors["cases"]:
        ours, theirs = decide(network, case, True), case["outputs"]
        for head in HEAD_NAMES:
            expected = theirs[f"raw_logits_{head}"]
            if head == "op":  # the reference's forward hands op's logits out masked
                expected = torch.where(case["inputs"]["mask_op"], expected, ours.raw_logits["op"])
            torch.testing.assert_close(ours.raw_logits[head], expected, atol=ATOL, rtol=0)
        torch.testing.assert_close(ours.q_values, theirs["q_values"], atol=ATOL, rtol=0)
        torch.testing.assert_close(ours.contributions, theirs["contributions"], atol=ATOL, rtol=0)


def test_heads_the_op_does_not_use_are_held_to_one_option(network, vectors) -> None:
    ours = decide(network, vectors["cases"][0], False)
    op = ours.action["op"]
    for head, (used_by, held_to) in IRRELEVANT.items():
        unused = ~torch.isin(op, torch.tensor([int(each) for each in used_by]))
        assert unused.any()
        assert bool((ours.action[head][unused] == held_to).all()), head
        assert bool((ours.masks[head][unused].sum(dim=-1) == 1).all())
        assert bool((ours.entropy[head][unused] == 0).all())
    waiting = op == int(LifecycleOp.WAIT)
    assert bool((ours.masks["slot"][waiting].sum(dim=-1) == 1).all())


def test_the_floor_lifts_the_options_below_it_to_it_and_keeps_a_distribution(network, vectors) -> None:
    """One pass, as the reference's: the options below the floor get exactly the floor, the rest share what
    is left in proportion (so one of those may end below the floor: the floor is not a guarantee)."""
    ours = decide(network, vectors["cases"][1], False)
    lifted = 0
    for head in HEAD_NAMES:
        probs, before, mask = ours.probs[head], ours.probs_before_floor[head], ours.masks[head]
        torch.testing.assert_close(probs.sum(dim=-1), torch.ones(probs.shape[0]), atol=1e-5, rtol=0)
        floor = torch.clamp((1.0 / mask.sum(dim=-1, keepdim=True)) * 0.99, max=PROBABILITY_FLOOR[head]).expand_as(probs)
        below = mask & (before < floor)
        torch.testing.assert_close(probs[below], floor[below], atol=1e-6, rtol=0)
        assert bool((probs[~mask] < 1e-6).all()), head
        lifted += int(below.sum())
    assert lifted > 10


def test_a_slot_by_op_mask_restricts_the_slot_to_the_ops_row(network, vectors) -> None:
    case = vectors["cases"][1]
    assert "slot_by_op" in case["inputs"]
    ours = decide(network, case, False)
    rows = case["inputs"]["slot_by_op"][torch.arange(ours.action["op"].shape[0]), ours.action["op"]]
    acting = ours.action["op"] != int(LifecycleOp.WAIT)
    assert torch.equal(ours.masks["slot"][acting], rows[acting])
    assert bool(rows[acting].gather(1, ours.action["slot"][acting].unsqueeze(1)).all())


def test_an_invalid_blueprint_index_is_refused_with_its_value(network, vectors) -> None:
    inputs = vectors["cases"][0]["inputs"]
    blueprints = inputs["blueprint_indices"].clone()
    blueprints[0, 0] = -2
    with pytest.raises(ValueError, match=r"\[-2\]"):
        network.get_action(inputs["state"], blueprints, (inputs["h"], inputs["c"]))


def run_sequence(sequence: dict, sizes: dict, state_dim_: int) -> tuple[dict[str, torch.Tensor], int]:
    """Our network over one recorded batch of sequences, step by step, each step fed the hidden state our
    previous step returned (never the reference's), per-step results stacked as the tool stacks them."""
    net = FactoredRecurrentActorCritic2016337e(state_dim_, SlotConfig.default(), **sizes)
    net.load_state_dict(sequence["state_dict"])
    net.eval()
    inputs = sequence["inputs"]
    steps = inputs["state"].shape[1]
    hidden = None if bool(inputs["start_from_none"]) else (inputs["h"], inputs["c"])
    per_step: dict[str, list[torch.Tensor]] = {}
    drawn = 0
    with torch.no_grad():
        for step in range(steps):
            for leg in ("deterministic", "sampled"):
                decision = net.get_action(
                    inputs["state"][:, step],
                    inputs["blueprint_indices"][:, step],
                    hidden,
                    masks={head: inputs[f"mask_{head}"][:, step] for head in HEAD_NAMES},
                    slot_by_op=inputs["slot_by_op"][:, step] if "slot_by_op" in inputs else None,
                    deterministic=leg == "deterministic",
                    probability_floor=PROBABILITY_FLOOR,
                    generator=torch.Generator().manual_seed(int(sequence["sample_seeds"][step])),
                )
                for head in HEAD_NAMES:
                    per_step.setdefault(f"{leg}_action_{head}", []).append(decision.action[head])
                    per_step.setdefault(f"{leg}_log_prob_{head}", []).append(decision.log_prob[head])
                    per_step.setdefault(f"{leg}_entropy_{head}", []).append(decision.entropy[head])
                    drawn += int((decision.probs[head].max(dim=-1).values < 0.999).sum())
                per_step.setdefault(f"{leg}_value", []).append(decision.value)
            for head in HEAD_NAMES:
                per_step.setdefault(f"sequence_raw_logits_{head}", []).append(decision.raw_logits[head])
            per_step.setdefault("sequence_value", []).append(decision.value)
            per_step.setdefault("sequence_q_values", []).append(decision.q_values)
            per_step.setdefault("contributions", []).append(decision.contributions)
            hidden = decision.hidden
            per_step.setdefault("h", []).append(hidden[0])
            per_step.setdefault("c", []).append(hidden[1])
    ours = {key: torch.stack(values, dim=1) for key, values in per_step.items()}
    ours["h"], ours["c"] = ours["h"].transpose(0, 1), ours["c"].transpose(0, 1)
    ours["sequence_h"], ours["sequence_c"] = hidden
    return ours, drawn


@pytest.mark.parametrize("index", range(4))
def test_24_step_sequences_equal_the_reference_with_the_hidden_state_carried(vectors, index: int) -> None:
    """get_action step by step (deterministic and sampled) against the reference's own step-by-step
    get_action, and our per-step raw logits, V(s) and Q(s, op) against its forward over the whole sequence;
    the hidden state after every step and at the end."""
    sequence = vectors["sequences"][index]
    theirs = sequence["outputs"]
    ours, drawn = run_sequence(sequence, vectors["sizes"], vectors["state_dim"])
    assert set(ours) == set(theirs)
    steps = sequence["inputs"]["state"].shape[1]
    assert steps == 24
    for key, expected in theirs.items():
        if "_action_" in key:
            assert torch.equal(ours[key], expected), key
        else:
            torch.testing.assert_close(ours[key], expected, atol=ATOL, rtol=0, msg=lambda m, key=key: f"{key}: {m}")
    assert drawn > 500  # real choices along the way, not heads held to one option


def test_the_sequences_cover_fresh_and_perturbed_weights_and_both_starts(vectors) -> None:
    sequences = vectors["sequences"]
    assert [bool(s["perturbed"]) for s in sequences] == [False, False, True, True]
    assert [bool(s["inputs"]["start_from_none"]) for s in sequences] == [True, False, False, False]
    assert ["slot_by_op" in s["inputs"] for s in sequences] == [False, True, False, True]
    fresh, perturbed = sequences[1]["state_dict"], sequences[2]["state_dict"]
    assert any(not torch.equal(fresh[key], perturbed[key]) for key in fresh)
    assert all(s["inputs"]["state"].shape[:2] == (8, 24) for s in sequences)
