"""The Textual inspector: one main screen (slots, host, heads, why, timeline), its modal screens, and the
commands that drive it. Nothing in this package imports torch at import time: the policy is loaded on the
engine thread after the first frame is on screen (see ``engine.py``)."""
