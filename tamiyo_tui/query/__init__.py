"""SQL over recorded decisions: this tool's records and esper-lite's telemetry as one ``decisions`` view."""
