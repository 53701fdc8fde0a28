"""Write tests/vectors/features-telemetry-60205274.json: the reference's batched feature extractor, with
telemetry, on observations of our simulator.

The states come from our simulator: every shipped lesson in the three-slot layout, played with actions
drawn uniformly among the options the masks allow. Each observation is converted field by field into the
reference's own records (TrainingSignals, SeedStateReport with its SeedMetrics and SeedTelemetry) and
given to the reference's ``batch_obs_to_features(use_telemetry=True)``; the file keeps the observation and
the 218 float32 values it returned. The reference (esper-lite at 60205274) runs as an oracle, outside the
package: ``ESPER_LITE_SRC`` names its ``src`` folder (it needs torch, numpy, pydantic and pyyaml)::

    ESPER_LITE_SRC=/tmp/esper-60205274/src PYTHONPATH=. python tools/make_feature_vectors.py
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests" / "vectors" / "features-telemetry-60205274.json"
RUNS_PER_LESSON = 2
KEPT = 120


def observations() -> list:
    from tamiyo_tui.domain.actions import HEAD_NAMES, FactoredAction
    from tamiyo_tui.domain.slots import SlotConfig
    from tamiyo_tui.rules.masks import MaskInputs, compute_masks
    from tamiyo_tui.sim.loader import load_scenario
    from tamiyo_tui.sim.simulator import Simulator

    rng = random.Random(60205274)
    seen = []
    for path in sorted((REPO / "scenarios").glob("*.yaml")):
        # Every lesson in the three-slot layout (extra slots disabled), as a three-slot policy plays it.
        scenario = load_scenario(path).widened_to(SlotConfig.default())
        for _ in range(RUNS_PER_LESSON):
            sim = Simulator(scenario)
            while not sim.done:
                obs = sim.observe()
                seen.append(obs)
                masks = compute_masks(MaskInputs.from_observation(obs))
                indices = [rng.choice([i for i, ok in enumerate(masks[head]) if ok] or [0]) for head in HEAD_NAMES]
                sim.apply(FactoredAction.from_indices(*indices))
    rng.shuffle(seen)
    return seen[:KEPT]


def to_json(obs) -> dict:
    def report(r):
        if r is None:
            return None
        fields = dataclasses.asdict(r)  # the telemetry record inside becomes a dict too
        return {k: (int(v) if hasattr(v, "value") else v) for k, v in fields.items()}

    return {
        "host": dataclasses.asdict(obs.host),
        "slots": {slot_id: report(r) for slot_id, r in obs.slots.items()},
        "slot_ids": list(obs.slot_config.slot_ids),
        "enabled_slots": None if obs.enabled_slots is None else list(obs.enabled_slots),
        "topology": obs.topology,
        "total_seeds": obs.total_seeds,
        "max_seeds": obs.max_seeds,
        "min_prune_age": obs.min_prune_age,
        "total_params": obs.total_params,
        "max_epochs": obs.max_epochs,
    }


def reference_features(obs) -> list[float]:
    import torch
    from esper.leyline import SeedMetrics, SeedStage, SeedStateReport, SeedTelemetry, TrainingMetrics, TrainingSignals
    from esper.leyline.slot_config import SlotConfig
    from esper.tamiyo.policy.features import batch_obs_to_features

    host = obs.host
    signals = TrainingSignals(
        metrics=TrainingMetrics(
            epoch=host.epoch,
            global_step=host.global_step,
            train_loss=host.train_loss,
            val_loss=host.val_loss,
            loss_delta=host.loss_delta,
            train_accuracy=host.train_accuracy,
            val_accuracy=host.val_accuracy,
            accuracy_delta=host.accuracy_delta,
            plateau_epochs=host.plateau_epochs,
            host_stabilized=int(host.host_stabilized),
            best_val_accuracy=host.best_val_accuracy,
            best_val_loss=host.best_val_loss,
        ),
        loss_history=list(host.loss_history),
        accuracy_history=list(host.accuracy_history),
    )
    reports = {}
    for slot_id, r in obs.slots.items():
        if r is None:
            continue
        reports[slot_id] = SeedStateReport(
            seed_id=r.seed_id,
            slot_id=r.slot_id,
            blueprint_id=r.blueprint_id,
            stage=SeedStage(int(r.stage)),
            alpha_mode=int(r.alpha_mode),
            alpha_target=r.alpha_target,
            alpha_steps_total=r.alpha_steps_total,
            alpha_steps_done=r.alpha_steps_done,
            time_to_target=r.time_to_target,
            alpha_velocity=r.alpha_velocity,
            alpha_algorithm=int(r.alpha_algorithm),
            blend_tempo_epochs=r.blend_tempo_epochs,
            metrics=SeedMetrics(
                epochs_total=r.epochs_total,
                epochs_in_current_stage=r.epochs_in_stage,
                total_improvement=r.total_improvement,
                improvement_since_stage_start=r.improvement_since_stage_start,
                counterfactual_contribution=r.counterfactual_contribution,
                contribution_velocity=r.contribution_velocity,
                interaction_sum=r.interaction_sum,
                boost_received=r.boost_received,
                upstream_alpha_sum=r.upstream_alpha_sum,
                downstream_alpha_sum=r.downstream_alpha_sum,
                current_alpha=r.alpha,
            ),
            telemetry=None
            if r.telemetry is None
            else SeedTelemetry(seed_id=r.seed_id, blueprint_id=r.blueprint_id, **dataclasses.asdict(r.telemetry)),
        )
    features = batch_obs_to_features(
        [signals],
        [reports],
        use_telemetry=True,
        max_epochs=obs.max_epochs,
        total_params=[obs.total_params],
        total_seeds=[obs.total_seeds],
        max_seeds=obs.max_seeds,
        slot_config=SlotConfig(slot_ids=tuple(obs.slot_config.slot_ids)),
        device=torch.device("cpu"),
    )
    return features[0].tolist()


def main() -> int:
    source = os.environ.get("ESPER_LITE_SRC")
    if not source:
        print("set ESPER_LITE_SRC to the reference's src folder (esper-lite at 60205274)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(REPO))
    sys.path.insert(1, source)
    cases = [{"observation": to_json(obs), "features": reference_features(obs)} for obs in observations()]
    lines = ",\n".join(json.dumps(case) for case in cases)
    OUT.write_text(f'{{"reference": "esper-lite 60205274", "cases": [\n{lines}\n]}}\n')
    print(f"wrote {len(cases)} cases to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
