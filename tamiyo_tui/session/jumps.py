"""Where the jump keys go: the decisions worth a second look, found in the records of the shown branch.

Pure: a live run and a review ask the same question of their records (``matches``), so ``]``/``[`` land on
the same decisions in both.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from tamiyo_tui.session.records import DecisionRecord
from tamiyo_tui.session.view import JumpKind, heads_read_by

JUMP_KINDS: tuple[JumpKind, ...] = ("rejected", "disagreement", "uncertain", "unlikely")
HIGH_ENTROPY = 0.5  # a head the op reads, with a choice to make, at least this unsure (normalized entropy)
LOW_PROBABILITY = 0.5  # a sampled option at most this share as likely as the head's favourite
JUMP_LABELS: dict[JumpKind, str] = {
    "rejected": "rejected action (✗)",
    "disagreement": "disagreement between the bundles (≠)",
    "uncertain": f"high-entropy decision (Hₙ ≥ {HIGH_ENTROPY} on a head the op reads)",
    "unlikely": "low-probability draw (a sampled option at most half as likely as the head's favourite)",
}


def matches(record: DecisionRecord, kind: JumpKind) -> bool:
    read = heads_read_by(record.op)
    if kind == "rejected":
        return not record.outcome.accepted
    if kind == "disagreement":
        # Only a policy decision is the acting bundle's own choice; a head one op does not read never counts.
        if record.source != "policy":
            return False
        for chosen in record.others.values():
            if chosen["op"] != record.op:
                return True
            if any(chosen[head] != record.action[head] for head in read if head in chosen):
                return True
        return False
    if kind == "uncertain":
        return any(record.heads[h].valid_count > 1 and record.heads[h].entropy >= HIGH_ENTROPY for h in read)
    return record.source == "policy" and not record.deterministic and any(_unlikely(record, h) for h in read)


def _unlikely(record: DecisionRecord, head: str) -> bool:
    numbers = record.heads[head]
    return math.exp(numbers.log_prob) <= LOW_PROBABILITY * max(numbers.probs)


def find(record: Callable[[int], DecisionRecord], steps: Iterable[int], kind: JumpKind) -> int | None:
    """The first of ``steps`` (in the order given) whose record matches ``kind``."""
    return next((step for step in steps if matches(record(step), kind)), None)


def nothing_found(kind: JumpKind, direction: int) -> str:
    return f"No {'later' if direction > 0 else 'earlier'} {JUMP_LABELS[kind]} on this branch"
