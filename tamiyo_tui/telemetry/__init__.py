"""esper-lite telemetry (Nissa events.jsonl) turned into scenarios: `tamiyo-tui scenario-from`."""
