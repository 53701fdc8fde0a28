"""The 2016337e sweep's sampling noise: row r's draws make the choice ``torch.multinomial`` makes from a
generator seeded with row r's seed, head after head, as ``PolicyRunner.decide`` samples one episode."""

from __future__ import annotations

import torch

from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.generations.esper_2016337e.network import DRAW_ORDER
from tamiyo_tui.policy.bundle_2016337e import Policy2016337eBundle
from tamiyo_tui.sweep.batched_2016337e import Network2016337eBatch


def test_each_rows_noise_chooses_what_multinomial_draws_from_that_rows_seed() -> None:
    bundle = Policy2016337eBundle.untrained(SlotConfig.default(), init_seed=1)
    batch = Network2016337eBatch("policy", bundle, telemetry=False, device=torch.device("cpu"))
    seeds = list(range(40, 72))
    draws = batch.seeded_draws(seeds)
    sizes = bundle.network.head_sizes
    probs = {head: torch.softmax(torch.randn(len(seeds), size) * 2, dim=-1) for head, size in sizes.items()}
    generator = torch.Generator()
    for row, seed in enumerate(seeds):
        generator.manual_seed(seed)
        for head in ("op", *DRAW_ORDER):
            expected = torch.multinomial(probs[head][row : row + 1], 1, generator=generator).item()
            assert (probs[head][row] / draws[head][row]).argmax().item() == expected, (seed, head)


def test_rows_with_different_seeds_draw_different_noise() -> None:
    bundle = Policy2016337eBundle.untrained(SlotConfig.default(), init_seed=1)
    draws = Network2016337eBatch("policy", bundle, telemetry=False, device=torch.device("cpu")).seeded_draws([3, 3, 4])
    assert torch.equal(draws["op"][0], draws["op"][1])
    assert not torch.equal(draws["op"][0], draws["op"][2])
