"""A 2016337e network's decisions for many episodes at once, each what ``PolicyRunner.decide`` makes for one.

This generation's network needs no fused copy: its bundle already decides a batch of observations, building
the network's inputs (Obs V3, blueprint indices, slot-by-op) row by row from them. What a batch of episodes
adds is only what makes each row its own episode's decision:

- the rows' hidden states stacked, and each row's next state cut back out;
- sampling: ``PolicyRunner.decide`` seeds its generator with the episode's sample seed and lets
  ``torch.multinomial`` draw head after head. One multinomial over a batch would draw every row from one
  generator, so instead each row's Exp(1) noise is drawn from a generator seeded with that row's seed, head
  by head in the network's order and shape, and handed to the network (``exponential_draws``), which makes
  the choice multinomial would have made from that noise.

One ``to_host`` copy brings the batch's numbers, critic included, to the host.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from tamiyo_tui.generations.esper_2016337e.network import DRAW_ORDER
from tamiyo_tui.policy.batch import mask_tensors
from tamiyo_tui.policy.bundle_2016337e import Policy2016337eBundle
from tamiyo_tui.policy.host_transfer import to_host
from tamiyo_tui.policy.types import PolicyBatch
from tamiyo_tui.session.decide import BundleDecision
from tamiyo_tui.sweep.batched import Pending, network_decision

# The order the network draws its heads in: op first, then the others (see the network's ``get_action``).
_DRAWN = ("op", *DRAW_ORDER)


class Network2016337eBatch:
    """Decides for every episode whose bundle ``name`` is this 2016337e network (weights and normalizer)."""

    def __init__(self, name: str, bundle: Policy2016337eBundle, telemetry: bool, device: torch.device) -> None:
        self.name = name
        self.bundle = bundle
        self.telemetry = telemetry
        self._sizes = dict(bundle.network.head_sizes)
        self._generator = torch.Generator(device=device)

    def decide(self, pending: Sequence[Pending]) -> list[BundleDecision]:
        sessions = [each.session for each in pending]
        device = self.bundle.device
        batch = PolicyBatch(
            observations=[each.observation for each in pending],
            features=torch.empty((len(pending), 0), device=device),  # the bundle builds its own inputs
            masks=mask_tensors([each.explanation.masks() for each in pending], device),
        )
        states = [session.runner.get_state().states[self.name] for session in sessions]
        hidden = (torch.cat([h for h, _ in states], dim=1), torch.cat([c for _, c in states], dim=1))
        deterministic = sessions[0].deterministic
        draws = None if deterministic else self.seeded_draws([session.sample_seed for session in sessions])
        result = self.bundle.get_action(batch, hidden, deterministic, exponential_draws=draws)
        assert result.hidden is not None  # a recurrent network's decision carries its next state
        next_states = zip(result.hidden[0].split(1, dim=1), result.hidden[1].split(1, dim=1), strict=True)
        return [
            network_decision(self.name, row, session.scenario.slot_config, next_state, self.telemetry)
            for session, row, next_state in zip(sessions, to_host(result), next_states, strict=True)
        ]

    def seeded_draws(self, seeds: Sequence[int]) -> dict[str, torch.Tensor]:
        """Per head [len(seeds), options] Exp(1) noise; row r is what ``torch.multinomial`` draws, head after
        head, from a generator seeded with ``seeds[r]``: the same shapes ([1, options]) in the same order."""
        generator = self._generator
        rows: dict[str, list[torch.Tensor]] = {head: [] for head in _DRAWN}
        for seed in seeds:
            generator.manual_seed(seed)
            for head in _DRAWN:
                # float32, as the probabilities multinomial would be given (the network softmaxes in float32).
                noise = torch.empty((1, self._sizes[head]), device=generator.device, dtype=torch.float32)
                rows[head].append(noise.exponential_(generator=generator))
        return {head: torch.cat(noise, dim=0) for head, noise in rows.items()}
