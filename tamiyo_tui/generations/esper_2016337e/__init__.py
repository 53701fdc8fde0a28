"""esper-lite's policy generation of 2016337e (Policy V2 / Obs V3): its features, masks, network, checkpoint
file, lifecycle rules, heuristic and telemetry names.

Facts come from the reference at that commit (tachyon-beep/esper-lite), measured side by side by
``tools/make_2016337e_vectors.py`` and ``tools/make_2016337e_lifecycle_vectors.py`` (docs/generations.md).
"""
