"""Near-duplicate articles: the same story saved twice, as wire copy under two names is.

Each article's words are shingled and summarised by a MinHash (`datasketch`); an LSH index
finds an already indexed article whose estimated Jaccard similarity is at least
`NEAR_DUPLICATE_JACCARD`. The newcomer is then not indexed a second time: it is listed as a
copy of that article, and indexed on its own if the first one is removed.
"""

from __future__ import annotations

import re
from functools import cache

NUM_PERM = 64
SHINGLE_WORDS = 3
NEAR_DUPLICATE_JACCARD = 0.8  # share of 3-word shingles two copies of a story have in common
_WORD = re.compile(r"\w+")


def signature(text: str) -> list[int]:
    """The MinHash of the text's 3-word shingles, as plain integers (kept in the manifest)."""
    from datasketch import MinHash

    words = _WORD.findall(text.casefold())
    shingles = {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(max(1, len(words) - SHINGLE_WORDS + 1))}
    minhash = MinHash(num_perm=NUM_PERM, scheme="affine32", permutations=_permutations())
    minhash.update_batch([shingle.encode("utf-8") for shingle in shingles])
    return [int(value) for value in minhash.hashvalues]


@cache
def _permutations():
    """The hash permutations every signature uses (drawn from the fixed seed), drawn once: a
    MinHash draws them anew at each construction otherwise."""
    from datasketch import MinHash

    permutations = MinHash(num_perm=NUM_PERM, scheme="affine32").permutations
    permutations.setflags(write=False)  # shared by every signature
    return permutations


class NearDuplicates:
    """Signatures of the articles seen so far; `find` names the one a new article copies."""

    def __init__(self) -> None:
        from datasketch import MinHashLSH

        # candidates from a looser LSH band, so copies right at the threshold are not missed
        self._lsh = MinHashLSH(threshold=NEAR_DUPLICATE_JACCARD - 0.3, num_perm=NUM_PERM)
        self._signatures: dict[str, object] = {}
        self._values: dict[str, list[int]] = {}
        self._original: dict[str, str] = {}  # a copy's name -> the article indexed in its place

    @staticmethod
    def _minhash(values: list[int]):
        """A stored signature back as a MinHash; the lean kind, which skips drawing the hash
        permutations again, since a fresh process builds the LSH from all the stored signatures."""
        import numpy as np
        from datasketch import LeanMinHash

        return LeanMinHash(seed=1, hashvalues=np.array(values, dtype=np.uint32), scheme="affine32")

    def add(self, name: str, values: list[int], copy_of: str | None = None) -> None:
        """Remember an article; `copy_of` when it is itself a copy, so a copy of a copy is
        traced to the article that was indexed."""
        if name in self._signatures or len(values) != NUM_PERM:
            return
        if copy_of:
            self._original[name] = self._original.get(copy_of, copy_of)
        minhash = self._minhash(values)
        self._signatures[name] = minhash
        self._values[name] = values
        self._lsh.insert(name, minhash)

    def remove(self, name: str) -> None:
        if name in self._signatures:
            self._lsh.remove(name)
            del self._signatures[name], self._values[name]
        self._original.pop(name, None)

    def keep_only(self, signatures: dict[str, list[int]]) -> None:
        """Hold exactly these articles: those gone or changed are removed, the others added.
        Kept between updates, so an update costs the articles that changed, not all of them."""
        for name in [name for name, values in self._values.items() if signatures.get(name) != values]:
            self.remove(name)
        self._original.clear()
        for name, values in signatures.items():
            if name not in self._signatures:
                self.add(name, values)

    def find(self, values: list[int]) -> str | None:
        """The first-named article the LSH finds at or above the threshold, checked exactly."""
        minhash = self._minhash(values)
        matches = [name for name in self._lsh.query(minhash) if self._signatures[name].jaccard(minhash) >= NEAR_DUPLICATE_JACCARD]
        return min(self._original.get(name, name) for name in matches) if matches else None
