"""The background feed that lets `rag index` read articles while it embeds."""

from __future__ import annotations

import threading
import time

import pytest

from rag.ingest.background import BackgroundFeed


def test_items_arrive_in_order_from_another_thread():
    threads: set[str] = set()

    def produce(emit):
        threads.add(threading.current_thread().name)
        for number in range(1000):
            emit(number)

    feed = BackgroundFeed(produce, name="producer")
    assert list(feed) == list(range(1000))
    assert feed.produced == 1000 and feed.finished and threads == {"producer"}


def test_the_producers_error_reaches_the_consumer_after_the_items_before_it():
    def produce(emit):
        emit("first")
        raise ValueError("unreadable folder")

    feed = BackgroundFeed(produce)
    seen = []
    with pytest.raises(ValueError, match="unreadable folder"):
        for item in feed:
            seen.append(item)
    assert seen == ["first"]


def test_a_consumer_that_fails_stops_the_producer():
    emitted = []

    def produce(emit):
        for number in range(10_000):
            emit(number)
            emitted.append(number)
            time.sleep(0.001)

    feed = BackgroundFeed(produce)
    with pytest.raises(RuntimeError):
        for item in feed:
            if item == 5:
                raise RuntimeError("the disk is full")
    feed.close()  # returns once the producer has stopped
    stopped_at = len(emitted)
    time.sleep(0.05)
    assert len(emitted) == stopped_at < 10_000


class CountingEmbeddings:
    """Stands in for the encoder (the real one is used by every index test): a text's vector is
    its length, and each call records its thread and texts."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []

    def embed_documents(self, texts):
        self.calls.append((threading.current_thread().name, list(texts)))
        return [[float(len(text))] for text in texts]

    def embed_query(self, text):
        return [float(len(text))]


def documents(count: int):
    from langchain_core.documents import Document

    return [Document(page_content="x" * (number + 1)) for number in range(count)]


def test_a_smaller_first_group_starts_the_writer_early_and_larger_ones_follow():
    from rag.ingest.background import EmbeddedAhead

    inner = CountingEmbeddings()
    ahead = EmbeddedAhead(inner, batch=8, first=4)
    taken = []
    for doc in ahead.feed(documents(22)):
        taken.append(doc)
        if len(taken) % 4 == 0:  # the writer's batches stay of 4
            batch = [d.page_content for d in taken[-4:]]
            assert ahead.embed_documents(batch) == [[float(len(text))] for text in batch]
    last = [d.page_content for d in taken[20:]]
    assert ahead.embed_documents(last) == [[21.0], [22.0]]
    assert [len(texts) for _, texts in inner.calls] == [4, 8, 8, 2]
    assert {thread for thread, _ in inner.calls} == {"embed-ahead"}


def test_passages_are_encoded_ahead_in_another_thread_and_handed_back():
    from rag.ingest.background import EmbeddedAhead

    inner = CountingEmbeddings()
    ahead = EmbeddedAhead(inner, batch=4)
    taken = []
    for doc in ahead.feed(documents(10)):
        taken.append(doc)
        if len(taken) % 4 == 0:  # the writer asks for each full batch's vectors as it fills
            batch = [d.page_content for d in taken[-4:]]
            assert ahead.embed_documents(batch) == [[float(len(text))] for text in batch]
    # and for the last, short batch once the feed has ended, as LangChain's indexing API does
    last = [d.page_content for d in taken[8:]]
    assert ahead.embed_documents(last) == [[9.0], [10.0]]
    assert len(taken) == 10
    assert {thread for thread, _ in inner.calls} == {"embed-ahead"}  # nothing encoded twice or late
    assert sum(len(texts) for _, texts in inner.calls) == 10
    # a text never fed is encoded when asked for
    assert ahead.embed_documents(["new text"]) == [[8.0]]


def test_passages_the_writer_skips_are_dropped_without_holding_the_encoder_up():
    from rag.ingest.background import EmbeddedAhead

    inner = CountingEmbeddings()
    ahead = EmbeddedAhead(inner, batch=5)
    taken = 0
    held = []
    for doc in ahead.feed(documents(200)):  # the writer asks for one passage in ten: the rest are stored already
        taken += 1
        if taken % 10 == 0:
            assert ahead.embed_documents([doc.page_content]) == [[float(len(doc.page_content))]]
        held.append(len(ahead._ready))
    assert taken == 200
    assert max(held) <= 4 * 5  # never more than a few batches waiting
    assert all(thread == "embed-ahead" for thread, _ in inner.calls)


def test_a_writer_that_fails_stops_the_encoder():
    from rag.ingest.background import EmbeddedAhead

    inner = CountingEmbeddings()
    ahead = EmbeddedAhead(inner, batch=3)
    with pytest.raises(RuntimeError):
        for number, _ in enumerate(ahead.feed(documents(1000))):
            if number == 4:
                raise RuntimeError("the disk is full")
    encoded = sum(len(texts) for _, texts in inner.calls)
    time.sleep(0.05)
    assert sum(len(texts) for _, texts in inner.calls) == encoded <= 3 * 3


def test_a_text_never_encoded_ahead_does_not_discard_the_next_batch():
    from rag.ingest.background import EmbeddedAhead

    inner = CountingEmbeddings()
    ahead = EmbeddedAhead(inner, batch=2)
    feed = ahead.feed(documents(4))
    first = [next(feed), next(feed)]
    # the writer asks for a text the feed never gave (it stays encoded on demand), and the rest
    assert ahead.embed_documents(["elsewhere"] + [d.page_content for d in first]) == [[9.0], [1.0], [2.0]]
    rest = list(feed)
    assert ahead.embed_documents([d.page_content for d in rest]) == [[3.0], [4.0]]
    assert [texts for thread, texts in inner.calls if thread != "embed-ahead"] == [["elsewhere"]]
