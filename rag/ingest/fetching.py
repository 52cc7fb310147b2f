"""A polite, safe fetcher for followed feeds and their pages (`httpx`).

Polite: every request names the product in its user agent, robots.txt is read once per site and
honoured (`protego`), and one host is asked at most once every `follow_host_delay` seconds (or
its robots.txt's Crawl-delay, up to `MAX_CRAWL_DELAY`). A feed is asked for with the ETag and
Last-Modified it last gave, so an unchanged feed costs one small 304 answer.

Safe: only http and https, every redirect checked again (scheme, robots.txt) and at most
`follow_max_redirects` of them, a timeout on connecting and between bytes and a deadline for the
whole response, a cap on the response's size after decompression, and only web pages and feeds
by their content type. What comes back is bytes: nothing fetched is ever run or rendered.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from rag.settings import Settings

PAGE_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = (
    "application/rss+xml", "application/atom+xml", "application/rdf+xml",
    "application/xml", "text/xml", "application/x-rss+xml", "application/x-atom+xml",
)
REDIRECTS = (301, 302, 303, 307, 308)
MAX_CRAWL_DELAY = 60.0  # a robots.txt asking for more is given this
ROBOTS_MAX_BYTES = 512_000
ROBOTS_KEPT = 24 * 3600  # seconds a site's robots.txt is used before it is read again


class FetchError(Exception):
    """A feed or page that could not be fetched: `reason` says why, for the reader."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


@dataclass(frozen=True)
class Fetched:
    url: str  # where the answer came from, after redirects
    status: int  # 200, or 304: unchanged since the ETag or date asked with
    content_type: str = ""
    charset: str | None = None
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def text(self) -> str:
        """The body as text: the declared charset, else what the bytes say (BOM, UTF-8, detection)."""
        from rag.ingest.loading import decode_article

        if self.charset:
            try:
                return self.body.decode(self.charset)
            except (LookupError, UnicodeDecodeError):
                pass
        return decode_article(self.body)[0]


