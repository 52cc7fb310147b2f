"""Followed feeds: the list, what each feed last gave, and one refresh round.

A round asks each followed RSS or Atom feed for what is new (with the ETag and Last-Modified it
last gave, so an unchanged feed costs one small request), reads it with `feedparser`, and for
each new or changed entry takes its text: the feed's own full text when it carries one, else
the entry's page, fetched politely (`rag.ingest.fetching`) and read by the same HTML reader the folder
uses (`rag.ingest.formats.extract_html`, trafilatura). Each article is saved into the articles folder
as Markdown with front matter (title, published, author, outlet, url, feed, fetched), under a
name made from a hash of the entry's address, so a changed entry replaces its own file and the
index picks it up as it does any file: near-duplicates collapse and the record manager decides
what to embed, as for a file saved by hand.

A failing feed or page is reported with its address and the reason and tried again next round
(up to `MAX_TRIES` rounds while the feed leaves the entry as it is); nothing already saved is
touched by a failure. The list and each feed's state live in one JSON file (`.feeds.json` in
the articles folder by default, `RAG_FOLLOW_FILE`), written whole and atomically, and a file
lock lets one round run at a time, whether the page or `rag follow --once` starts it. A
read-only host (`RAG_READ_ONLY`) never fetches.

Nothing fetched is run: feeds are parsed from bytes (never opened as a path or address by
feedparser), pages become plain text, and the Markdown saved escapes every character that
Markdown would read as markup, so the text read back is exactly the text extracted.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rag.ingest.fetching import ROBOTS_KEPT, Fetched, Fetcher, FetchError, web_url
from rag.ingest.formats import Extracted, extract_html
from rag.ingest.loading import ArticleError, parse_article
from rag.settings import Settings

logger = logging.getLogger(__name__)

FEEDS_FILE = ".feeds.json"
MAX_TRIES = 5  # rounds an entry that keeps failing is tried in, while the feed leaves it unchanged
FULL_TEXT_WORDS = 150  # a feed entry's own content of at least this many words is the article
LOCK_WAIT = 120.0  # seconds following or removing a feed waits for a running round

_MARKUP = re.compile(r"([\\`*_\[\]<>&!#~|{}$])")
_BLOCK_START = re.compile(r"^(\d+)([.)])|^([-+=])")
_TAG = re.compile(r"<[^>]*>")
_FETCHED_LINE = re.compile(r"^fetched: .*$", re.M)


class FollowError(ValueError):
    """A feed that cannot be followed or removed as asked; the message is for the reader."""


class FeedError(ValueError):
    """A response that is not a readable RSS or Atom feed."""


# -- what a round reports ------------------------------------------------------------------
@dataclass
class Saved:
    url: str  # the article's address
    file: str  # its file in the articles folder
    title: str
    feed: str


@dataclass
class Failure:
    url: str  # the feed's or the page's address
    reason: str
    feed: str


@dataclass
class RoundReport:
    feeds: int = 0  # feeds asked
    not_modified: list[str] = field(default_factory=list)  # feeds that answered "unchanged"
    saved: list[Saved] = field(default_factory=list)  # new articles
    updated: list[Saved] = field(default_factory=list)  # articles whose entry changed, replaced in place
    unchanged: int = 0  # entries already saved as they are
    failed: list[Failure] = field(default_factory=list)
    busy: bool = False  # another round was running: this one did nothing
    requests: int = 0
    fetch_seconds: float = 0.0  # fetching feeds, robots.txt and pages (with the waits between requests)
    extract_seconds: float = 0.0  # reading feeds, extracting text, writing the files
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.saved or self.updated)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        if self.busy:
            return "another round over the followed feeds is running; nothing was fetched"
        unchanged = f", {len(self.not_modified)} unchanged since the last round" if self.not_modified else ""
        return (f"{self.feeds} feed{'s' if self.feeds != 1 else ''} checked{unchanged}: {len(self.saved)} articles "
                f"saved, {len(self.updated)} updated, {self.unchanged} unchanged, {len(self.failed)} failed")


# -- feeds ---------------------------------------------------------------------------------
@dataclass
class Item:
    """One feed entry as a round needs it."""

    link: str
    title: str | None
    published: str | None
    author: str | None
    fingerprint: str  # changes when the feed changes the entry
    content: str | None = None  # the feed's own text of the entry (HTML), when it carries one
    content_type: str = "text/html"


@dataclass
class ParsedFeed:
    title: str | None
    items: list[Item]
    failures: list[tuple[str, str]]  # (what, why) for entries that cannot be used


def _plain(text: str | None) -> str | None:
    if not text:
        return None
    return " ".join(html.unescape(_TAG.sub(" ", text)).split()) or None


def _day(parsed: Any) -> str | None:
    try:
        return time.strftime("%Y-%m-%d", parsed) if parsed else None
    except (TypeError, ValueError):
        return None


def parse_feed(fetched: Fetched) -> ParsedFeed:
    """The entries of an RSS or Atom feed; `FeedError` when the bytes are no feed."""
    import feedparser

    headers = {"content-location": fetched.url, "content-type": fetched.content_type
               + (f"; charset={fetched.charset}" if fetched.charset else "")}
    # A stream, never bytes or a string: feedparser opens a string or bytes that look like a path
    # or an address.
    parsed = feedparser.parse(io.BytesIO(fetched.body), response_headers=headers, sanitize_html=True)
    problem = parsed.get("bozo_exception")
    if not parsed.get("version") or (parsed.get("bozo") and not parsed.entries):
        detail = f" ({' '.join(str(problem).split())[:160]})" if problem else ""
        raise FeedError(f"not a readable RSS or Atom feed{detail}")
    items, failures = [], []
    for entry in parsed.entries:
        link = entry.get("link") or next(
            (link.get("href") for link in entry.get("links", []) if link.get("rel") == "alternate"), None
        ) or entry.get("id")
        title = _plain(entry.get("title"))
        try:
            link = web_url(link or "")
        except FetchError as error:
            failures.append((f"entry {title or entry.get('id') or '(untitled)'!r} of {fetched.url}",
                             f"its link {link!r} cannot be fetched: {error.reason}" if link else "it has no link"))
            continue
        content, content_type = None, "text/html"
        for part in entry.get("content", []):
            if part.get("value"):
                content, content_type = part["value"], part.get("type") or "text/html"
                break
        fingerprint = hashlib.sha256(json.dumps(
            [entry.get("id"), link, entry.get("updated") or entry.get("published"), title,
             entry.get("summary"), content], ensure_ascii=False, default=str).encode()).hexdigest()[:24]
        items.append(Item(
            link=link,
            title=title,
            published=_day(entry.get("published_parsed") or entry.get("updated_parsed")),
            author=_plain(entry.get("author")),
            fingerprint=fingerprint,
            content=content,
            content_type=content_type,
        ))
    return ParsedFeed(_plain(parsed.feed.get("title")), items, failures)


# -- articles as files ---------------------------------------------------------------------
def markdown_text(paragraph: str) -> str:
    """A paragraph of plain text as Markdown that reads back as exactly that text: every
    character Markdown could take for markup (emphasis, links, HTML, entities, code) escaped,
    and nothing at its start that would open a list, a quote or a heading."""
    escaped = _MARKUP.sub(r"\\\1", paragraph)
    return _BLOCK_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", escaped, count=1)


def article_markdown(metadata: dict[str, Any], paragraphs: list[str]) -> str:
    """A Markdown article: front matter (YAML, written safely) and the escaped paragraphs."""
    import frontmatter

    body = "\n\n".join(markdown_text(" ".join(paragraph.split())) for paragraph in paragraphs if paragraph.strip())
    post = frontmatter.Post(body, **{key: value for key, value in metadata.items() if value})
    return frontmatter.dumps(post, sort_keys=False, width=100_000) + "\n"  # one line a key


def article_file_name(link: str) -> str:
    """The file an entry is saved as: its site and a hash of its address (the same each round)."""
    host = (urlsplit(link).hostname or "web").removeprefix("www.")
    site = re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-")[:40] or "web"
    return f"{site}-{hashlib.sha256(link.encode('utf-8')).hexdigest()[:16]}.md"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")  # a dot: the folder's readers never list it
    temporary.write_text(text, "utf-8")
    os.replace(temporary, path)


# -- the follower --------------------------------------------------------------------------
class Follower:
    """The followed feeds of one articles folder, and the rounds that keep them current."""

    def __init__(self, settings: Settings, fetcher: Callable[[], Fetcher] | None = None) -> None:
        self.settings = settings
        self.folder = Path(settings.articles_dir)
        self.path = Path(settings.follow_file) if settings.follow_file else self.folder / FEEDS_FILE
        self._new_fetcher = fetcher or (lambda: Fetcher.from_settings(settings))

    # -- the list ------------------------------------------------------------------------
    def _load(self) -> dict[str, Any]:
        try:
            state = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return {"feeds": []}
        except (OSError, ValueError) as error:
            raise FollowError(f"the list of followed feeds {self.path} cannot be read: {error}") from None
        state.setdefault("feeds", [])
        return state

    def _save(self, state: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(self.path, json.dumps(state, indent=1, ensure_ascii=False))

    @contextmanager
    def _locked(self, wait: float) -> Iterator[bool]:
        """The round lock; yields False when another holder keeps it beyond `wait` seconds."""
        from filelock import FileLock, Timeout

        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.path.with_name(self.path.name + ".lock")))
        try:
            lock.acquire(timeout=wait)
        except Timeout:
            yield False
            return
        try:
            yield True
        finally:
            lock.release()

    def feeds(self) -> list[dict[str, Any]]:
        """The followed feeds: url, title, added, checked, failures (of its last round), articles."""
        return [
            {
                "url": feed["url"],
                "title": feed.get("title"),
                "added": feed.get("added"),
                "checked": feed.get("checked"),
                "failures": feed.get("failures", []),
                "articles": self._articles_of(feed),
            }
            for feed in self._load()["feeds"]
        ]

    def _articles_of(self, feed: dict[str, Any]) -> int:
        """The articles the feed brought that are still in the folder."""
        return sum((self.folder / name).exists() for name in feed.get("files", []))

    def last_round(self) -> str | None:
        return self._load().get("last_round")

    def due(self) -> bool:
        """Whether a round is due: feeds are followed and `follow_minutes` have passed since the last."""
        if self.settings.read_only or not self.settings.follow_minutes:
            return False
        try:
            state = self._load()
        except FollowError:
            return False
        if not state["feeds"]:
            return False
        try:
            last = datetime.fromisoformat(state["last_round"])
        except (KeyError, TypeError, ValueError):
            return True  # never, or not readable
        elapsed = (datetime.now(timezone.utc) - last).total_seconds()
        return elapsed >= self.settings.follow_minutes * 60

    def _refuse_if_read_only(self) -> None:
        if self.settings.read_only:
            raise FollowError("this host only serves the index (RAG_READ_ONLY): it never fetches feeds")

    def follow(
        self, url: str, fetch_entries: bool = True, wait: float = LOCK_WAIT
    ) -> tuple[dict[str, Any], RoundReport]:
        """Follow the feed at `url`: it is fetched and read first (a failure refuses it), then,
        with `fetch_entries`, its entries are saved at once; otherwise the next round saves them.
        Waits at most `wait` seconds for a round that is running."""
        self._refuse_if_read_only()
        try:
            address = web_url(url)
        except FetchError as error:
            raise FollowError(f"cannot follow {url}: {error.reason}") from None
        report = RoundReport(feeds=1)
        started = time.perf_counter()
        with self._locked(wait) as taken:
            if not taken:
                raise FollowError("a round over the followed feeds is running; try again in a moment")
            state = self._load()
            if any(feed["url"] == address for feed in state["feeds"]):
                raise FollowError(f"{address} is followed already")
            fetcher = self._fetcher(state)
            try:
                clock = time.perf_counter()
                try:
                    response = fetcher.feed(address)
                except FetchError as error:
                    raise FollowError(f"cannot follow {url}: {error.reason}") from None
                finally:
                    report.fetch_seconds += time.perf_counter() - clock
                try:
                    parsed = parse_feed(response)
                except FeedError as error:
                    raise FollowError(f"cannot follow {url}: {error}") from None
                feed: dict[str, Any] = {"url": address, "title": parsed.title, "added": _now()}
                state["feeds"].append(feed)
                if fetch_entries:
                    self._read_feed(feed, fetcher, report, response, parsed)
                self._keep_robots(state, fetcher)
                self._save(state)
            finally:
                report.requests += fetcher.requests
                fetcher.close()
        report.seconds = time.perf_counter() - started
        return self.feeds()[[f["url"] for f in state["feeds"]].index(address)], report

    def remove(self, url: str) -> dict[str, Any]:
        """Stop following a feed; the articles it brought stay in the folder and the index."""
        with self._locked(LOCK_WAIT) as taken:
            if not taken:
                raise FollowError("a round over the followed feeds is running; try again in a moment")
            state = self._load()
            try:
                address = web_url(url)
            except FetchError:
                address = url
            kept = [feed for feed in state["feeds"] if feed["url"] not in (url, address)]
            if len(kept) == len(state["feeds"]):
                raise FollowError(f"{url} is not followed")
            gone = next(feed for feed in state["feeds"] if feed["url"] in (url, address))
            state["feeds"] = kept
            self._save(state)
        return {"url": gone["url"], "title": gone.get("title"), "articles": self._articles_of(gone)}

    # -- rounds --------------------------------------------------------------------------
    def refresh(self, only: list[str] | None = None, wait: float = 0.0) -> RoundReport:
        """One round over the followed feeds (or `only` these): new and changed entries saved
        into the articles folder. Failures are reported in the round's report and with each feed."""
        self._refuse_if_read_only()
        report = RoundReport()
        started = time.perf_counter()
        with self._locked(wait) as taken:
            if not taken:
                report.busy = True
                return report
            state = self._load()
            fetcher = self._fetcher(state)
            try:
                for feed in state["feeds"]:
                    if only is not None and feed["url"] not in only:
                        continue
                    report.feeds += 1
                    self._refresh_feed(feed, fetcher, report)
                    self._keep_robots(state, fetcher)
                    self._save(state)  # each feed's progress kept as soon as it is made
                if only is None:
                    state["last_round"] = _now()
                    self._save(state)
            finally:
                report.requests += fetcher.requests
                fetcher.close()
        report.seconds = time.perf_counter() - started
        return report

    def _fetcher(self, state: dict[str, Any]) -> Fetcher:
        """A fetcher for this round, knowing the robots.txt files read in the last day."""
        fetcher = self._new_fetcher()
        fetcher.robots_texts.update({
            origin: (kept[0], kept[1]) for origin, kept in state.get("robots", {}).items()
            if 0 <= time.time() - kept[0] < ROBOTS_KEPT
        })
        return fetcher

    @staticmethod
    def _keep_robots(state: dict[str, Any], fetcher: Fetcher) -> None:
        state["robots"] = {origin: list(kept) for origin, kept in fetcher.robots_texts.items()}

    def _refresh_feed(self, feed: dict[str, Any], fetcher: Fetcher, report: RoundReport) -> None:
        clock = time.perf_counter()
        try:
            response = fetcher.feed(feed["url"], feed.get("etag"), feed.get("last_modified"))
        except FetchError as error:
            self._feed_failed(feed, report, error.reason)
            return
        finally:
            report.fetch_seconds += time.perf_counter() - clock
        if response.not_modified:
            report.not_modified.append(feed["url"])
            self._read_feed(feed, fetcher, report, response, None)
            return
        clock = time.perf_counter()
        try:
            parsed = parse_feed(response)
        except Exception as error:  # noqa: BLE001 - FeedError, or a parser failing on odd bytes
            reason = str(error) if isinstance(error, FeedError) else f"not a readable feed ({type(error).__name__}: {error})"
            self._feed_failed(feed, report, reason)
            return
        finally:
            report.extract_seconds += time.perf_counter() - clock
        self._read_feed(feed, fetcher, report, response, parsed)

    def _feed_failed(self, feed: dict[str, Any], report: RoundReport, reason: str) -> None:
        """The feed could not be read this round: said so; everything it gave before is kept."""
        report.failed.append(Failure(feed["url"], reason, feed["url"]))
        feed["checked"] = _now()
        feed["failures"] = [{"url": feed["url"], "reason": reason}]

    def _read_feed(
        self, feed: dict[str, Any], fetcher: Fetcher, report: RoundReport, response: Fetched, parsed: ParsedFeed | None
    ) -> None:
        """Save the feed's new and changed entries (with `parsed` None, the feed is unchanged:
        only the entries that failed before are tried again)."""
        entries: dict[str, dict[str, Any]] = feed.setdefault("entries", {})
        failures: list[dict[str, str]] = []
        if parsed is None:
            items = [self._stored_item(link, entry) for link, entry in entries.items()
                     if entry.get("reason") and entry.get("tries", 0) < MAX_TRIES]
        else:
            feed["title"] = parsed.title or feed.get("title")
            items = list({item.link: item for item in parsed.items}.values())[: self.settings.follow_max_entries]
            for what, why in parsed.failures:
                report.failed.append(Failure(feed["url"], f"{what}: {why}", feed["url"]))
                failures.append({"url": feed["url"], "reason": f"{what}: {why}"})
            current = {item.link for item in items}
            for link in [link for link in entries if link not in current]:
                del entries[link]  # gone from the feed: its saved article stays
        for item in items:
            entry = entries.get(item.link, {})
            unchanged = entry.get("fingerprint") == item.fingerprint
            if unchanged and (not entry.get("reason") or entry.get("tries", 0) >= MAX_TRIES):
                report.unchanged += 1
                continue
            try:
                outcome = self._save_item(item, entry, feed, fetcher, report)
            except Exception as error:  # noqa: BLE001 - one entry's failure never stops the round
                if isinstance(error, FetchError):
                    reason = error.reason
                elif isinstance(error, (ArticleError, OSError)):
                    reason = str(error)
                else:
                    reason = f"its text could not be read ({type(error).__name__}: {error})"
                tries = (entry.get("tries", 0) if unchanged else 0) + 1
                if tries >= MAX_TRIES:
                    reason += f" (given up after {tries} tries, until the feed changes the entry)"
                entries[item.link] = {**entry, **self._item_state(item), "tries": tries, "reason": reason,
                                      "fingerprint": item.fingerprint}
                report.failed.append(Failure(item.link, reason, feed["url"]))
                failures.append({"url": item.link, "reason": reason})
                continue
            entries[item.link] = {**self._item_state(item), **outcome, "fingerprint": item.fingerprint}
            if outcome["file"] not in feed.setdefault("files", []):
                feed["files"].append(outcome["file"])
        if parsed is not None:  # remembered only once its entries are saved or noted as failed
            feed["etag"], feed["last_modified"] = response.etag, response.last_modified
        feed["checked"] = _now()
        feed["failures"] = failures

    @staticmethod
    def _item_state(item: Item) -> dict[str, Any]:
        return {"title": item.title, "published": item.published, "author": item.author}

    @staticmethod
    def _stored_item(link: str, entry: dict[str, Any]) -> Item:
        return Item(link, entry.get("title"), entry.get("published"), entry.get("author"), entry.get("fingerprint", ""))

    def _save_item(
        self, item: Item, entry: dict[str, Any], feed: dict[str, Any], fetcher: Fetcher, report: RoundReport
    ) -> dict[str, Any]:
        """Fetch and save one entry's article; what to remember of it. Raises on failure."""
        state: dict[str, Any] = {}
        extracted = url = None
        if item.content:
            clock = time.perf_counter()
            extracted = self._feed_text(item)
            report.extract_seconds += time.perf_counter() - clock
            url = item.link
        if extracted is None:
            clock = time.perf_counter()
            try:
                page = fetcher.page(item.link, entry.get("page_etag"), entry.get("page_modified"))
            finally:
                report.fetch_seconds += time.perf_counter() - clock
            if page.not_modified and entry.get("file") and (self.folder / entry["file"]).exists():
                report.unchanged += 1
                return {key: entry[key] for key in ("file", "page_etag", "page_modified") if key in entry}
            clock = time.perf_counter()
            try:
                extracted = extract_html(page.text())
            finally:
                report.extract_seconds += time.perf_counter() - clock
            url = page.url
            state = {"page_etag": page.etag, "page_modified": page.last_modified}
        clock = time.perf_counter()
        try:
            saved, replaced = self._write(item, extracted, url or item.link, feed)
        finally:
            report.extract_seconds += time.perf_counter() - clock
        if replaced is None:
            report.unchanged += 1
        else:
            (report.updated if replaced else report.saved).append(saved)
        return {**state, "file": saved.file}

    @staticmethod
    def _feed_text(item: Item) -> Extracted | None:
        """The entry's text as the feed carries it, when that is the whole article."""
        if item.content_type == "text/plain":
            paragraphs = [part for part in re.split(r"\n\s*\n", item.content or "") if part.strip()]
            text = "\n\n".join(" ".join(part.split()) for part in paragraphs)
            blocks, offset = [], 0
            for part in paragraphs:
                length = len(" ".join(part.split()))
                blocks.append((offset, offset + length))
                offset += length + 2
            extracted = Extracted(text, tuple(blocks))
        else:
            extracted = extract_html(f"<html><body><article>{item.content}</article></body></html>")
        return extracted if len(extracted.text.split()) >= FULL_TEXT_WORDS else None

    def _write(self, item: Item, extracted: Extracted, url: str, feed: dict[str, Any]) -> tuple[Saved, bool | None]:
        """Save the article; (what was saved, True if it replaced an older text, False if new,
        None if the file already held this article)."""
        paragraphs = [extracted.text[start:end] for start, end in extracted.blocks]
        if sum(len(paragraph.split()) for paragraph in paragraphs) < 3:
            raise ArticleError(f"no article text found at {url}")
        title = item.title or extracted.title
        metadata = {
            "title": title,
            "published": item.published or extracted.published,
            "author": item.author or extracted.author,
            "outlet": extracted.outlet or feed.get("title") or (urlsplit(url).hostname or "").removeprefix("www."),
            "url": url,
            "feed": feed["url"],
            "fetched": _now(),
        }
        text = article_markdown(metadata, paragraphs)
        data = text.encode("utf-8")
        if len(data) > self.settings.max_article_bytes:
            raise ArticleError(f"the article at {url} is larger than the {self.settings.max_article_bytes:,}-byte limit")
        name = article_file_name(item.link)
        parse_article(name, data)  # the folder's reader accepts it (raises ArticleError if not)
        path = self.folder / name
        saved = Saved(url, name, title or name, feed["url"])
        try:
            before = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            before = None
        if before is not None and _FETCHED_LINE.sub("", before) == _FETCHED_LINE.sub("", text):
            return saved, None
        self.folder.mkdir(parents=True, exist_ok=True)
        _write_atomically(path, text)
        return saved, before is not None


