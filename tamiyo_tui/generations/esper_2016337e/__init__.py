"""esper-lite's policy generation of 2016337e (Policy V2 / Obs V3): its network and its checkpoint file.

Facts come from the reference at that commit (tachyon-beep/esper-lite), measured side by side
by ``tools/make_2016337e_vectors.py``. Features, masks, lifecycle rules and the heuristic of this
generation are not here yet, so the generation is recognised but not run (``policy/generation.py``).
"""
