"""The background feed that lets `rag index` read articles while it embeds."""

from __future__ import annotations

import threading
import time

import pytest

from rag.background import BackgroundFeed


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
