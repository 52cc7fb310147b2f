import pytest

from tests.conftest import dev_questions, needs_dev_set

ANSWERABLE = [q for q in dev_questions() if q["answerable"]]


@needs_dev_set
@pytest.mark.parametrize("item", ANSWERABLE, ids=[q["id"] for q in ANSWERABLE])
def test_hybrid_retrieval_ranks_a_gold_article_first(seeded_service, item):
    results = seeded_service.retriever.search(item["question"], k=5)
    assert results[0].source in item["sources"]


def test_results_carry_exact_spans_and_scores(seeded_service):
    results = seeded_service.retriever.search("Sergei Lavrov talks with Rubio", k=5)
    assert len(results) == 5
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True)
    text = (seeded_service.articles_dir / results[0].source).read_text("utf-8")
    for result in results:
        source_text = (seeded_service.articles_dir / result.source).read_text("utf-8")
        assert source_text[result.start : result.end] == result.text
    assert "Lavrov" in text


def test_keyword_side_finds_exact_rare_words(seeded_service):
    hits = seeded_service.index.keywords.search("Akismet Hegses", 5)
    documents = seeded_service.index.keywords.get([doc_id for doc_id, _ in hits])
    assert any("Hegses" in doc.page_content for doc in documents.values())


def test_empty_query_finds_nothing(seeded_service):
    assert seeded_service.retriever.search("   ") == []
    assert seeded_service.index.keywords.search("the of and", 5) == []
