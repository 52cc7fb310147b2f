"""Syndicated copies: the same story under several names is indexed once, in a real index."""

from pathlib import Path

from rag.duplicates import NearDuplicates, signature
from tests.conftest import SEEDS, make_service, synthetic_articles

STORY = """Regional airline orders twelve electric aircraft

Nordvik Air said on Wednesday it had ordered twelve battery-powered aircraft for its island routes,
the largest such order in Europe so far. The nineteen-seat planes are due to enter service in 2028
and will fly routes shorter than 200 kilometres, the company said in a statement. Chief executive
Ingrid Solberg said the order was worth about 90 million euros and that charging stations would be
built at six airports. Unions welcomed the plan but asked for guarantees that no pilots would lose
their jobs. The manufacturer, a start-up based in Gothenburg, has not yet received certification for
the aircraft, which it expects by the end of 2027.
"""

COPIES = {
    "nordvik.txt": STORY,
    "wire-nordvik.txt": "By Wire Staff | Oslo\n\n" + STORY + "\nReporting by Wire Staff; editing by the news desk.\n",
    "nordvik-update.md": "# Nordvik Air orders electric planes\n\n"
    + STORY.replace("on Wednesday", "on Wednesday morning") + "\n*This story was first published by a wire service.*\n",
}

def test_copies_are_found_and_different_stories_are_not():
    seen = NearDuplicates()
    seen.add("nordvik.txt", signature(STORY))
    for name, text in COPIES.items():
        assert seen.find(signature(text)) == "nordvik.txt", name
    for name, text in synthetic_articles(20).items():
        assert seen.find(signature(text)) is None, name
    for seed in SEEDS.glob("*.txt"):
        assert seen.find(signature(seed.read_text("utf-8"))) is None


def test_three_copies_among_twenty_others_are_indexed_and_retrieved_once(tmp_path: Path, embedder):
    articles = tmp_path / "articles"
    articles.mkdir()
    for name, text in {**COPIES, **synthetic_articles(20)}.items():
        (articles / name).write_text(text, "utf-8")
    service = make_service(articles, tmp_path / "index", embedder)
    report = service.update_index()
    copies = {item.source: item.copy_of for item in report.skipped_files}
    assert copies == {"nordvik.txt": "nordvik-update.md", "wire-nordvik.txt": "nordvik-update.md"}
    assert report.articles == 21

    top = service.retriever.search("How many electric aircraft did Nordvik Air order?", k=5)
    assert [hit.source for hit in top].count("nordvik-update.md") >= 1
    assert not {"nordvik.txt", "wire-nordvik.txt"} & {hit.source for hit in top}
    assert len({hit.text for hit in top}) == len(top)

    # Remove the indexed copy: the next update indexes one of the others in its place.
    (articles / "nordvik-update.md").unlink()
    after = service.update_index()
    sources = service.index.keywords.sources()
    assert "nordvik.txt" in sources and "wire-nordvik.txt" not in sources
    assert {item.source: item.copy_of for item in after.skipped_files} == {"wire-nordvik.txt": "nordvik.txt"}
    answer = service.assistant("extractive").ask("How many battery-powered aircraft did Nordvik Air order?")
    assert not answer.abstained and answer.citations[0].source == "nordvik.txt"
    assert answer.citations[0].also_as == ["wire-nordvik.txt"]  # the reader sees every name of the story
