"""Teacher runs on generated scenarios: the heuristic plays, deterministically or sampled.

A *deterministic* teacher run carries out every decision the heuristic makes. A *sampled* one carries out,
on each unscripted step with probability ``SAMPLED_STEP_PROBABILITY``, an option drawn uniformly from what
the masks allow instead (a random valid op, a random slot that op may target, a random valid blueprint and
alpha target); the heuristic's memory follows what was carried out, as it always does. The step's target
stays the heuristic's own decision on that state, so a sampled run teaches what to do *after* a mistake:
the states a sampling policy, or an operator's override, leads into and a deterministic run never visits.

Which runs are sampled is a function of the scenario seed alone (``is_sampled``), and so is every draw of a
sampled run: the episodes are the same whichever process plays them, and ``generated_episodes`` plays them
in worker processes (``fork``), returning them in seed order.
"""

from __future__ import annotations

import dataclasses
import io
import multiprocessing
import random
from collections.abc import Callable, Sequence

import torch

from tamiyo_tui.domain.actions import AlphaTargetAction, BlueprintAction, FactoredAction, LifecycleOp
from tamiyo_tui.domain.slots import SlotConfig
from tamiyo_tui.session.session import InspectionSession
from tamiyo_tui.training.generator import TRAINING_GRID, generated_scenario
from tamiyo_tui.training.rollouts import Episode, play_heuristic

SAMPLED_RUN_SHARE = 0.4  # of the training seeds
SAMPLED_STEP_PROBABILITY = 0.2  # per unscripted step of a sampled run
CHUNK = 8  # episodes a worker plays per task
_EPISODE_FIELDS = tuple(field.name for field in dataclasses.fields(Episode))


def is_sampled(seed: int, share: float = SAMPLED_RUN_SHARE) -> bool:
    """Whether generated seed ``seed`` is a sampled teacher run (a pure function of the seed)."""
    return random.Random(f"tamiyo-teacher#{seed}").random() < share


class Perturbation:
    """The sampled teacher's draws for one episode: with probability ``rate`` a random valid action."""

    def __init__(self, seed: int, rate: float = SAMPLED_STEP_PROBABILITY) -> None:
        self._rng = random.Random(f"tamiyo-sampled#{seed}")
        self._rate = rate

    def __call__(self, session: InspectionSession, decided: dict[str, int]) -> FactoredAction | None:
        if self._rng.random() >= self._rate:
            return None
        explanation = session.explanation()
        masks = explanation.masks()
        rng = self._rng
        ops = [op for op in LifecycleOp if masks["op"][op.value]]
        op = rng.choice(ops) if ops else LifecycleOp.WAIT
        indices = dict(decided)
        indices["op"] = op.value
        if op != LifecycleOp.WAIT:
            slot_ids = session.scenario.slot_config.slot_ids
            targets = explanation.verdict("op", op.name).slots or tuple(
                slot_id for slot_id, allowed in zip(slot_ids, masks["slot"], strict=True) if allowed
            )
            if targets:
                indices["slot"] = slot_ids.index(rng.choice(targets))
        if op == LifecycleOp.GERMINATE:
            blueprints = [bp.value for bp in BlueprintAction if masks["blueprint"][bp.value]]
            if blueprints:
                indices["blueprint"] = rng.choice(blueprints)
        if op in (LifecycleOp.GERMINATE, LifecycleOp.SET_ALPHA_TARGET):
            targets_allowed = [t.value for t in AlphaTargetAction if masks["alpha_target"][t.value]]
            if targets_allowed:
                indices["alpha_target"] = rng.choice(targets_allowed)
        return FactoredAction.from_head_indices(indices)


def play_generated(seed: int, share: float = SAMPLED_RUN_SHARE, layout: SlotConfig = TRAINING_GRID) -> Episode:
    """Generated scenario ``seed`` on ``layout``, played by the heuristic; sampled where ``is_sampled``."""
    scenario = generated_scenario(seed).widened_to(layout)
    return play_heuristic(scenario, seed, Perturbation(seed) if is_sampled(seed, share) else None)


def _play_chunk(task: tuple[tuple[int, ...], float]) -> list[Episode]:
    seeds, share = task
    return [play_generated(seed, share) for seed in seeds]


def _play_chunk_bytes(task: tuple[tuple[int, ...], float]) -> bytes:
    # torch.save bytes of plain fields: a Pool would hand torch tensors over as shared-memory handles, one per
    # tensor, and the parent reads them back with torch.load(weights_only=True), as it reads every file.
    buffer = io.BytesIO()
    torch.save([{name: getattr(episode, name) for name in _EPISODE_FIELDS} for episode in _play_chunk(task)], buffer)
    return buffer.getvalue()


def generated_episodes(
    seeds: Sequence[int],
    share: float = SAMPLED_RUN_SHARE,
    workers: int = 1,
    on_episode: Callable[[], None] | None = None,
) -> list[Episode]:
    """One teacher run per generated seed, in seed order; a ``share`` of them sampled (0: none)."""
    chunks = [(tuple(seeds[i : i + CHUNK]), share) for i in range(0, len(seeds), CHUNK)]
    episodes: list[Episode] = []
    if workers <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            for episode in _play_chunk(chunk):
                episodes.append(episode)
                if on_episode is not None:
                    on_episode()
        return episodes
    with multiprocessing.get_context("fork").Pool(workers, initializer=torch.set_num_threads, initargs=(1,)) as pool:
        for payload in pool.imap(_play_chunk_bytes, chunks):  # imap keeps the order of the chunks
            fields = torch.load(io.BytesIO(payload), weights_only=True)
            played = [Episode(**each) for each in fields]
            episodes.extend(played)
            if on_episode is not None:
                for _ in played:
                    on_episode()
    return episodes
