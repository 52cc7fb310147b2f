import pytest

from tests.conftest import NEWS, indexed_articles, synthetic_articles

# Questions about the invented news stories, each with the story that answers it; some name a
# place or thing another story also mentions (Saltby, the tunnel, the reservoir).
ASKED = [
    ("Who did the board choose to lead the Kessel Observatory?", "01_kessel_observatory.txt"),
    ("Why will the main dome close for six weeks?", "01_kessel_observatory.txt"),
    ("What do night-sky groups want the ski resort to do?", "01_kessel_observatory.txt"),
    ("How often will replacement buses run during the tunnel closure?", "02_tarrow_tunnel.txt"),
    ("What did the Saltby traders ask the rail operator for?", "02_tarrow_tunnel.txt"),
    ("How cold did it get in the Semmer valley on Sunday night?", "03_semmer_frost.txt"),
    ("Why was the spring wine festival moved to the autumn?", "03_semmer_frost.txt"),
    ("How did the curator know the tapestry was the stolen one?", "04_orlin_tapestry.txt"),
    ("What did the thieves leave behind in 1987?", "04_orlin_tapestry.txt"),
    ("Why did fishermen campaign against the plant?", "05_saltby_water.txt"),
    ("Why did Saltby not build a pipeline from the Holm reservoir?", "05_saltby_water.txt"),
]


@pytest.fixture(scope="module")
def news_among_others(tmp_path_factory, embedder):
    """The news stories among twenty local reports sharing many of their words."""
    stories = {path.name: path.read_text("utf-8") for path in NEWS.glob("*.txt")}
    return indexed_articles(tmp_path_factory.mktemp("crowded"), {**stories, **synthetic_articles(20)}, embedder)


@pytest.mark.parametrize(("question", "source"), ASKED, ids=[f"{s[:2]}-{n}" for n, (_, s) in enumerate(ASKED)])
def test_hybrid_retrieval_ranks_the_answering_article_first(news_among_others, question, source):
    results = news_among_others.retriever.search(question, k=5)
    assert results[0].source == source


def test_results_carry_exact_spans_and_scores(news_service):
    results = news_service.retriever.search("Ottilie Brennand takes over from Hugo Selmer", k=5)
    assert len(results) == 5
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True)
    text = (news_service.articles_dir / results[0].source).read_text("utf-8")
    for result in results:
        source_text = (news_service.articles_dir / result.source).read_text("utf-8")
        assert source_text[result.start : result.end] == result.text
    assert "Brennand" in text


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
    from rag.answer.question import analyse
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
    from rag.retrieve.retrieval import z_score_combination

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
