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


def _port_articles() -> dict[str, str]:
    chinese = [
        f"Chinese officials said the Velmora port deal {view}, the foreign ministry in Beijing told reporters on day {day}."
        for day, view in enumerate(
            ["threatens regional shipping", "was negotiated in bad faith", "ignores Chinese investors",
             "should be reviewed by the United Nations", "raises harbour fees unfairly", "favours American carriers",
             "breaks an earlier memorandum", "will be challenged in court", "harms Chinese exporters",
             "was signed without consultation", "sets a dangerous precedent", "must be renegotiated"] * 4, start=1)
    ]
    american = ("American officials said the Velmora port deal opens the harbour to fair competition, "
                "the State Department in Washington told reporters.")
    return {
        "beijing-port.txt": "Beijing Condemns Velmora Port Deal\n\n" + " ".join(chinese) + "\n",
        "washington-port.txt": "Washington Welcomes Velmora Port Deal\n\n" + american + "\n",
    }


def test_a_question_that_compares_draws_on_more_than_one_article(tmp_path, embedder):
    from rag.question import analyse
    from tests.conftest import indexed_articles, synthetic_articles

    service = indexed_articles(tmp_path, {**_port_articles(), **synthetic_articles(10)}, embedder)
    question = "How do the Chinese and American views of the Velmora port deal differ?"
    assert analyse(question).compares
    assert not analyse("What did Chinese officials say about the Velmora port deal?").compares

    plain = service.retriever.search(question, k=4)
    assert [p.source for p in plain].count("beijing-port.txt") >= 3  # one long article crowds the top 4
    spread, _ = service.retriever.search_with_notes(question, k=4, spread=True)
    sources = [p.source for p in spread]
    assert "washington-port.txt" in sources and sources.count("beijing-port.txt") <= 2
    assert len(spread) == 4

    answer = service.assistant("extractive").ask(question)
    assert {"beijing-port.txt", "washington-port.txt"} <= {p.source for p in answer.passages}


def test_standardised_fusion_weighs_each_search_by_how_far_a_passage_stands_out():
    from rag.retrieval import z_score_combination

    similarity = {"a": 0.62, "b": 0.60, "c": 0.30, "d": 0.31}
    keyword = {"c": 30.0, "a": 20.0}  # "c" is the best BM25 match, "a" the best cosine and a good BM25 one
    fused = z_score_combination(similarity, keyword, list(similarity), dense_weight=0.5)
    assert max(fused, key=fused.get) == "a"  # good on both
    assert fused["c"] > fused["b"]  # a strong keyword match beats a middling cosine alone
    # BM25's scale does not matter, only where each passage stands among the candidates
    scaled = z_score_combination(similarity, {k: 10 * v for k, v in keyword.items()}, list(similarity), 0.5)
    assert scaled == pytest.approx(fused)
    # no BM25 hit at all: the cosine alone orders the candidates
    alone = z_score_combination(similarity, {}, list(similarity), 0.5)
    assert sorted(alone, key=alone.get, reverse=True) == ["a", "b", "d", "c"]
