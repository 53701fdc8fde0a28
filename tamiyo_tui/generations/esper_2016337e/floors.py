"""The probability floor of the 2016337e generation and the entropy it reports, in float32.

The floor gives every valid option of a head at least ``min_prob`` (capped just under uniform,
0.99 / valid count) and scales the options above it down to fill the rest of the mass; the result goes back
to logits as log-probabilities, invalid options at ``MASKED_LOGIT_VALUE``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from tamiyo_tui.domain.constants import MASKED_LOGIT_VALUE

_TINY = 1e-8


def floored_logits(masked_logits: torch.Tensor, mask: torch.Tensor, min_prob: float) -> torch.Tensor:
    probs = F.softmax(masked_logits.float(), dim=-1)
    valid = mask.sum(dim=-1, keepdim=True).float().clamp(min=1)
    floor = torch.clamp((1.0 / valid) * 0.99, max=min_prob)
    below = mask & (probs < floor)
    above = mask & ~below
    floor_mass = below.sum(dim=-1, keepdim=True).float() * floor
    above_mass = torch.where(above, probs, 0.0).sum(dim=-1, keepdim=True).clamp(min=_TINY)
    scale = (1.0 - floor_mass).clamp(min=_TINY) / above_mass
    floored = torch.where(below, floor, torch.where(above, probs * scale, probs))
    log_probs = torch.log(torch.where(mask, floored.clamp(min=_TINY), 1.0))
    return torch.where(mask, log_probs, MASKED_LOGIT_VALUE)


def normalized_entropy(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Entropy over the valid options divided by ln(valid count): 1 uniform, 0 when one option is left."""
    log_probs = F.log_softmax(logits.float(), dim=-1)
    raw = -(log_probs.exp() * log_probs * mask).sum(dim=-1)
    valid = mask.sum(dim=-1)
    normalized = raw / torch.log(valid.clamp(min=2).float())
    return torch.where(valid > 1, normalized, 0.0)
