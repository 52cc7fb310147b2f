"""Following feeds against a news site on 127.0.0.1: RSS and Atom, pages fetched politely and
saved into the folder, failures reported without losing anything, unchanged feeds costing one
request, updated entries replaced in place, and cited articles shown by headline, outlet, date
and address. Real HTTP, real files, a real index with the real embedder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import frontmatter
import pytest

from rag.answer.replies import Citation
from rag.ingest.feeds import FEEDS_FILE, Follower, FollowError, article_markdown, markdown_text
from rag.ingest.fetching import Fetcher, FetchError
from rag.ingest.formats import extract_markdown
from rag.ingest.loading import parse_article
from rag.settings import load_settings
from tests.conftest import NEWS, SEEDS, make_service
from tests.news_site import NewsSite, atom, rss

RAG = str(Path(sys.executable).parent / "rag")
FOLLOW = {"follow_host_delay": 0.0, "follow_timeout": 1.0, "follow_max_bytes": 300_000}

BRIDGE = ("Harbour Bridge reopens in Velmora", [
    "The Harbour Bridge in Velmora reopened on Monday after engineers replaced 120 steel cables, the city council said.",
    "Traffic returned to the bridge within an hour, and the council said the repairs had cost 4 million euros over two years.",
])
LIBRARY = ("Fire damages Velmora library", [
    "A fire at the Central Library of Velmora destroyed about 12,000 books on Tuesday night, the fire brigade said.",
    "Nobody was hurt, and the library's rare maps had been moved to a vault in the town hall before the fire.",
])
ORCHESTRA = ("Zentara orchestra names a new conductor", [
    "The Zentara Philharmonic Orchestra named Ilse Marwood as its principal conductor from next season, the orchestra said.",
    "Marwood, who led the Velmora Opera for nine years, will conduct 40 concerts a season in the new hall by the river.",
])
MARKET = ("Velmora market moves to the harbour", [
    "The Velmora farmers market will move to the old harbour warehouses in May, where 85 stalls will open on Saturdays.",
    "Traders asked for the move after the square's paving was dug up for the new tram line last autumn.",
])
MARKET_UPDATED = ("Velmora market moves to the harbour", [
    "The Velmora farmers market will move to the old harbour warehouses in June, where 140 stalls will open on Saturdays.",
    "Traders asked for the move after the square's paving was dug up for the new tram line last autumn.",
])
FULL_TEXT = " ".join(
    f"The Velmora lighthouse keeper counted {number} ships passing the northern cape during the storm week."
    for number in range(20, 40)
)


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch):
    """Requests go straight to 127.0.0.1, never through a proxy named in the environment."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def site():
    news = NewsSite().start()
    yield news
    news.stop()


def publish(site: NewsSite) -> dict[str, str]:
    """The site's two feeds and their pages; returns the feeds' addresses."""
    for path, (headline, paragraphs), day in [
        ("/news/bridge", BRIDGE, "2025-03-03"), ("/news/library", LIBRARY, "2025-03-04"),
        ("/stories/orchestra", ORCHESTRA, "2025-02-20"), ("/stories/market", MARKET, "2025-02-21"),
    ]:
        site.add_page(path, headline, paragraphs, published=day)
    site.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
    site.add("/rss.xml", rss("Velmora Post", [
        {"title": BRIDGE[0], "link": site.url("/news/bridge"), "published": "2025-03-03", "summary": "Cables replaced."},
        {"title": LIBRARY[0], "link": site.url("/news/library"), "published": "2025-03-04", "summary": "Books lost."},
    ]), "application/rss+xml; charset=utf-8", etag='"rss-1"')
    site.add("/atom.xml", atom_feed(site, MARKET), "application/atom+xml", last_modified="Sat, 01 Mar 2025 08:00:00 GMT")
    return {"rss": site.url("/rss.xml"), "atom": site.url("/atom.xml")}


