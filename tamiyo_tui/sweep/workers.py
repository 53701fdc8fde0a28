"""``--workers N``: the episodes split into N shards, each run by a ``BatchedSweep`` in its own process.

On a CPU one process batches its shard on one thread, so N processes use N cores. Processes start with
the spawn method (a fork would copy a parent that may already hold torch's thread pool). Each worker
reports progress after every epoch and sends its result when done; the results are merged and ranked by
each finding's place in the sweep, so any number of workers gives the same findings in the same order.
On cuda one process batches every episode on the device (``--workers`` must be 1 there).
"""

from __future__ import annotations

import multiprocessing
import queue
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from tamiyo_tui.errors import InputError
from tamiyo_tui.sweep.episodes import EpisodeFactory, EpisodeSpec
from tamiyo_tui.sweep.runner import BatchedSweep, SweepResult, SweepSettings

POLL_S = 0.5  # how often the parent looks for a worker that died without a word


def run_sweep(
    specs: Sequence[EpisodeSpec],
    settings: SweepSettings,
    workers: int = 1,
    on_progress: Callable[[int], None] | None = None,
    factory: EpisodeFactory | None = None,
) -> SweepResult:
    """Every episode of ``specs``, in ``workers`` processes (in this one when 1, with ``factory``'s
    policies when given: a worker process loads its own)."""
    shards = [list(specs[k::workers]) for k in range(workers) if specs[k::workers]]
    if len(shards) <= 1:
        return BatchedSweep(specs, settings, on_progress=on_progress, factory=factory).run()
    context = multiprocessing.get_context("spawn")
    messages: Any = context.Queue()
    processes = [
        context.Process(target=_work, args=(index, shard, settings, messages), name=f"tamiyo-sweep-{index}")
        for index, shard in enumerate(shards)
    ]
    try:
        for process in processes:
            process.start()
        results = _collect(processes, messages, on_progress)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
    merged = SweepResult()
    for index in range(len(shards)):
        merged.merge(results[index])
    return merged


def _collect(processes: list[Any], messages: Any, on_progress: Callable[[int], None] | None) -> dict[int, SweepResult]:
    results: dict[int, SweepResult] = {}
    while len(results) < len(processes):
        try:
            kind, index, payload = messages.get(timeout=POLL_S)
        except queue.Empty:
            for index, process in enumerate(processes):
                if index not in results and process.exitcode not in (None, 0):
                    raise RuntimeError(f"sweep worker {index} exited with code {process.exitcode}") from None
            continue
        if kind == "progress":
            if on_progress is not None:
                on_progress(payload)
        elif kind == "done":
            results[index] = payload
        elif kind == "bad input":
            raise InputError(payload)
        else:
            raise RuntimeError(f"sweep worker {index} failed:\n{payload}")
    return results


def _work(index: int, shard: list[EpisodeSpec], settings: SweepSettings, messages: Any) -> None:
    """A worker process: run the shard, say how far it got after every epoch, then send the result."""
    try:

        def report(decisions: int) -> None:
            messages.put(("progress", index, decisions))

        messages.put(("done", index, BatchedSweep(shard, settings, on_progress=report).run()))
    except InputError as err:
        messages.put(("bad input", index, str(err)))
    except Exception:  # the parent reports it, with the worker's own traceback
        messages.put(("failed", index, traceback.format_exc()))
