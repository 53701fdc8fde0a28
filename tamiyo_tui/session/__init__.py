"""One inspection run of a scenario with a policy: stepping, branching, records, headless run/check."""
