"""The keyword side of the index: the SQLite passage table and the BM25 index derived from it."""

from __future__ import annotations

import shutil
import threading

import pytest
from langchain_core.documents import Document

from rag.language.nlp import fold
from rag.store import keywords as keywords_module
from rag.store.keywords import KeywordIndex, query_terms


def passage(text: str, source: str, published: str | None = None) -> Document:
    metadata = {"source": source, **({"published": published} if published else {})}
    return Document(page_content=text, metadata=metadata)


PASSAGES = {
    "tram": passage("The Zürich council approved two new tram lines on Monday.", "tram.txt", "2025-02-03"),
    "bread": passage("Bakers in Lyon raised bread prices by five percent.", "bread.txt", "2025-03-10"),
    "port": passage("The port handled a record number of containers, officials said.", "port.txt"),
}


@pytest.fixture
def table(tmp_path) -> KeywordIndex:
    index = KeywordIndex(tmp_path / "keywords.sqlite")
    index.upsert(list(PASSAGES), list(PASSAGES.values()))
    return index


def found(index: KeywordIndex, query: str, **kwargs) -> list[str]:
    return [doc_id for doc_id, _ in index.search(query, 10, **kwargs)]


def test_words_match_folded_stemmed_and_ranked(table):
    assert found(table, "Zurich council") == ["tram"]  # accents folded both ways
    assert found(table, "zürich") == ["tram"]
    assert found(table, "raising the price of breads") == ["bread"]  # stemmed
    assert found(table, "the of and") == []  # stop words alone ask nothing
    assert found(table, "AND OR NOT \"(") == []  # query syntax is never read as syntax
    scores = dict(table.search("tram lines bread", 10))
    assert scores["tram"] > scores["bread"] > 0  # two words matched beat one


def test_publication_dates_filter_without_changing_scores(table):
    both = dict(table.search("council bread port", 10))
    assert found(table, "council bread port", published=["2025-02-03"]) == ["tram"]
    kept = dict(table.search("council bread port", 10, not_published=["2025-02-03"]))
    assert set(kept) == {"bread", "port"}  # the undated passage stays in
    assert kept["bread"] == pytest.approx(both["bread"])
    assert found(table, "council", published=[]) == []


def test_updates_and_deletions_are_searched_at_once(table):
    table.upsert(["bread"], [passage("Bakers in Lyon cut croissant prices.", "bread.txt")])
    assert found(table, "croissant") == ["bread"] and found(table, "five percent") == []
    table.delete(["tram"])
    assert found(table, "tram council") == [] and table.count() == 2
    assert table.searchable_ids() == {"bread", "port"}


def test_a_missing_bm25_folder_is_rebuilt_from_the_table(table):
    shutil.rmtree(table.bm25_path)  # lost, or written by an older version
    reopened = KeywordIndex(table.path)
    assert found(reopened, "containers") == ["port"]
    assert reopened.searchable_ids() == set(PASSAGES)


def test_a_crash_between_the_two_commits_is_repaired_by_the_next_search(table, monkeypatch):
    """The BM25 index committed a write whose table transaction then failed: the next search
    finds them out of step and rebuilds the BM25 index from the table."""
    real_write = keywords_module._Bm25.write

    def write_then_fail(self, *args, **kwargs):
        real_write(self, *args, **kwargs)
        raise OSError("the process died here")

    monkeypatch.setattr(keywords_module._Bm25, "write", write_then_fail)
    with pytest.raises(OSError):
        table.upsert(["ferry"], [passage("The island ferry resumed service.", "ferry.txt")])
    monkeypatch.undo()

    reopened = KeywordIndex(table.path)
    assert found(reopened, "island ferry") == []  # the table never had it
    assert reopened.searchable_ids() == set(PASSAGES) == set(reopened.ids())


def test_searches_in_other_threads_while_writing_see_whole_writes(table):
    errors: list[BaseException] = []
    seen: list[int] = []
    stop = threading.Event()

    def search_repeatedly():
        try:
            while not stop.is_set():
                ids = [doc_id for doc_id, _ in table.search("bulletin", 1000)]
                assert len(ids) % 20 == 0, len(ids)  # a batch of 20 is seen whole or not at all
                seen.append(len(ids))
        except BaseException as error:  # noqa: BLE001 - handed to the main thread
            errors.append(error)

    readers = [threading.Thread(target=search_repeatedly) for _ in range(3)]
    for reader in readers:
        reader.start()
    for batch in range(10):
        ids = [f"bulletin-{batch}-{n}" for n in range(20)]
        table.upsert(ids, [passage(f"Bulletin {n} of batch {batch}.", f"b{batch}.txt") for n in range(20)])
    stop.set()
    for reader in readers:
        reader.join()
    assert not errors, errors
    assert len(table.search("bulletin", 1000)) == 200 and seen


def test_query_terms_drop_stop_words_and_repeats():
    assert query_terms("Who is the mayor of the city, the mayor?") == ["mayor", "city"]


@pytest.mark.parametrize(
    "text",
    ["Zürich", "Ze\u0301lie", "ﬁnance", "Straße", "Ἄθῆναι", "Việt Nam", "①½", "İstanbul", "plain ASCII, 42%",
     "it’s “quoted”\u00a0—", "a\u0323\u0301b", "ＦＵＬＬ"],
)
def test_fold_equals_decomposing_the_whole_text(text):
    assert fold(text) == _folded_whole(text)


def test_fold_equals_decomposing_the_whole_text_for_every_code_point():
    every = "".join(chr(point) for point in range(0x110000) if not 0xD800 <= point <= 0xDFFF)
    assert fold(every) == _folded_whole(every)
    assert fold(" a".join(every[::97])) == _folded_whole(" a".join(every[::97]))  # runs of one, after ASCII


def _folded_whole(text: str) -> str:
    """`fold` as first written: the whole text decomposed, every mark dropped."""
    import unicodedata

    whole = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in whole if not unicodedata.combining(ch)).casefold().replace("’", "'")
