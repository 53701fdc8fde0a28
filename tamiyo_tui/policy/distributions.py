"""A categorical distribution over masked logits, with entropy normalized to [0, 1]."""

from __future__ import annotations

import math

import torch

from tamiyo_tui.domain.constants import MASKED_LOGIT_VALUE


class InvalidStateMachineError(RuntimeError):
    """A head had no valid option: the lifecycle state fed to the masks is inconsistent."""


class MaskedCategorical:
    """Categorical over ``logits`` where ``mask`` (True = valid) is False.

    Invalid positions get ``MASKED_LOGIT_VALUE`` (finite, so fp16/bf16 stay safe) rather than -inf.
    ``entropy()`` is normalized by ln(valid count), so 1.0 means uniform over the valid options and a
    head with a single valid option reads exactly 0 (forced, not collapsed).
    """

    validate = True

    def __init__(self, logits: torch.Tensor, mask: torch.Tensor) -> None:
        if self.validate:
            _check_mask(mask)
            _check_logits(logits)
        self.mask = mask
        self.masked_logits = logits.masked_fill(~mask, MASKED_LOGIT_VALUE)
        # The log-probabilities as torch.distributions.Categorical normalises them.
        self.log_probs = self.masked_logits - self.masked_logits.logsumexp(dim=-1, keepdim=True)

    @property
    def probs(self) -> torch.Tensor:
        return torch.softmax(self.log_probs, dim=-1)

    def sample(self, generator: torch.Generator | None = None) -> torch.Tensor:
        return torch.multinomial(self.probs, 1, replacement=True, generator=generator).squeeze(-1)

    def mode(self) -> torch.Tensor:
        return self.masked_logits.argmax(dim=-1)

    def log_prob(self, actions: torch.Tensor) -> torch.Tensor:
        return self.log_probs.gather(-1, actions.long().unsqueeze(-1)).squeeze(-1)

    def entropy(self) -> torch.Tensor:
        log_probs = torch.log_softmax(self.masked_logits, dim=-1)
        probs = log_probs.exp()
        raw = -(probs * log_probs * self.mask).sum(dim=-1)
        valid = self.mask.sum(dim=-1)
        max_entropy = torch.log(valid.clamp(min=1).to(raw.dtype)).clamp(min=1e-8)
        return torch.where(valid > 1, raw / max_entropy, torch.zeros_like(raw))


def _check_mask(mask: torch.Tensor) -> None:
    empty_rows = ~mask.any(dim=-1)
    if bool(empty_rows.any()):
        raise InvalidStateMachineError(
            f"No valid actions available. Mask: {mask.tolist()}. Every head must keep at least one option; "
            "the lifecycle state behind these masks is inconsistent."
        )


def _check_logits(logits: torch.Tensor) -> None:
    finite = torch.isfinite(logits)
    if not bool(finite.all()):
        nan_count = int(torch.isnan(logits).sum())
        inf_count = int(torch.isinf(logits).sum())
        safe = logits[finite]
        low = float(safe.min()) if safe.numel() else math.nan
        high = float(safe.max()) if safe.numel() else math.nan
        raise ValueError(
            "MaskedCategorical received logits with inf/nan values, a sign of network instability "
            f"(min={low:.4g}, max={high:.4g}, nan_count={nan_count}, inf_count={inf_count})"
        )