def atom_feed(site: NewsSite, market: tuple[str, list[str]], market_day: str = "2025-02-21") -> str:
    return atom("Zentara Courier", [
        {"title": ORCHESTRA[0], "link": site.url("/stories/orchestra"), "updated": "2025-02-20", "author": "Anna Roth"},
        {"title": market[0], "link": site.url("/stories/market"), "updated": market_day},
        {"title": "Storm week at the lighthouse", "link": site.url("/stories/lighthouse"), "updated": "2025-02-22",
         "content": f"<p>{FULL_TEXT}</p>"},
    ])


def follower_for(folder: Path, **settings) -> Follower:
    return Follower(load_settings(articles_dir=folder, index_dir=folder.parent / "index", **{**FOLLOW, **settings}))


def saved_metadata(folder: Path, name: str) -> dict:
    return frontmatter.loads((folder / name).read_text("utf-8")).metadata


def test_rss_and_atom_articles_are_saved_indexed_and_cited_by_headline_outlet_date_and_link(site, tmp_path, embedder):
    feeds = publish(site)
    folder = tmp_path / "articles"
    shutil.copytree(NEWS, folder)
    follower = follower_for(folder)
    rss_feed, rss_round = follower.follow(feeds["rss"])
    atom_feed_, atom_round = follower.follow(feeds["atom"])
    assert (rss_feed["title"], atom_feed_["title"]) == ("Velmora Post", "Zentara Courier")
    assert [saved.title for saved in rss_round.saved] == [BRIDGE[0], LIBRARY[0]]
    assert [saved.title for saved in atom_round.saved] == [ORCHESTRA[0], MARKET[0], "Storm week at the lighthouse"]
    assert not rss_round.failed and not atom_round.failed
    # the feed's own full text is the article: its page is never asked for
    assert site.hits("/stories/lighthouse") == 0
    # each article is a Markdown file named from its address, with where it came from
    bridge = rss_round.saved[0]
    meta = saved_metadata(folder, bridge.file)
    assert bridge.file.endswith(".md") and bridge.file.startswith("127-0-0-1-")
    assert meta["title"] == BRIDGE[0] and meta["published"] == "2025-03-03"
    assert meta["outlet"] == "Velmora Post" and meta["url"] == site.url("/news/bridge")
    assert meta["feed"] == feeds["rss"] and meta["fetched"]
    orchestra = saved_metadata(folder, atom_round.saved[0].file)
    assert orchestra["author"] == "Anna Roth" and orchestra["published"] == "2025-02-20"
    article = parse_article(bridge.file, (folder / bridge.file).read_bytes())
    assert BRIDGE[1][0] in article.text and "Subscribe" not in article.text and "Home" not in article.text
    # the polite fetcher named the product, and read robots.txt once (it is kept for a day)
    assert all(request.headers["user-agent"].startswith("NewsDesk/") for request in site.requests)
    assert site.hits("/robots.txt") == 1

    service = make_service(folder, tmp_path / "index", embedder)
    report = service.update_index()
    assert report.articles == 5 + 5 and not report.skipped_files
    listed = {article["title"]: article for article in service.index.articles()}
    assert listed[BRIDGE[0]]["outlet"] == "Velmora Post" and listed[BRIDGE[0]]["url"] == site.url("/news/bridge")
    # a retrieved passage carries where its article came from into the citation made of it
    question = "How many steel cables were replaced on the Harbour Bridge in Velmora?"
    passage = service.retriever.search(question, k=4)[0]
    assert (passage.source, passage.outlet, passage.url) == (bridge.file, "Velmora Post", site.url("/news/bridge"))
    sentence = SimpleNamespace(text=passage.text, start=passage.start, end=passage.end, byline=False)
    cited = Citation.from_evidence(1, sentence, passage)
    assert (cited.title, cited.outlet, cited.published, cited.url) == (
        BRIDGE[0], "Velmora Post", "2025-03-03", site.url("/news/bridge"))
    answer = service.assistant("extractive").ask(question)
    assert not answer.abstained and "120" in answer.answer
    citation = answer.citations[0]
    assert (citation.title, citation.outlet, citation.published, citation.url) == (
        BRIDGE[0], "Velmora Post", "2025-03-03", site.url("/news/bridge"))
    assert citation.source == bridge.file
    assert json.loads(json.dumps(answer.as_dict()))["citations"][0]["url"] == site.url("/news/bridge")
    # an article saved by hand has neither: it is shown by its file name
    by_hand = service.assistant("extractive").ask("Who did the board choose to lead the Kessel Observatory?")
    assert by_hand.citations and all(c.url is None and c.outlet is None for c in by_hand.citations)
    assert by_hand.citations[0].source.endswith(".txt")


