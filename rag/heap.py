"""Hand memory the process has freed back to the operating system.

llama.cpp's sampling under a grammar (the JSON a model writes under a schema) allocates and
frees a few hundred MiB in small pieces for each reply. glibc's allocator keeps freed memory for
reuse, so without this the page's resident memory swings by that much from one question to the
next, and a reading after any question may be a few hundred MiB high (`bench/app_memory.py`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def c_library() -> ctypes.CDLL | None:
    """The process's C library, or None where it cannot be loaded."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def release_freed_memory() -> bool:
    """Return freed heap pages to the system; False where the C library cannot (glibc's
    `malloc_trim`; musl and macOS have none)."""
    trim = getattr(c_library(), "malloc_trim", None)
    if trim is None:
        return False
    trim(0)
    return True
