"""One inspection run of a scenario with a policy: stepping, branching, records, headless run/check, and
what a view shows of a run (``view``, ``frames``, ``preview``, ``live``, ``review``)."""