def test_each_failing_page_says_why_nothing_is_lost_and_it_is_tried_again(site, tmp_path, embedder):
    pages = {
        "/news/missing": None,  # 404
        "/news/slow": {"hang": True},
        "/news/huge": {"stream_bytes": 600_000},
        "/news/report.pdf": {"body": b"%PDF-1.4 not a page", "content_type": "application/pdf"},
        "/news/loop-a": {"redirect": site.url("/news/loop-b")},
        "/news/loop-b": {"redirect": site.url("/news/loop-a")},
        "/private/secret": {"body": "<html><body><p>Never fetched.</p></body></html>"},
    }
    for path, options in pages.items():
        if options is not None:
            site.add(path, **options)
    site.add_page("/news/bridge", *BRIDGE, published="2025-03-03")
    site.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
    linked = ["/news/bridge", "/news/missing", "/news/slow", "/news/huge", "/news/report.pdf", "/news/loop-a",
              "/private/secret"]
    site.add("/rss.xml", rss("Velmora Post", [
        {"title": f"Story {path}", "link": site.url(path), "published": "2025-03-03"} for path in linked
    ]), "application/rss+xml", etag='"one"')

    service = make_service(tmp_path / "articles", tmp_path / "index", embedder)
    shutil.copytree(SEEDS, tmp_path / "articles")
    service.update_index()
    seeds_before = {path.name: path.read_bytes() for path in (tmp_path / "articles").iterdir()}
    follower = follower_for(tmp_path / "articles")
    feed, report = follower.follow(site.url("/rss.xml"))

    reasons = {failure.url.removeprefix(site.base): failure.reason for failure in report.failed}
    assert reasons.keys() == set(linked) - {"/news/bridge"}
    assert reasons["/news/missing"].startswith("HTTP 404")
    assert "no answer" in reasons["/news/slow"] and "within 1 s" in reasons["/news/slow"]
    assert "larger than the 300,000-byte limit" in reasons["/news/huge"]
    assert reasons["/news/report.pdf"] == "not a web page: its content type is application/pdf"
    assert "redirect loop" in reasons["/news/loop-a"]
    assert "robots.txt" in reasons["/private/secret"] and "forbids" in reasons["/private/secret"]
    assert site.hits("/private/secret") == 0  # never asked for
    assert [saved.title for saved in report.saved] == ["Story /news/bridge"]
    # the feed list keeps the failures with their addresses, for the page and `rag follow --list`
    assert {f["url"] for f in follower.feeds()[0]["failures"]} == {site.url(path) for path in reasons}
    # nothing that was there is lost: the seeds are untouched and still indexed
    for name, data in seeds_before.items():
        assert (tmp_path / "articles" / name).read_bytes() == data
    service.update_index()
    assert len(service.index.articles()) == 6

    # next round: the feed is unchanged (304) but every failed page is tried again
    site.add_page("/news/missing", "The missing story is back", [
        "The Velmora ferry timetable was restored on Wednesday with 14 crossings a day, the port authority said.",
    ], published="2025-03-05")
    again = follower.refresh()
    assert again.not_modified == [site.url("/rss.xml")]
    assert [saved.url for saved in again.saved] == [site.url("/news/missing")]
    assert site.hits("/news/missing") == 2 and site.hits("/news/bridge") == 1
    assert {failure.url for failure in again.failed} == {site.url(p) for p in reasons} - {site.url("/news/missing")}
    service.update_index()
    assert len(service.index.articles()) == 7


