"""The engine thread: the one thread that imports torch, loads the policy and runs every decision.

Keeping every torch (and CUDA) call on one thread keeps CUDA's per-thread state in one place and makes
the session single-threaded by construction. Jobs run one at a time in submission order, so a burst of
key presses becomes the same burst of decisions. The thread is a daemon: quitting while torch is still
importing does not wait for the import to finish.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class EngineThread:
    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="tamiyo-engine", daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        self._jobs.put((job, future))
        return future

    def shutdown(self) -> None:
        """Let the running job finish and drop the rest."""
        self._jobs.put(None)

    def _serve(self) -> None:
        while (item := self._jobs.get()) is not None:
            job, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = job()
            except BaseException as err:  # handed to whoever awaits the future, like an executor would
                future.set_exception(err)
            else:
                future.set_result(result)
