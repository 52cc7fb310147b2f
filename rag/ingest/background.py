"""Work done in a background thread while the caller consumes what it produces.

`rag index` reads, cleans and splits articles in one thread, encodes them a batch ahead in
another (`EmbeddedAhead`), and writes the passages already encoded in the main thread: the
encoder and the stores' native code release the GIL, so the three overlap on two cores.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Generic, TypeVar

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

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


class EmbeddedAhead(Embeddings):
    """Encodes passages a batch or two ahead of the writer, so that encoding the next batch
    overlaps writing this one (Chroma's, the BM25 index's and the record manager's writes).

    `feed(documents)` runs a thread that takes the documents in batches of `batch` (the first of
    `first`), encodes each batch and then passes its documents on; it never runs more than two
    batches ahead of what the caller has taken. As the vector store's embedding function,
    `embed_documents` gives back the vectors encoded ahead and encodes only what it lacks. The
    indexing API skips passages it already stores, so a vector it never asks for is dropped once
    later ones are asked for, or once the caller is two batches past it.
    """

    def __init__(self, inner: Embeddings, batch: int, first: int | None = None) -> None:
        self.inner = inner
        self.batch = batch
        # the first group can be smaller, so the writer starts early (and a crash loses little)
        self.first = first or batch
        self._ready: deque[tuple[int, str, list[float]]] = deque()  # (position, text, vector), in order
        self._changed = threading.Condition()
        self._encoded = 0  # documents encoded ahead
        self._taken = 0  # documents the caller has taken
        self._stopping = False

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        found: dict[str, list[float]] = {}
        with self._changed:
            wanted = set(texts) & {text for _, text, _ in self._ready}
            while wanted - found.keys():
                _, text, vector = self._ready.popleft()  # passages before those asked for were skipped
                if text in wanted:
                    found[text] = vector
            self._changed.notify_all()
        missing = [text for text in dict.fromkeys(texts) if text not in found]
        if missing:
            found.update(zip(missing, self.inner.embed_documents(missing), strict=True))
        return [found[text] for text in texts]

    def feed(self, documents: Iterable[Document]) -> Iterator[Document]:
        def produce(emit: Callable[[Document], None]) -> None:
            source = iter(documents)
            size = self.first
            while chunk := list(islice(source, size)):
                size = self.batch
                with self._changed:
                    while self._encoded - self._taken >= 2 * self.batch and not self._stopping:
                        self._changed.wait()
                    if self._stopping:
                        return
                vectors = self.inner.embed_documents([doc.page_content for doc in chunk])
                with self._changed:
                    for doc, vector in zip(chunk, vectors, strict=True):
                        self._ready.append((self._encoded, doc.page_content, vector))
                        self._encoded += 1
                for doc in chunk:
                    emit(doc)

        with self._changed:  # what an earlier feed left (its last batch is asked for after it ends)
            self._ready.clear()
            self._encoded = self._taken = 0
            self._stopping = False
        ahead: BackgroundFeed[Document] = BackgroundFeed(produce, name="embed-ahead")
        try:
            for doc in ahead:
                with self._changed:
                    self._taken += 1
                    while self._ready and self._ready[0][0] < self._taken - 2 * self.batch:
                        self._ready.popleft()  # long skipped: the indexing API is past its batch
                    self._changed.notify_all()
                yield doc
        finally:
            with self._changed:
                self._stopping = True  # a caller that stopped early: the encoder may be waiting
                self._changed.notify_all()
            ahead.close()