def test_an_unchanged_feed_costs_one_request_and_fetches_no_page(site, tmp_path):
    feeds = publish(site)
    site.add("/plain.xml", rss("Velmora Post", [  # a server that answers no conditional request
        {"title": LIBRARY[0], "link": site.url("/news/library"), "published": "2025-03-04"},
    ]), "application/rss+xml")
    follower = follower_for(tmp_path / "articles")
    for url in [*feeds.values(), site.url("/plain.xml")]:
        follower.follow(url)
    before = len(site.requests)
    report = follower.refresh()
    requests = site.requests[before:]
    assert sorted(request.path for request in requests) == ["/atom.xml", "/plain.xml", "/rss.xml"]
    assert next(r for r in requests if r.path == "/rss.xml").headers["if-none-match"] == '"rss-1"'
    assert next(r for r in requests if r.path == "/atom.xml").headers["if-modified-since"] == "Sat, 01 Mar 2025 08:00:00 GMT"
    assert sorted(report.not_modified) == [feeds["atom"], feeds["rss"]]
    assert not report.saved and not report.updated and not report.failed
    assert report.unchanged == 1  # the feed without validators was read again; its entry is known
    assert follower.last_round() is not None


def test_an_updated_entry_replaces_its_article_in_place(site, tmp_path, embedder):
    feeds = publish(site)
    folder = tmp_path / "articles"
    follower = follower_for(folder)
    _, first = follower.follow(feeds["atom"])
    market = next(saved for saved in first.saved if saved.title == MARKET[0])
    service = make_service(folder, tmp_path / "index", embedder)
    service.update_index()
    files_before = sorted(path.name for path in folder.glob("*.md"))

    site.add_page("/stories/market", *MARKET_UPDATED, published="2025-02-25")
    site.add("/atom.xml", atom_feed(site, MARKET_UPDATED, market_day="2025-02-25"), "application/atom+xml",
             last_modified="Tue, 25 Feb 2025 08:00:00 GMT")
    before = len(site.requests)
    report = follower.refresh()
    assert [saved.file for saved in report.updated] == [market.file] and not report.saved
    assert report.unchanged == 2
    assert sorted(r.path for r in site.requests[before:]) == ["/atom.xml", "/stories/market"]
    assert sorted(path.name for path in folder.glob("*.md")) == files_before  # replaced, not added
    assert "140 stalls" in (folder / market.file).read_text("utf-8")

    sync = service.update_index()
    assert sync.articles == 3 and sync.updated > 0
    stored = " ".join(doc.page_content for doc in service.index.keywords.passages_of(market.file))
    assert "140 stalls" in stored and "85 stalls" not in stored
    best = service.retriever.search("How many stalls will open in the old harbour warehouses?", k=1)[0]
    assert best.source == market.file and "140 stalls" in best.text
    assert best.published == "2025-02-25" and best.url == site.url("/stories/market")


def test_a_malformed_feed_is_refused_and_one_that_breaks_later_is_reported(site, tmp_path):
    feeds = publish(site)
    site.add("/broken.xml", "<rss><channel><title>Half a feed</chan", "application/rss+xml")
    site.add("/page.html", "<html><body><p>Not a feed at all.</p></body></html>")
    follower = follower_for(tmp_path / "articles")
    with pytest.raises(FollowError, match="not a readable RSS or Atom feed"):
        follower.follow(site.url("/broken.xml"))
    with pytest.raises(FollowError, match="not a feed: its content type is text/html"):
        follower.follow(site.url("/page.html"))
    with pytest.raises(FollowError, match="HTTP 404"):
        follower.follow(site.url("/nowhere.xml"))
    assert follower.feeds() == []

    _, first = follower.follow(feeds["rss"])
    saved = {item.file: (tmp_path / "articles" / item.file).read_bytes() for item in first.saved}
    with pytest.raises(FollowError, match="followed already"):
        follower.follow(feeds["rss"])
    site.add("/rss.xml", "<<< the feed is broken today", "application/rss+xml")
    report = follower.refresh()
    assert [(failure.url, failure.reason.split(" (")[0]) for failure in report.failed] == [
        (feeds["rss"], "not a readable RSS or Atom feed")]
    for name, data in saved.items():
        assert (tmp_path / "articles" / name).read_bytes() == data  # nothing lost
    assert follower.feeds()[0]["failures"][0]["url"] == feeds["rss"]


