"""WordNet's kinds of common nouns, read from the packaged data files."""

import pytest

from rag.language import lexicon
from rag.language.lexicon import ORGANISATION, PERSON, PLACE, TIME, noun_kinds


@pytest.mark.parametrize(
    ("noun", "kind"),
    [
        ("residents", PERSON),
        ("officials", PERSON),
        ("government", ORGANISATION),
        ("village", PLACE),
        ("warehouse", PLACE),
        ("street", PLACE),
        ("decade", TIME),
        ("winter", TIME),
    ],
)
def test_common_nouns_have_their_kind(noun, kind):
    assert kind in noun_kinds(noun)


@pytest.mark.parametrize("noun", ["idea", "budget", "statement", "delay"])
def test_nouns_of_no_kind_have_none(noun):
    assert noun_kinds(noun) == frozenset()


def test_data_files_are_copied_once_with_unix_line_ends(tmp_path):
    packaged = lexicon._packaged_files()
    assert b"\r\n" in (packaged / "lexnames").read_bytes()  # why the copy exists
    leftover = tmp_path / "wordnet-3.0"
    leftover.mkdir()
    (leftover / "data.noun").write_text("cut short", "utf-8")  # a copy that never finished
    copied = lexicon._unix_copy(packaged, tmp_path)
    assert copied == leftover and (copied / "complete").exists()
    assert b"\r" not in (copied / "data.noun").read_bytes()
    assert (copied / "data.noun").stat().st_size < (packaged / "data.noun").stat().st_size
    stamp = (copied / "data.noun").stat().st_mtime_ns
    assert lexicon._unix_copy(packaged, tmp_path) == copied
    assert (copied / "data.noun").stat().st_mtime_ns == stamp  # not copied again
    assert [p.name for p in tmp_path.iterdir()] == ["wordnet-3.0"]  # no scratch folder left


def test_lookups_from_several_threads_agree():
    """Pages answer in several threads; the reader's shared file handles must not mix reads
    (without the lock, this many lookups at once fail or come back wrong)."""
    from concurrent.futures import ThreadPoolExecutor
    from itertools import islice

    nouns = list(islice(lexicon.wordnet().all_lemma_names(pos="n"), 20_000, 21_500))
    noun_kinds.cache_clear()
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(noun_kinds, nouns))
    noun_kinds.cache_clear()
    alone = [noun_kinds(noun) for noun in nouns]
    assert together == alone
