"""Work done in a background thread while the caller consumes what it produces.

`rag index` reads, cleans and splits articles in one thread while the main thread embeds and
writes the passages already split: the encoder releases the GIL, so the two overlap on two cores.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

Item = TypeVar("Item")
_DONE = object()


class _Stopped(Exception):
    """Raised inside the producer when the consumer has gone away."""


class BackgroundFeed(Generic[Item]):
    """Runs `produce(emit)` in a thread; iterating yields each emitted item in order, then
    re-raises whatever the producer raised. `produced` counts the items emitted so far.
    Closing the iterator early (the consumer failed) stops the producer at its next item."""

    def __init__(self, produce: Callable[[Callable[[Item], None]], None], name: str = "background-feed") -> None:
        self.produced = 0
        self.finished = False
        self._items: queue.SimpleQueue = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(produce,), name=name, daemon=True)
        self._thread.start()

    def _emit(self, item: Item) -> None:
        if self._stop.is_set():
            raise _Stopped
        self.produced += 1
        self._items.put(item)

    def _run(self, produce: Callable[[Callable[[Item], None]], None]) -> None:
        try:
            produce(self._emit)
        except _Stopped:
            pass
        except BaseException as error:  # noqa: BLE001 - handed to the consuming thread
            self._error = error
        finally:
            self._items.put(_DONE)

    def __iter__(self) -> Iterator[Item]:
        try:
            while (item := self._items.get()) is not _DONE:
                yield item
            self.finished = True
            self._thread.join()
            if self._error is not None:
                raise self._error
        finally:
            self._stop.set()

    def close(self) -> None:
        """Stop the producer and wait for it (after an error in the consumer)."""
        self._stop.set()
        self._thread.join()