def test_the_fetcher_only_fetches_web_pages_and_feeds_over_http(site):
    site.add("/big.html", b"<p>" + b"x" * 5000 + b"</p>")
    site.add("/image.png", b"\x89PNG....", "image/png")
    site.add("/page.html", "<html><body><p>Hello.</p></body></html>")
    for number in range(8):
        site.add(f"/hop/{number}", redirect=site.url(f"/hop/{number + 1}"))
    with Fetcher("NewsDesk/0.1 (test)", timeout=1.0, max_bytes=1000, max_redirects=3, host_delay=0) as fetcher:
        for address in ("file:///etc/passwd", "ftp://127.0.0.1/x", "javascript:alert(1)", "http:///nohost"):
            with pytest.raises(FetchError, match="only http and https|names no host"):
                fetcher.page(address)
        with pytest.raises(FetchError, match="larger than the 1,000-byte limit \\(5,007 bytes\\)"):
            fetcher.page(site.url("/big.html"))
        with pytest.raises(FetchError, match="not a web page: its content type is image/png"):
            fetcher.page(site.url("/image.png"))
        with pytest.raises(FetchError, match="not a feed: its content type is text/html"):
            fetcher.feed(site.url("/page.html"))
        with pytest.raises(FetchError, match="more than 3 redirects"):
            fetcher.page(site.url("/hop/0"))
        assert site.hits("/hop/4") == 0
    # a redirect to another scheme is refused
    site.add("/to-file", redirect="file:///etc/passwd")
    with Fetcher("NewsDesk/0.1 (test)", host_delay=0) as fetcher, pytest.raises(FetchError, match="redirected to file"):
        fetcher.page(site.url("/to-file"))


def test_one_host_is_asked_at_most_once_per_delay_and_robots_crawl_delay_counts(site):
    site.add("/robots.txt", "User-agent: *\nCrawl-delay: 0.4\n", "text/plain")
    site.add("/a.html", "<p>a</p>")
    site.add("/b.html", "<p>b</p>")
    with Fetcher("NewsDesk/0.1 (test)", host_delay=0.2) as fetcher:
        started = time.monotonic()
        fetcher.page(site.url("/a.html"))
        fetcher.page(site.url("/b.html"))
        elapsed = time.monotonic() - started
    assert site.paths() == ["/robots.txt", "/a.html", "/b.html"]
    assert elapsed >= 0.8  # robots.txt, then two pages, each 0.4 s (the Crawl-delay) after the last
    assert fetcher.waited >= 0.75


def test_a_read_only_host_never_fetches(site, tmp_path):
    feeds = publish(site)
    follower = follower_for(tmp_path / "articles", read_only=True)
    with pytest.raises(FollowError, match="RAG_READ_ONLY"):
        follower.follow(feeds["rss"])
    with pytest.raises(FollowError, match="RAG_READ_ONLY"):
        follower.refresh()
    assert not follower.due()
    assert site.requests == []
    assert not (tmp_path / "articles").exists()


def test_saved_text_reads_back_exactly_and_stays_text():
    hostile = [
        "# Not a heading <script>alert('x')</script> &amp; &#65; [click](javascript:alert(1)) ![i](x.png)",
        "1. not a list * star _under_ `code` ~~strike~~ | a | b | {braces} $math$",
        "- not a bullet",
        "+ nor this",
        "> not a quote <http://auto.link> http://bare.example.com",
        "=== not a heading either \\ a backslash",
        "2) nor this; U.S. officials said 3+4=7.",
    ]
    text = article_markdown({"title": "A: title — with 'quotes' and\nbreaks", "url": "http://127.0.0.1/x"}, hostile)
    extracted = extract_markdown(text)
    assert extracted.text == "\n\n".join(hostile)
    assert extracted.title == "A: title — with 'quotes' and breaks" and extracted.url == "http://127.0.0.1/x"
    assert markdown_text("1986. A year") == "1986\\. A year"
    # an address that is not http(s) is never kept as the article's link
    assert extract_markdown("---\ntitle: T\nurl: javascript:alert(1)\n---\n\nBody text here.\n").url is None


