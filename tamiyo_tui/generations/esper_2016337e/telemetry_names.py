"""How esper-lite's trainer at 2016337e records its decisions (Nissa's ``events.jsonl``): the names the
telemetry review, the ``decisions`` query view and ``scenario-from`` all read by.

A decision is an ``ANALYTICS_SNAPSHOT`` event whose ``data.kind`` is ``last_action``; its ``head_telemetry``
holds a confidence and a normalized entropy per head, under the head's own name except where
``HEAD_TELEMETRY_NAME`` says otherwise.
"""

from __future__ import annotations

DECISION_EVENT = "ANALYTICS_SNAPSHOT"
DECISION_KIND = "last_action"
HEAD_TELEMETRY_NAME = {"alpha_curve": "curve"}  # head → its name in head_telemetry (…_confidence, …_entropy)


def head_telemetry_name(head: str) -> str:
    return HEAD_TELEMETRY_NAME.get(head, head)