def web_url(url: str) -> str:
    """`url` without its fragment, if it is an http(s) address; `FetchError` otherwise."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        raise FetchError(url, "not a valid address") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(url, f"only http and https addresses are fetched, not {parts.scheme or 'this'!r}")
    if not parts.hostname:
        raise FetchError(url, "the address names no host")
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path or "/", parts.query, ""))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _content_type(header: str) -> tuple[str, str | None]:
    message = Message()
    message["content-type"] = header
    return message.get_content_type() if header else "", message.get_param("charset")  # type: ignore[return-value]


class Fetcher:
    """One round's fetcher: it remembers each site's robots.txt and when each host was last asked."""

    def __init__(
        self,
        user_agent: str,
        timeout: float = 15.0,
        deadline: float = 60.0,
        max_bytes: int = 5_000_000,
        max_redirects: int = 5,
        host_delay: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.host_delay = host_delay
        self._clock = clock
        self._sleep = sleep
        self._robots: dict[str, object | None] = {}  # origin -> Protego rules (None: everything allowed)
        # origin -> (when it was read, as a Unix time; its text, None when the site has none):
        # kept between rounds by the caller, so an unchanged feed costs one request a round
        self.robots_texts: dict[str, tuple[float, str | None]] = {}
        self._last: dict[str, float] = {}  # host -> when its last answer ended
        self.requests = 0
        self.waited = 0.0  # seconds slept between requests to one host
        self._client = httpx.Client(
            headers={"User-Agent": user_agent},
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,  # each hop is checked here
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=4),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Fetcher:
        return cls(
            settings.follow_user_agent,
            timeout=settings.follow_timeout,
            deadline=settings.follow_deadline,
            max_bytes=settings.follow_max_bytes,
            max_redirects=settings.follow_max_redirects,
            host_delay=settings.follow_host_delay,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- fetching ------------------------------------------------------------------------
    def feed(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """A feed, or a 304 `Fetched` when it is unchanged since `etag` / `last_modified`."""
        return self._get(url, FEED_TYPES, "a feed", etag, last_modified)

    def page(self, url: str, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """A web page (HTML), or a 304 `Fetched` when it is unchanged."""
        return self._get(url, PAGE_TYPES, "a web page", etag, last_modified)

    def _get(
        self, url: str, accepted: tuple[str, ...], kind: str, etag: str | None, last_modified: str | None
    ) -> Fetched:
        first = current = web_url(url)
        headers = {"Accept": ", ".join(accepted) + ";q=1.0, */*;q=0.1"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        seen = {current}
        for _ in range(self.max_redirects + 1):
            try:
                permitted = self.allowed(current)
            except FetchError as error:
                raise FetchError(first, error.reason) from None
            if not permitted:
                raise FetchError(first, f"robots.txt of {_origin(current)} forbids fetching {current}")
            result = self._request(first, current, headers, accepted, kind)
            if isinstance(result, Fetched):
                return result
            target = web_url_or_error(first, urljoin(current, result))
            if target in seen:
                raise FetchError(first, f"redirect loop: {current} sends back to {target}")
            seen.add(target)
            current = target
        raise FetchError(first, f"more than {self.max_redirects} redirects")

    def _request(
        self, first: str, url: str, headers: dict[str, str], accepted: tuple[str, ...] | None, kind: str
    ) -> Fetched | str:
        """The answer at `url`, or the address a redirect points to."""
        host = urlsplit(url).netloc.lower()
        self._wait_turn(host)
        started = self._clock()
        self.requests += 1
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                if response.status_code in REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError(first, f"HTTP {response.status_code} redirect without a Location")
                    return location
                if response.status_code == 304:
                    return Fetched(url, 304, etag=response.headers.get("etag"),
                                   last_modified=response.headers.get("last-modified"))
                if response.status_code != 200:
                    phrase = f" {response.reason_phrase}" if response.reason_phrase else ""
                    where = f" at {url}" if url != first else ""
                    raise FetchError(first, f"HTTP {response.status_code}{phrase}{where}")
                content_type, charset = _content_type(response.headers.get("content-type", ""))
                if accepted is not None and content_type not in accepted:
                    raise FetchError(first, f"not {kind}: its content type is {content_type or 'not given'}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.max_bytes:
                    raise FetchError(first, f"larger than the {self.max_bytes:,}-byte limit ({int(declared):,} bytes)")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise FetchError(first, f"larger than the {self.max_bytes:,}-byte limit")
                    if self._clock() - started > self.deadline:
                        raise FetchError(first, f"took longer than {self.deadline:g} s")
                return Fetched(
                    str(response.url), 200, content_type, charset, bytes(body),
                    etag=response.headers.get("etag"), last_modified=response.headers.get("last-modified"),
                )
        except httpx.TimeoutException:
            raise FetchError(first, f"no answer from {host} within {self.timeout:g} s") from None
        except httpx.HTTPError as error:
            reason = " ".join(str(error).split()) or type(error).__name__
            raise FetchError(first, f"could not fetch from {host}: {reason}") from None
        finally:
            self._last[host] = self._clock()

    def _wait_turn(self, host: str) -> None:
        last = self._last.get(host)
        if last is None:
            return
        delay = max(self.host_delay, self._crawl_delay(host))
        wait = last + delay - self._clock()
        if wait > 0:
            self.waited += wait
            self._sleep(wait)

    # -- robots.txt ----------------------------------------------------------------------
    def allowed(self, url: str) -> bool:
        """Whether the site's robots.txt lets this user agent fetch `url`. A robots.txt that
        cannot be read for a reason other than its absence (a server error, a timeout) stops
        the fetch: it is tried again next round."""
        rules = self._rules(_origin(url))
        return rules is None or rules.can_fetch(url, self.user_agent)  # type: ignore[attr-defined]

    def _crawl_delay(self, host: str) -> float:
        for origin, rules in self._robots.items():
            if rules is not None and urlsplit(origin).netloc.lower() == host:
                delay = rules.crawl_delay(self.user_agent)  # type: ignore[attr-defined]
                if delay:
                    return min(float(delay), MAX_CRAWL_DELAY)
        return 0.0

    def _rules(self, origin: str):
        if origin in self._robots:
            return self._robots[origin]
        from protego import Protego

        kept = self.robots_texts.get(origin)
        if kept is not None and 0 <= time.time() - kept[0] < ROBOTS_KEPT:
            rules = Protego.parse(kept[1]) if kept[1] is not None else None
            self._robots[origin] = rules
            return rules
        address = origin + "/robots.txt"
        current, rules, text = address, None, None
        for _ in range(self.max_redirects + 1):
            try:
                result = self._request(address, current, {}, None, "robots.txt")
            except FetchError as error:
                status = error.reason.split()[1] if error.reason.startswith("HTTP ") else ""
                if status.startswith("4"):  # no robots.txt: everything is allowed
                    break
                raise FetchError(address, f"robots.txt could not be read ({error.reason})") from None
            if isinstance(result, Fetched):
                if len(result.body) <= ROBOTS_MAX_BYTES:
                    text = result.body.decode("utf-8", errors="replace")
                    rules = Protego.parse(text)
                break
            current = web_url_or_error(address, urljoin(current, result))
        self._robots[origin] = rules
        self.robots_texts[origin] = (time.time(), text)
        return rules


def web_url_or_error(first: str, url: str) -> str:
    """A redirect's target as `web_url` gives it, failing in the name of the address first asked for."""
    try:
        return web_url(url)
    except FetchError as error:
        raise FetchError(first, f"redirected to {url}: {error.reason}") from None
