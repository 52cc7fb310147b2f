"""One round over a followed feed of N entries from a local news site, then indexing what it saved.

    .venv/bin/python bench/follow.py [--entries 200] [--words 400] [--host-delay 0]

A news site on 127.0.0.1 (tests/news_site.py) serves an RSS feed of N entries, each linking to a
page of its own (a different local report of about --words words, with a menu and a footer
around it). The feed is followed in a fresh articles folder: the feed is fetched, then each page
is fetched, its text extracted by trafilatura and saved as Markdown (`rag.ingest.feeds`); the saved
articles are then indexed with the embedder already loaded (its loading is printed on its own
row). Printed: pages per second over the whole (round and indexing), and the share of the time
spent fetching (requests, robots.txt, any delay between requests to the host), extracting
(reading the feed, extracting text, writing the files) and indexing. A second round follows,
with the feed unchanged: its requests and time.

The delay between requests to one host is 0 by default here (one local host; with the default
RAG_FOLLOW_HOST_DELAY of 1 s, a round over one host's N pages takes at least N seconds).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = ("council farmers harbour museum river bridge school hospital orchestra football railway market "
         "festival library factory vineyard island mountain forest airport").split()
VERBS = "opened closed repaired expanded sold moved renamed celebrated protested funded".split()


def report_text(chooser: random.Random, number: int, words: int) -> tuple[str, list[str]]:
    """A headline and paragraphs of about `words` words of random local news."""
    paragraphs, count = [], 0
    while count < words:
        sentences = [
            f"The {chooser.choice(WORDS)} in {chooser.choice(WORDS).title()}ville {chooser.choice(VERBS)} "
            f"{chooser.randint(2, 900)} {chooser.choice(WORDS)}s after {chooser.choice(WORDS)} officials "
            f"{chooser.choice(VERBS)} the {chooser.choice(WORDS)} plan on day {number}."
            for _ in range(4)
        ]
        paragraphs.append(" ".join(sentences))
        count += sum(len(sentence.split()) for sentence in sentences)
    headline = f"Local report {number}: the {chooser.choice(WORDS)} {chooser.choice(VERBS)}"
    return headline, paragraphs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=200)
    parser.add_argument("--words", type=int, default=400, help="words of each page's article")
    parser.add_argument("--host-delay", type=float, default=0.0, help="seconds between requests to the host")
    args = parser.parse_args()

    from rag.ingest.feeds import Follower
    from rag.service import RagService
    from rag.settings import load_settings
    from tests.news_site import NewsSite, rss

    site = NewsSite().start()
    chooser = random.Random(11)
    items = []
    for number in range(args.entries):
        headline, paragraphs = report_text(chooser, number, args.words)
        path = f"/news/{number:04d}"
        site.add_page(path, headline, paragraphs, published=f"2025-{1 + number % 12:02d}-{1 + number % 28:02d}")
        items.append({"title": headline, "link": site.url(path), "published": f"2025-{1 + number % 12:02d}-{1 + number % 28:02d}"})
    site.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
    site.add("/feed.xml", rss("Benchmark Gazette", items), "application/rss+xml", etag='"bench-1"')

    with tempfile.TemporaryDirectory() as base:
        settings = load_settings(
            articles_dir=Path(base) / "articles", index_dir=Path(base) / "index", generator="extractive",
            follow_host_delay=args.host_delay, follow_max_entries=args.entries,
        )
        started = time.perf_counter()
        service = RagService(settings)
        service.embedder.warm_up()
        service.index.store  # noqa: B018 - open the stores before timing
        loading = time.perf_counter() - started

        follower = Follower(settings)
        started = time.perf_counter()
        _, report = follower.follow(site.url("/feed.xml"))
        round_seconds = time.perf_counter() - started
        started = time.perf_counter()
        sync = service.update_index()
        index_seconds = time.perf_counter() - started

        again = follower.refresh()
        site.stop()

    total = round_seconds + index_seconds
    pages = len(report.saved)
    other = max(0.0, round_seconds - report.fetch_seconds - report.extract_seconds)
    print(f"feed of {args.entries} entries, pages of about {args.words} words, host delay {args.host_delay:g} s")
    print(f"{'embedder loaded, stores opened':<34} {loading:7.2f} s (not counted below)")
    print(f"{'pages saved':<34} {pages:7d}   ({len(report.failed)} failed, {report.requests} requests)")
    print(f"{'passages indexed':<34} {sync.added:7d}   ({sync.articles} articles)")
    print(f"{'round (fetch + extract + save)':<34} {round_seconds:7.2f} s")
    print(f"{'indexing':<34} {index_seconds:7.2f} s")
    print(f"{'pages/s, round and indexing':<34} {pages / total:7.1f}")
    print(f"{'pages/s, round alone':<34} {pages / round_seconds:7.1f}")
    for name, seconds in [("fetching", report.fetch_seconds), ("extracting and saving", report.extract_seconds),
                          ("indexing", index_seconds), ("other (state, locks)", other)]:
        print(f"  {name:<32} {seconds:7.2f} s  {100 * seconds / total:5.1f}%")
    print(f"{'second round, feed unchanged':<34} {again.seconds:7.3f} s, {again.requests} request{'s' if again.requests != 1 else ''}, "
          f"{len(again.saved) + len(again.updated)} pages fetched")


if __name__ == "__main__":
    main()
