"""Which decisions a sweep flags: the flags of one decision record.

``tamiyo_tui/session/findings.py`` says what each flag means and holds the records and the thresholds;
this is the rule that makes the flags.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from tamiyo_tui.domain.actions import HEADS_USED_BY_OP
from tamiyo_tui.session.findings import Flag, Thresholds
from tamiyo_tui.session.records import DecisionRecord
from tamiyo_tui.session.view import action_label

REJECTED_STRENGTH = 2.0  # a rejection is never a matter of degree


def flag_decision(
    record: DecisionRecord,
    *,
    partner: Mapping[str, str] | None,
    partner_name: str,
    previous_value: float | None,
    thresholds: Thresholds,
) -> tuple[Flag, ...]:
    """The flags of one decision; ``partner`` is the partner bundle's choice per head on the same state."""
    if record.source != "policy":
        return ()
    used = HEADS_USED_BY_OP[record.op]
    flags = []
    if not record.outcome.accepted:
        flags.append(Flag("rejected", REJECTED_STRENGTH, record.outcome.reason))
    if partner is not None:
        differing = [head for head in used if partner[head] != record.action[head]]
        if differing:
            partner_action = action_label(partner)
            flags.append(Flag("disagreement", 1.0 + len(differing) / len(used), f"{partner_name}: {partner_action}"))
    if not record.deterministic:
        head = min(used, key=lambda name: record.heads[name].log_prob)
        probability = math.exp(record.heads[head].log_prob)
        limit = thresholds.low_probability
        if probability < limit:
            depth = math.log(limit / max(probability, 1e-300)) / math.log(1.0 / limit)
            flags.append(
                Flag("low_probability", 1.0 + min(depth, 1.0), f"p({head}={record.action[head]}) {probability:.3g}")
            )
    op = record.heads["op"]
    if op.valid_count >= 2 and op.entropy >= thresholds.high_entropy:
        excess = (op.entropy - thresholds.high_entropy) / (1.0 - thresholds.high_entropy)
        flags.append(Flag("high_entropy", 1.0 + min(excess, 1.0), f"op entropy {op.entropy:.2f} over {op.valid_count}"))
    if previous_value is not None and record.value is not None:
        drop = previous_value - record.value
        if drop >= thresholds.value_drop:
            excess = (drop - thresholds.value_drop) / thresholds.value_drop
            detail = f"value {previous_value:.2f} → {record.value:.2f}"
            flags.append(Flag("value_drop", 1.0 + min(excess, 1.0), detail))
    return tuple(flags)


def action_text(action: Mapping[str, str]) -> str:
    """An action as the table shows it: the op and the heads it uses, e.g. ``GERMINATE r0c1 CONV_LIGHT``."""
    op = action["op"]
    details = {"slot": action["slot"], "blueprint": action["blueprint"]}
    shown = [details[head] for head in HEADS_USED_BY_OP.get(op, ()) if head in details]
    return " ".join([op, *shown])