# -- keeping current -----------------------------------------------------------------------
class FollowSchedule:
    """Rounds in a daemon thread while the page's server runs: whenever one is due
    (`follow_minutes` after the last, whoever ran it), and at once for a feed just followed.
    `after_round` gets each round's report (the page indexes what it saved)."""

    started: list[FollowSchedule] = []  # every schedule started in this process (`stop_all`)

    def __init__(self, follower: Follower, after_round: Callable[[RoundReport], None] | None = None,
                 poll_seconds: float | None = None) -> None:
        self.follower = follower
        self.after_round = after_round
        minutes = follower.settings.follow_minutes
        # how often it looks whether a round is due: often enough for short intervals
        self.poll_seconds = poll_seconds or (min(20.0, max(0.5, minutes * 15)) if minutes else 20.0)
        self.last_report: RoundReport | None = None
        self.last_error: str | None = None
        self.rounds = 0
        self.running = False
        self._wanted: set[str] = set()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> FollowSchedule:
        if self._thread is None and not self.follower.settings.read_only:
            self._thread = threading.Thread(target=self._run, name="follow-feeds", daemon=True)
            self._thread.start()
            FollowSchedule.started.append(self)
        return self

    @classmethod
    def stop_all(cls) -> None:
        """Stop every schedule this process started (a server shutting down, tests)."""
        while cls.started:
            schedule = cls.started.pop()
            schedule.stop()
            if schedule._thread is not None:
                schedule._thread.join(timeout=30)

    def wake(self, feeds: list[str] | None = None) -> None:
        """A round soon: over `feeds`, or over every feed."""
        with self._lock:
            self._wanted.update(feeds or ["*"])
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _run(self) -> None:
        first = True
        while not self._stop.is_set():
            if not first:  # at start, a round that came due while nothing ran is made at once
                self._wake.wait(self.poll_seconds)
            first = False
            self._wake.clear()
            if self._stop.is_set():
                return
            with self._lock:
                wanted, self._wanted = self._wanted, set()
            try:
                if "*" in wanted or self.follower.due():
                    self._round(None)
                elif wanted:
                    self._round(sorted(wanted))
            except Exception as error:  # noqa: BLE001 - reported on the page; the next round tries again
                logger.warning("a round over the followed feeds failed", exc_info=True)
                self.last_error = str(error)

    def _round(self, only: list[str] | None) -> None:
        self.running = True
        try:
            report = self.follower.refresh(only, wait=LOCK_WAIT)
        finally:
            self.running = False
        self.last_report, self.last_error = report, None
        self.rounds += 1
        if self.after_round is not None:
            try:
                self.after_round(report)
            except Exception as error:  # noqa: BLE001 - the files are saved; the folder watcher indexes them
                logger.warning("indexing what a round over the feeds saved failed", exc_info=True)
                self.last_error = f"indexing what it saved failed: {error}"
