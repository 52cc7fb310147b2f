"""The index's write lock: one writer at a time, on one machine or across app hosts.

Every writer takes a file lock in its own index folder (it guards the local keyword table), and
one beside a SQLite record manager that other index folders share. When the record manager
lives in a shared PostgreSQL database, the writer also takes a
PostgreSQL advisory lock there, so hosts that share one Chroma server and one record manager
never write at once. An advisory lock belongs to its database session: a writer that dies
releases it with its connection, so a crash never leaves the index locked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from filelock import FileLock, Timeout


class IndexBusy(RuntimeError):
    """Another process (here or on another host) is updating the index."""


def _advisory_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (PostgreSQL advisory locks take a bigint)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big", signed=True)


@contextmanager
def _file_lock(path: Path, wait: bool, on_wait: Callable[[], None] | None) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if not wait:
            raise IndexBusy("another index update is running") from None
        if on_wait:
            on_wait()
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _postgres_lock(url: str, name: str, wait: bool, on_wait: Callable[[], None] | None) -> Iterator[None]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    key = _advisory_key(name)
    try:
        with engine.connect() as connection:
            taken = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
            if not taken:
                if not wait:
                    raise IndexBusy("another host is updating the shared index")
                if on_wait:
                    on_wait()
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()
    finally:
        engine.dispose()


@contextmanager
def write_lock(
    index_dir: Path,
    record_manager_url: str | None,
    name: str,
    wait: bool = True,
    on_wait: Callable[[], None] | None = None,
) -> Iterator[None]:
    """Hold the index's write lock; `IndexBusy` at once when `wait` is false and it is taken."""
    with ExitStack() as stack:
        stack.enter_context(_file_lock(index_dir / ".update.lock", wait, on_wait))
        if record_manager_url and record_manager_url.startswith("postgresql"):
            stack.enter_context(_postgres_lock(record_manager_url, name, wait, on_wait))
        elif record_manager_url and record_manager_url.startswith("sqlite:///"):
            shared = Path(record_manager_url.removeprefix("sqlite:///")).resolve()
            if shared.parent != index_dir.resolve():  # a record manager other index folders use too
                stack.enter_context(_file_lock(shared.with_name(shared.name + ".write.lock"), wait, on_wait))
        yield
