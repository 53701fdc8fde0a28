"""Write the 2016337e network's test vectors from the reference itself.

    ESPER_LITE_2016337E=/path/to/esper-lite-at-2016337e python tools/make_2016337e_vectors.py

The path is a checkout (or ``git archive``) of tachyon-beep/esper-lite at 2016337e; the reference is
imported from its ``src`` folder and nothing of it is copied here. Writes, under tests/vectors/:

- ``esper-2016337e-state-dict.json``: every state_dict key and shape of a fresh network at the default
  sizes (three slots), which a test holds ours to without the reference;
- ``esper-2016337e-network.pt``: a small network (two residual layers, so the stack is exercised) with
  scrambled weights, 6 batches of 16 random single-step inputs (states, blueprint indices with −1, masks,
  slot-by-op masks, hidden states) and what the reference's ``get_action`` returned on them, deterministic and
  sampled (the global generator seeded before each call), with the per-head probability floors; plus
  V(s), Q(s, op) for every op and the contribution predictions. And ``sequences``: 4 batches of 8 sequences of
  24 steps (two with a fresh network's weights, two perturbed; the first starts from no hidden state, the rest
  from a random one; slot-by-op masks on every other batch), each step's ``get_action`` fed the hidden state
  the previous step returned, deterministic and sampled, with the hidden state after every step, the
  contributions, and the reference's ``forward`` over the whole sequence (raw logits, V(s), Q(s, op), final
  hidden state); each batch carries its own state_dict. Tensors only: ``torch.load(weights_only=True)``;
- ``esper-2016337e-checkpoint.pt``: a file written by the reference's own ``PPOAgent.save`` (a small
  network, two residual layers) with observation-normalizer statistics in its metadata, and
  ``esper-2016337e-checkpoint-decisions.pt``: raw observations, the reference's normalizer applied to them
  and the deterministic decisions its network makes on them;
- ``esper-2016337e-features.json``: 1,000 random observations with random run feedback, converted into the
  attributes the reference's ``batch_obs_to_features`` reads, and the Obs V3 features and blueprint indices
  it returned: ``cases``, 100 recorded in full (three slots and a 2×2 grid), and ``seeded``, 900 more on four
  layouts (one slot, three, 2×2, 3×3) that the test draws again from their seed with
  ``tests/observations.py`` (a digest of each observation is stored to catch a generator that changed),
  their features as float32 bytes in base64;
- ``esper-2016337e-masks.json``: every mask the reference's ``compute_action_masks`` returned, ``slot_by_op``
  included, written as 0/1 words in ``heads`` order: ``cases``, 5,000 random slot states (stage, age, alpha
  mode per slot; enabled subsets, seed caps, both topologies, the governor override, ``disable_advance``;
  each a list in ``case_fields`` order), and ``exhaustive``, every one of the 19**3 = 6,859 states of three
  enabled slots each empty or TRAINING/BLENDING/HOLDING × age 0/4/5 (either side of min_prune_age) × alpha
  mode HOLD/UP, in the order the file's ``space`` describes.

Every file is seeded; on one machine (and torch build) a rerun writes the same bytes. Float results of the
network and normalizer can differ in the last bit between CPUs, so a rerun elsewhere may rewrite the ``.pt``
files with differences near 1e-7, far inside the tests' tolerances.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import torch

OUT = Path(__file__).resolve().parent.parent / "tests" / "vectors"
SMALL = {"feature_dim": 48, "lstm_hidden_dim": 32, "lstm_layers": 2}
SLOTS = 3
BATCH = 16
CASES = 6
SEQUENCE_CASES = 4  # two with fresh weights, two perturbed
SEQUENCE_ROWS = 8
SEQUENCE_STEPS = 24


def reference():
    root = os.environ.get("ESPER_LITE_2016337E")
    if not root:
        sys.exit("set ESPER_LITE_2016337E to a checkout of esper-lite at 2016337e")
    sys.path.insert(0, str(Path(root) / "src"))
    from esper.leyline import PROBABILITY_FLOOR_PER_HEAD
    from esper.leyline.slot_config import SlotConfig
    from esper.tamiyo.networks.factored_lstm import FactoredRecurrentActorCritic

    return FactoredRecurrentActorCritic, SlotConfig, dict(PROBABILITY_FLOOR_PER_HEAD)


def random_mask(generator: torch.Generator, *shape: int) -> torch.Tensor:
    """Random booleans with at least one True along the last axis."""
    mask = torch.rand(*shape, generator=generator) < 0.6
    flat = mask.reshape(-1, shape[-1])
    flat[torch.arange(flat.shape[0]), torch.randint(shape[-1], (flat.shape[0],), generator=generator)] = True
    return flat.reshape(shape)


def main() -> None:
    network_class, slot_config_class, floors = reference()
    slot_config = slot_config_class.default()
    state_dim = 23 + 31 * SLOTS

    fresh = network_class(state_dim, slot_config=slot_config)
    shapes = {key: list(tensor.shape) for key, tensor in fresh.state_dict().items()}
    (OUT / "esper-2016337e-state-dict.json").write_text(
        json.dumps({"state_dim": state_dim, "shapes": shapes}, indent=1)
    )

    torch.manual_seed(2016337)
    net = network_class(state_dim, slot_config=slot_config, **SMALL)
    with torch.no_grad():
        for param in net.parameters():
            param.copy_(torch.randn_like(param) * 0.3)  # far from the near-uniform init, so layout bugs show
    net.eval()
    head_sizes = {
        "slot": SLOTS,
        "blueprint": 13,
        "style": 4,
        "tempo": 3,
        "alpha_target": 3,
        "alpha_speed": 4,
        "alpha_curve": 5,
        "op": 6,
    }
    cases = []
    for case in range(CASES):
        generator = torch.Generator().manual_seed(case)
        state = torch.randn(BATCH, state_dim, generator=generator)
        blueprints = torch.randint(-1, 13, (BATCH, SLOTS), generator=generator)
        hidden = tuple(
            torch.randn(SMALL["lstm_layers"], BATCH, SMALL["lstm_hidden_dim"], generator=generator) for _ in range(2)
        )
        masks = {head: random_mask(generator, BATCH, size) for head, size in head_sizes.items()}
        slot_by_op = random_mask(generator, BATCH, 6, SLOTS) if case % 2 else None
        inputs = {
            "state": state,
            "blueprint_indices": blueprints,
            "h": hidden[0],
            "c": hidden[1],
            **{f"mask_{h}": m for h, m in masks.items()},
        }
        if slot_by_op is not None:
            inputs["slot_by_op"] = slot_by_op
        outputs = {}
        for deterministic in (True, False):
            torch.manual_seed(1000 + case)  # what the sampled draw reads
            result = net.get_action(
                state,
                blueprints,
                hidden,
                slot_mask=masks["slot"],
                slot_by_op_mask=slot_by_op,
                blueprint_mask=masks["blueprint"],
                style_mask=masks["style"],
                tempo_mask=masks["tempo"],
                alpha_target_mask=masks["alpha_target"],
                alpha_speed_mask=masks["alpha_speed"],
                alpha_curve_mask=masks["alpha_curve"],
                op_mask=masks["op"],
                deterministic=deterministic,
                probability_floor=floors,
            )
            leg = "deterministic" if deterministic else "sampled"
            for head in head_sizes:
                outputs[f"{leg}_action_{head}"] = result.actions[head]
                outputs[f"{leg}_log_prob_{head}"] = result.log_probs[head]
                outputs[f"{leg}_entropy_{head}"] = result.head_entropies[head]
            outputs[f"{leg}_value"] = result.values
            outputs[f"{leg}_h"], outputs[f"{leg}_c"] = result.hidden
        with torch.inference_mode():
            out = net.forward(state.unsqueeze(1), blueprints.unsqueeze(1), hidden)
            lstm_out = out["lstm_out"]
            for head in head_sizes:
                outputs[f"raw_logits_{head}"] = out[f"{head}_logits"][:, 0]
            outputs["q_values"] = torch.stack(
                [net._compute_q(lstm_out, torch.full((BATCH, 1), op, dtype=torch.long))[:, 0] for op in range(6)], dim=1
            )
            outputs["contributions"] = net.predict_contributions(state, blueprints, hidden)
        cases.append({"inputs": inputs, "outputs": outputs, "sample_seed": torch.tensor(1000 + case)})
    sequences = [
        sequence_case(network_class, slot_config, state_dim, floors, head_sizes, case) for case in range(SEQUENCE_CASES)
    ]
    torch.save(
        {
            "sizes": SMALL,
            "state_dim": state_dim,
            "floors": floors,
            "state_dict": net.state_dict(),
            "cases": cases,
            "sequences": sequences,
        },
        OUT / "esper-2016337e-network.pt",
    )
    write_checkpoint(root_floors=floors)
    write_features()
    write_masks()
    print(
        f"wrote {len(cases)} cases of {BATCH} rows, {len(sequences)} x {SEQUENCE_ROWS} sequences"
        f" of {SEQUENCE_STEPS} steps and a PPOAgent.save file to {OUT}"
    )


def sequence_case(network_class, slot_config, state_dim: int, floors: dict, head_sizes: dict, case: int) -> dict:
    """One batch of SEQUENCE_ROWS sequences of SEQUENCE_STEPS steps: get_action step by step, the hidden
    state it returns fed to the next step, deterministic and sampled (the global generator seeded before
    each call), with V(s), contributions, and the reference's forward over the whole sequence (raw logits,
    V(s), Q(s, op) per step and the final hidden state). Cases below SEQUENCE_CASES // 2 keep the weights a
    fresh network is made with; the rest are scrambled. Case 0 starts from no hidden state (zeros)."""
    torch.manual_seed(2016_000 + case)
    net = network_class(state_dim, slot_config=slot_config, **SMALL)
    perturbed = case >= SEQUENCE_CASES // 2
    if perturbed:
        with torch.no_grad():
            for param in net.parameters():
                param.add_(torch.randn_like(param) * 0.3)
    net.eval()
    generator = torch.Generator().manual_seed(500 + case)
    rows, steps = SEQUENCE_ROWS, SEQUENCE_STEPS
    states = torch.randn(rows, steps, state_dim, generator=generator) * (1 + case % 3)
    blueprints = torch.randint(-1, 13, (rows, steps, SLOTS), generator=generator)
    masks = {head: random_mask(generator, rows, steps, size) for head, size in head_sizes.items()}
    slot_by_op = random_mask(generator, rows, steps, 6, SLOTS) if case % 2 else None
    shape = (SMALL["lstm_layers"], rows, SMALL["lstm_hidden_dim"])
    if case == 0:
        start = (torch.zeros(shape), torch.zeros(shape))
    else:
        start = (torch.randn(shape, generator=generator), torch.randn(shape, generator=generator))
    inputs = {
        "state": states,
        "blueprint_indices": blueprints,
        "h": start[0],
        "c": start[1],
        "start_from_none": torch.tensor(case == 0),
        **{f"mask_{h}": m for h, m in masks.items()},
    }
    if slot_by_op is not None:
        inputs["slot_by_op"] = slot_by_op
    per_step: dict[str, list[torch.Tensor]] = {}

    def keep(key: str, value: torch.Tensor) -> None:
        per_step.setdefault(key, []).append(value.detach().clone())

    hidden = None if case == 0 else start
    for step in range(steps):
        hidden_after = None
        for deterministic in (True, False):
            torch.manual_seed(sequence_seed(case, step))
            result = net.get_action(
                states[:, step],
                blueprints[:, step],
                hidden,
                slot_mask=masks["slot"][:, step],
                slot_by_op_mask=None if slot_by_op is None else slot_by_op[:, step],
                blueprint_mask=masks["blueprint"][:, step],
                style_mask=masks["style"][:, step],
                tempo_mask=masks["tempo"][:, step],
                alpha_target_mask=masks["alpha_target"][:, step],
                alpha_speed_mask=masks["alpha_speed"][:, step],
                alpha_curve_mask=masks["alpha_curve"][:, step],
                op_mask=masks["op"][:, step],
                deterministic=deterministic,
                probability_floor=floors,
            )
            leg = "deterministic" if deterministic else "sampled"
            for head in head_sizes:
                keep(f"{leg}_action_{head}", result.actions[head])
                keep(f"{leg}_log_prob_{head}", result.log_probs[head])
                keep(f"{leg}_entropy_{head}", result.head_entropies[head])
            keep(f"{leg}_value", result.values)
            if hidden_after is None:
                hidden_after = result.hidden
            else:  # the draw never reaches the hidden state
                assert all(torch.equal(a, b) for a, b in zip(hidden_after, result.hidden, strict=True))
        with torch.inference_mode():
            keep("contributions", net.predict_contributions(states[:, step], blueprints[:, step], hidden))
        keep("h", hidden_after[0])
        keep("c", hidden_after[1])
        hidden = hidden_after
    outputs = {key: torch.stack(values, dim=1) for key, values in per_step.items()}  # [rows, steps, ...]
    outputs["h"], outputs["c"] = outputs["h"].transpose(0, 1), outputs["c"].transpose(0, 1)  # [steps, layers, rows, H]
    with torch.inference_mode():
        torch.manual_seed(9_000 + case)  # forward draws an op for its own Q; nothing here reads it
        out = net.forward(states, blueprints, None if case == 0 else start)
        for head in head_sizes:
            outputs[f"sequence_raw_logits_{head}"] = out[f"{head}_logits"].clone()
        outputs["sequence_value"] = out["state_value"].clone()
        outputs["sequence_q_values"] = torch.stack(
            [net._compute_q(out["lstm_out"], torch.full((rows, steps), op, dtype=torch.long)) for op in range(6)],
            dim=-1,
        )
        outputs["sequence_h"], outputs["sequence_c"] = (t.clone() for t in out["hidden"])
    return {
        "perturbed": torch.tensor(perturbed),
        "state_dict": {key: value.detach().clone() for key, value in net.state_dict().items()},
        "inputs": inputs,
        "outputs": outputs,
        "sample_seeds": torch.tensor([sequence_seed(case, step) for step in range(steps)]),
    }


def sequence_seed(case: int, step: int) -> int:
    return 20_000 + 100 * case + step


def write_checkpoint(root_floors: dict[str, float]) -> None:
    from esper.leyline.slot_config import SlotConfig
    from esper.simic.agent.ppo_agent import PPOAgent
    from esper.simic.control.normalization import RunningMeanStd
    from esper.simic.training.normalizer_checkpoint import obs_normalizer_metadata
    from esper.tamiyo.policy.lstm_bundle import LSTMPolicyBundle

    torch.manual_seed(337)
    slot_config = SlotConfig.default()
    bundle = LSTMPolicyBundle(hidden_dim=32, num_lstm_layers=2, slot_config=slot_config)
    with torch.no_grad():
        for param in bundle.network.parameters():
            param.copy_(torch.randn_like(param) * 0.3)
    agent = PPOAgent(bundle, slot_config=slot_config, device="cpu", compile_mode="off", num_envs=2, max_steps_per_env=8)
    normalizer = RunningMeanStd((23 + 31 * SLOTS,), momentum=0.99)
    normalizer.update(torch.randn(64, 23 + 31 * SLOTS) * 3 + 2)
    metadata = {"checkpoint_kind": "last", **obs_normalizer_metadata(normalizer, slot_config=slot_config)}
    agent.save(OUT / "esper-2016337e-checkpoint.pt", metadata=metadata)

    generator = torch.Generator().manual_seed(77)
    observations = torch.randn(BATCH, 23 + 31 * SLOTS, generator=generator) * 3 + 2
    blueprints = torch.randint(-1, 13, (BATCH, SLOTS), generator=generator)
    normalized = normalizer.normalize(observations)
    network = bundle.network.eval()
    result = network.get_action(normalized, blueprints, None, deterministic=True, probability_floor=root_floors)
    decisions = {f"action_{head}": action for head, action in result.actions.items()}
    decisions |= {f"log_prob_{head}": log_prob for head, log_prob in result.log_probs.items()}
    torch.save(
        {
            "observations": observations,
            "blueprint_indices": blueprints,
            "normalized": normalized,
            "value": result.values,
            **decisions,
        },
        OUT / "esper-2016337e-checkpoint-decisions.pt",
    )


FEATURE_LAYOUTS = (
    ("r0c0", "r0c1", "r0c2"),
    ("r0c0", "r0c1", "r1c0", "r1c1"),
    ("r0c0",),
    tuple(f"r{r}c{c}" for r in range(3) for c in range(3)),
)
SEEDED_FEATURE_CASES = 900


def float32_b64(values: torch.Tensor) -> str:
    """float32 little-endian bytes in base64: exact, and a quarter of the size of decimal JSON."""
    import base64

    return base64.b64encode(values.to(torch.float32).contiguous().numpy().astype("<f4").tobytes()).decode()


def write_features() -> None:
    import random

    from esper.leyline.slot_config import SlotConfig as ReferenceSlots
    from esper.tamiyo.policy.features import batch_obs_to_features

    sys.path.insert(0, str(OUT.parent))  # the tests' observation helpers
    from make_feature_vectors import to_json  # the observation format tests/observations.py reads
    from observations import observation_digest, random_feature_case, seeded_feature_case

    from tamiyo_tui.domain.slots import SlotConfig

    def reference_features(observation, feedback):
        features, blueprints = batch_obs_to_features(
            [reference_signals(observation)],
            [reference_reports(observation)],
            [SimpleNamespace(**feedback)],
            ReferenceSlots(observation.slot_config.slot_ids),
            torch.device("cpu"),
            max_epochs=observation.max_epochs,
        )
        return features[0], blueprints[0].tolist()

    # Recorded in full (the observation's JSON form is read back by the test too): the first 100.
    rng = random.Random(2016337)
    cases = []
    for index in range(100):
        config = SlotConfig.default() if index % 2 == 0 else SlotConfig.for_grid(2, 2)
        observation, feedback = random_feature_case(rng, config)
        features, blueprints = reference_features(observation, feedback)
        cases.append(
            {
                "observation": to_json(observation),
                "feedback": feedback,
                "features": features.tolist(),
                "blueprint_indices": blueprints,
            }
        )
    # Drawn again by the test from (seed, layout); only a digest of the observation and the answers stored.
    seeded = []
    for index in range(SEEDED_FEATURE_CASES):
        seed, slot_ids = 2016337_000 + index, list(FEATURE_LAYOUTS[index % len(FEATURE_LAYOUTS)])
        observation, feedback = seeded_feature_case(seed, slot_ids)
        features, blueprints = reference_features(observation, feedback)
        seeded.append(
            {
                "seed": seed,
                "slot_ids": slot_ids,
                "digest": observation_digest(observation),
                "features_f32": float32_b64(features),
                "blueprint_indices": blueprints,
            }
        )
    (OUT / "esper-2016337e-features.json").write_text(
        json.dumps({"cases": cases, "seeded": seeded}, separators=(",", ":"))
    )


def reference_signals(observation):
    host = observation.host
    return SimpleNamespace(
        metrics=SimpleNamespace(epoch=host.epoch, val_loss=host.val_loss, val_accuracy=host.val_accuracy),
        loss_history=list(host.loss_history),
        accuracy_history=list(host.accuracy_history),
    )


def reference_reports(observation):
    """The attributes the reference's feature code reads from each slot's report."""
    from esper.leyline import SeedStage as ReferenceStage

    from tamiyo_tui.domain.actions import BLUEPRINT_ID_TO_INDEX

    reports = {}
    for slot_id, report in observation.slots.items():
        if report is None:
            continue
        telemetry = report.telemetry
        reports[slot_id] = SimpleNamespace(
            blueprint_index=BLUEPRINT_ID_TO_INDEX.get(report.blueprint_id, -1),
            stage=ReferenceStage(int(report.stage)),
            blend_tempo_epochs=report.blend_tempo_epochs,
            alpha_target=report.alpha_target,
            alpha_mode=int(report.alpha_mode),
            alpha_steps_total=report.alpha_steps_total,
            alpha_steps_done=report.alpha_steps_done,
            time_to_target=report.time_to_target,
            alpha_velocity=report.alpha_velocity,
            alpha_algorithm=int(report.alpha_algorithm),
            metrics=SimpleNamespace(
                current_alpha=report.alpha,
                counterfactual_contribution=report.counterfactual_contribution,
                contribution_velocity=report.contribution_velocity,
                interaction_sum=report.interaction_sum,
                epochs_in_current_stage=report.epochs_in_stage,
                epochs_total=report.epochs_total,
            ),
            telemetry=None
            if telemetry is None
            else SimpleNamespace(
                gradient_norm=telemetry.gradient_norm,
                gradient_health=telemetry.gradient_health,
                has_vanishing=telemetry.has_vanishing,
                has_exploding=telemetry.has_exploding,
            ),
        )
    return reports


MASK_HEADS = ("slot", "blueprint", "style", "tempo", "alpha_target", "alpha_speed", "alpha_curve", "op")
RANDOM_MASK_CASES = 5000
# A random case is a list of these, in this order (names written once, not 5,000 times).
CASE_FIELDS = (
    "slot_ids",
    "slot_states",
    "enabled_slots",
    "total_seeds",
    "max_seeds",
    "topology",
    "allow_governor_override",
    "disable_advance",
    "masks",
)
# The exhaustive space: three slots, all enabled, each empty or one of these stages x ages x alpha modes
# (ages either side of min_prune_age 5, HOLD against a ramp): 19 options a slot, 19**3 = 6,859 states.
EXHAUSTIVE_SLOTS = ("r0c0", "r0c1", "r0c2")
EXHAUSTIVE_STAGES = (3, 4, 6)  # TRAINING, BLENDING, HOLDING
EXHAUSTIVE_AGES = (0, 4, 5)
EXHAUSTIVE_ALPHA_MODES = (0, 1)  # HOLD, UP
EXHAUSTIVE_SETTINGS = {
    "max_seeds": 0,
    "topology": "cnn",
    "allow_governor_override": False,
    "disable_advance": False,
}


def mask_bits(masks: dict) -> str:
    """Every head's mask as 0/1 characters in MASK_HEADS order, then slot_by_op's rows, one word each."""
    words = ["".join("1" if bit else "0" for bit in masks[head].tolist()) for head in MASK_HEADS]
    words += ["".join("1" if bit else "0" for bit in row) for row in masks["slot_by_op"].tolist()]
    return " ".join(words)


def exhaustive_mask_states():
    """Every state of the exhaustive space, in the order the vectors list them."""
    import itertools

    options = [None] + [
        [stage, age, mode] for stage in EXHAUSTIVE_STAGES for age in EXHAUSTIVE_AGES for mode in EXHAUSTIVE_ALPHA_MODES
    ]
    return itertools.product(options, repeat=len(EXHAUSTIVE_SLOTS))


def write_masks() -> None:
    import random

    from esper.leyline.slot_config import SlotConfig as ReferenceSlots
    from esper.tamiyo.policy.action_masks import MaskSeedInfo, compute_action_masks

    def seed_info(state):
        return None if state is None else MaskSeedInfo(stage=state[0], seed_age_epochs=state[1], alpha_mode=state[2])

    # Random states (the first 400 are the draws the file has always held).
    rng = random.Random(4_2_0)
    stages = [0, 1, 2, 3, 4, 6, 7, 8, 9, 10]
    cases = []
    for index in range(RANDOM_MASK_CASES):
        slot_ids = ["r0c0", "r0c1", "r0c2"] if index % 2 == 0 else ["r0c0", "r0c1", "r1c0", "r1c1"]
        states = [
            None if rng.random() < 0.35 else [rng.choice(stages), rng.randint(0, 8), rng.randrange(3)] for _ in slot_ids
        ]
        enabled = [slot_id for slot_id in slot_ids if rng.random() < 0.8] or [slot_ids[0]]
        settings = {
            "total_seeds": rng.randint(0, 4),
            "max_seeds": rng.choice([0, 0, 1, 2, 3]),
            "topology": rng.choice(["cnn", "transformer"]),
            "allow_governor_override": rng.random() < 0.2,
            "disable_advance": rng.random() < 0.2,
        }
        masks = compute_action_masks(
            {s: seed_info(state) for s, state in zip(slot_ids, states, strict=True)},
            enabled,
            slot_config=ReferenceSlots(tuple(slot_ids)),
            **settings,
        )
        cases.append([slot_ids, states, enabled, *settings.values(), mask_bits(masks)])
    exhaustive = []
    for states in exhaustive_mask_states():
        masks = compute_action_masks(
            {s: seed_info(state) for s, state in zip(EXHAUSTIVE_SLOTS, states, strict=True)},
            list(EXHAUSTIVE_SLOTS),
            slot_config=ReferenceSlots(EXHAUSTIVE_SLOTS),
            total_seeds=sum(state is not None for state in states),
            **EXHAUSTIVE_SETTINGS,
        )
        exhaustive.append(mask_bits(masks))
    space = {
        "slot_ids": list(EXHAUSTIVE_SLOTS),
        "stages": list(EXHAUSTIVE_STAGES),
        "ages": list(EXHAUSTIVE_AGES),
        "alpha_modes": list(EXHAUSTIVE_ALPHA_MODES),
        "settings": EXHAUSTIVE_SETTINGS,
        "total_seeds": "the number of occupied slots",
        "order": "itertools.product over slots of [None] + [[stage, age, mode] for stage for age for mode]",
    }
    (OUT / "esper-2016337e-masks.json").write_text(
        json.dumps(
            {
                "heads": list(MASK_HEADS),
                "case_fields": list(CASE_FIELDS),
                "cases": cases,
                "exhaustive": {"space": space, "masks": exhaustive},
            },
            separators=(",", ":"),
        )
    )


if __name__ == "__main__":
    main()
