"""Freed heap memory goes back to the system (`rag.heap`)."""

import ctypes

import pytest

from rag.heap import c_library, release_freed_memory
from tests.conftest import resident_mib


def test_memory_freed_in_small_pieces_is_handed_back():
    if not release_freed_memory():
        pytest.skip("this C library keeps no freed memory to hand back")
    libc = c_library()
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    # many small blocks, as a sampler's per-token work leaves them; the last stays in use, so the
    # freed ones are not at the top of the heap, where glibc would give them back by itself
    blocks = [libc.malloc(4096) for _ in range(50_000)]
    for block in blocks:
        ctypes.memset(block, 1, 4096)
    held = resident_mib()
    for block in blocks[:-1]:
        libc.free(block)
    kept = resident_mib()
    assert release_freed_memory()
    released = resident_mib()
    libc.free(blocks[-1])
    assert kept > held - 50  # freed, yet still resident
    assert released < kept - 150  # about 195 MiB were freed
