"""Write tests/vectors/telemetry-60205274.json: the reference's telemetry features on random snapshots.

The reference (esper-lite at commit 60205274) is run as an oracle, never imported by the package or by
the tests: ``ESPER_LITE_SRC`` names its ``src`` folder (it needs torch, numpy, pydantic and pyyaml)::

    git -C esper-lite archive 60205274 src | tar -x -C /tmp/esper-60205274
    ESPER_LITE_SRC=/tmp/esper-60205274/src python tools/make_telemetry_vectors.py

Each case is one snapshot's field values (the names of ``tamiyo_tui.domain.observation.SeedTelemetry``,
which are the reference's) and the 26 floats ``SeedTelemetry.to_features()`` returned for them.
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

CASES = 400
OUT = Path(__file__).resolve().parent.parent / "tests" / "vectors" / "telemetry-60205274.json"
STAGE_VALUES = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 99)  # 5 and 11 are gaps, 12 and 99 out of range


def random_snapshot(rng: random.Random) -> dict[str, object]:
    max_epochs = rng.choice((0, 1, 10, 25, 150))
    return {
        "stage": rng.choice(STAGE_VALUES),
        "gradient_norm": rng.choice((0.0, 5e-8, rng.uniform(0.0, 20.0), rng.uniform(50.0, 500.0))),
        "gradient_health": rng.uniform(0.0, 1.0),
        "has_vanishing": rng.random() < 0.2,
        "has_exploding": rng.random() < 0.2,
        "epochs_in_stage": rng.randint(0, 80),
        "accuracy": rng.uniform(0.0, 100.0),
        "accuracy_delta": rng.uniform(-30.0, 30.0),
        "alpha": rng.uniform(0.0, 1.0),
        "epoch": rng.randint(0, 160),
        "max_epochs": max_epochs,
        "alpha_target": rng.choice((0.0, 0.5, 0.7, 1.0)),
        "alpha_mode": rng.randint(0, 2),
        "alpha_steps_total": rng.randint(0, 40),
        "alpha_steps_done": rng.randint(0, 40),
        "time_to_target": rng.randint(0, 40),
        "alpha_velocity": rng.uniform(-2.0, 2.0),
        "alpha_algorithm": rng.randint(1, 3),
    }


def main() -> int:
    source = os.environ.get("ESPER_LITE_SRC")
    if not source:
        print("set ESPER_LITE_SRC to the reference's src folder (esper-lite at 60205274)", file=sys.stderr)
        return 2
    sys.path.insert(0, source)
    from esper.leyline import SeedTelemetry  # the oracle

    rng = random.Random(60205274)
    cases = []
    for _ in range(CASES):
        snapshot = random_snapshot(rng)
        features = SeedTelemetry(seed_id="oracle", **snapshot).to_features()
        cases.append({"snapshot": snapshot, "features": [float(value) for value in features]})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    lines = ",\n".join(json.dumps(case) for case in cases)  # one case a line: diffs stay readable
    OUT.write_text(f'{{"reference": "esper-lite 60205274", "cases": [\n{lines}\n]}}\n')
    print(f"wrote {len(cases)} cases to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
