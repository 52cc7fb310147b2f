from pathlib import Path

from rag.ingest.chunking import sentence_spans, split_article
from rag.ingest.loading import load_articles, parse_article

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def test_sentences_respect_abbreviations_and_run_together_stops():
    text = "U.S. President Donald Trump met Mr. Putin in Riyadh. It went well.Next came talks."
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences[0] == "U.S. President Donald Trump met Mr. Putin in Riyadh."
    assert "It went well." in sentences
    assert sentences[-1] == "Next came talks."


def test_passages_map_back_to_exact_spans(embedder):
    for article in load_articles(SEEDS, 2_000_000).articles:
        for passage in split_article(article, 160, 32, embedder.count_tokens):
            assert article.text[passage.start : passage.end] == passage.text
            assert embedder.count_tokens(passage.text) <= 160


def test_passages_end_on_sentence_boundaries_and_overlap(embedder):
    body = " ".join(f"Sentence number {i} talks about the harbour and the fishing fleet." for i in range(40))
    article = parse_article("long.txt", f"A Long Story About The Harbour\n\n{body}\n".encode())
    passages = split_article(article, 60, 20, embedder.count_tokens)
    assert len(passages) > 3
    for passage in passages[1:]:
        assert passage.text.startswith("Sentence number")
        assert passage.text.endswith("fleet.")
    for before, after in zip(passages, passages[1:]):
        assert after.start < before.end  # neighbours share their boundary sentences


def test_a_sentence_longer_than_a_passage_is_cut_at_words(embedder):
    article = parse_article("run-on.txt", ("Title Of A Run-On Story\n\n" + "word " * 400 + ".").encode())
    passages = split_article(article, 50, 10, embedder.count_tokens)
    assert len(passages) >= 8
    assert all(embedder.count_tokens(p.text) <= 50 for p in passages)


def test_a_long_headline_in_title_case_is_a_sentence_of_its_own():
    text = (
        "Harbour Board Backs New Toll Plan as Ferry Operators Threaten Strike Action\n"
        "Port Elwyn Councillors Split Over Funding for the Quai Bridge Replacement Work\n"
        "The harbour board approved the toll on Friday after a long debate, and ferry operators said\n"
        "they would meet on Monday to decide on a strike.\n"
    )
    sentences = [text[start:end] for start, end in sentence_spans(text)]
    assert sentences[0] == "Harbour Board Backs New Toll Plan as Ferry Operators Threaten Strike Action"
    assert sentences[1] == "Port Elwyn Councillors Split Over Funding for the Quai Bridge Replacement Work"
    # a hard-wrapped line of prose still runs on into the next
    assert sentences[2].startswith("The harbour board approved") and sentences[2].endswith("on a strike.")
