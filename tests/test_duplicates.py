"""Syndicated copies: the same story under several names is indexed once, in a real index."""

import re
from pathlib import Path

from rag.ingest.duplicates import NearDuplicates, signature
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


def test_signatures_kept_between_updates_follow_what_is_stored():
    others = synthetic_articles(2)
    first, second = (signature(text) for text in others.values())
    seen = NearDuplicates()
    seen.add("a.txt", first)
    seen.add("b.txt", second)
    seen.add("0-copy.txt", signature(STORY), copy_of="a.txt")  # sorts first: found if it were kept
    seen.keep_only({"a.txt": signature(STORY), "c.txt": second})  # a changed, b gone, c new
    assert seen.find(signature(STORY)) == "a.txt"
    assert seen.find(first) is None
    assert seen.find(second) == "c.txt"


def test_a_process_that_stays_open_sees_what_another_one_indexed(tmp_path: Path, embedder):
    """The page keeps the signatures between updates; the command line may update the same
    index meanwhile, and a story changed in place is no longer the old story."""
    articles = tmp_path / "articles"
    articles.mkdir()
    *three, (_, fourth) = synthetic_articles(4).items()
    for name, text in three:
        (articles / name).write_text(text, "utf-8")
    page = make_service(articles, tmp_path / "index", embedder)
    page.update_index()

    (articles / "nordvik.txt").write_text(STORY, "utf-8")
    make_service(articles, tmp_path / "index", embedder).update_index()  # another process
    (articles / "wire-nordvik.txt").write_text(COPIES["wire-nordvik.txt"], "utf-8")
    report = page.update_index()
    assert {item.source: item.copy_of for item in report.skipped_files} == {"wire-nordvik.txt": "nordvik.txt"}

    changed, old_story = three[0]
    (articles / changed).write_text(fourth, "utf-8")
    page.update_index()
    (articles / "old-story.txt").write_text(old_story, "utf-8")
    report = page.update_index()
    assert "old-story.txt" not in {item.source for item in report.skipped_files}
    assert "old-story.txt" in page.index.keywords.sources()


def test_a_signature_is_the_minhash_of_the_texts_shingles():
    """Drawing the hash permutations once gives the signatures a fresh MinHash gives."""
    from datasketch import MinHash

    text = (SEEDS / sorted(path.name for path in SEEDS.glob("*.txt"))[0]).read_text("utf-8")
    words = re.findall(r"\w+", text.casefold())
    fresh = MinHash(num_perm=64, scheme="affine32")
    fresh.update_batch([" ".join(words[i : i + 3]).encode("utf-8") for i in range(len(words) - 2)])
    assert signature(text) == [int(value) for value in fresh.hashvalues]