def run_rag(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if "proxy" not in key.lower()}
    clean.update({"RAG_GENERATOR": "extractive", "RAG_FOLLOW_HOST_DELAY": "0",
                  "RAG_FOLLOW_TIMEOUT": "2", **env})
    return subprocess.run([RAG, *args], capture_output=True, text=True, timeout=300, cwd=cwd, env=clean)


def test_rag_follow_from_the_command_line(site, tmp_path):
    feeds = publish(site)
    folders = ["--articles", str(tmp_path / "articles"), "--index", str(tmp_path / "index")]
    (tmp_path / "articles").mkdir()

    followed = run_rag("follow", feeds["rss"], *folders, cwd=tmp_path)
    assert followed.returncode == 0, followed.stderr
    assert "following Velmora Post: 1 feed checked: 2 articles saved" in followed.stdout
    assert "indexed" in followed.stdout

    listed = json.loads(run_rag("follow", "--list", "--json", *folders, cwd=tmp_path).stdout)
    assert [(feed["url"], feed["title"], feed["articles"]) for feed in listed["feeds"]] == [(feeds["rss"], "Velmora Post", 2)]
    assert (tmp_path / "articles" / FEEDS_FILE).exists()

    question = "How many books did the fire at the Central Library of Velmora destroy?"
    asked = run_rag("ask", question, "--json", *folders, cwd=tmp_path)
    assert asked.returncode == 0, asked.stderr
    citation = json.loads(asked.stdout)["citations"][0]
    assert (citation["title"], citation["outlet"], citation["published"], citation["url"]) == (
        LIBRARY[0], "Velmora Post", "2025-03-04", site.url("/news/library"))
    text = run_rag("ask", question, *folders, cwd=tmp_path)
    assert f"{LIBRARY[0]} · Velmora Post · 2025-03-04 · {site.url('/news/library')}" in text.stdout

    # one round for cron: the unchanged feed costs one request, and nothing is indexed again
    before = len(site.requests)
    once = run_rag("follow", "--once", "--json", *folders, cwd=tmp_path)
    assert once.returncode == 0, once.stderr
    assert json.loads(once.stdout)["round"]["not_modified"] == [feeds["rss"]]
    assert "index" not in json.loads(once.stdout)
    assert [request.path for request in site.requests[before:]] == ["/rss.xml"]

    # a page that fails is named on stderr with its reason
    site.add("/rss.xml", rss("Velmora Post", [
        {"title": "Gone", "link": site.url("/news/gone"), "published": "2025-03-05"},
    ]), "application/rss+xml", etag='"rss-2"')
    failing = run_rag("follow", "--once", *folders, cwd=tmp_path)
    assert failing.returncode == 0
    assert f"rag: could not save {site.url('/news/gone')}: HTTP 404" in failing.stderr

    wrong = run_rag("follow", "ftp://127.0.0.1/feed", *folders, cwd=tmp_path)
    assert wrong.returncode == 2 and "only http and https" in wrong.stderr
    before = len(site.requests)
    read_only = run_rag("follow", "--once", *folders, cwd=tmp_path, RAG_READ_ONLY="true")
    assert read_only.returncode == 2 and "RAG_READ_ONLY" in read_only.stderr
    assert len(site.requests) == before

    removed = run_rag("follow", "--remove", feeds["rss"], *folders, cwd=tmp_path)
    assert removed.returncode == 0, removed.stderr
    assert "no longer following Velmora Post; the 2 articles it brought stay" in removed.stdout
    assert json.loads(run_rag("follow", "--list", "--json", *folders, cwd=tmp_path).stdout)["feeds"] == []
    assert len(list((tmp_path / "articles").glob("*.md"))) == 2  # its articles stay
