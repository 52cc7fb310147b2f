"""A news site on 127.0.0.1 for the follow tests: feeds, pages, robots.txt and misbehaving
addresses (404, never answering, too large, not HTML, redirect loops), with every request logged."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    redirect: str | None = None  # a 302 to this address
    hang: bool = False  # accept the request and never answer
    stream_bytes: int = 0  # send this many bytes without a Content-Length
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    path: str
    headers: dict[str, str]


class NewsSite:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self.release = threading.Event()  # lets hanging handlers go at shutdown
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802 - http.server's name
                site.requests.append(Request(self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = site.routes.get(self.path)
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                if route.hang:
                    site.release.wait(60)
                    return
                if route.redirect:
                    self.send_response(302)
                    self.send_header("Location", route.redirect)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if (route.etag and self.headers.get("If-None-Match") == route.etag) or (
                    route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified
                ):
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                if route.etag:
                    self.send_header("ETag", route.etag)
                if route.last_modified:
                    self.send_header("Last-Modified", route.last_modified)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                if route.stream_bytes:
                    self.send_header("Connection", "close")
                    self.end_headers()
                    chunk = b"<p>" + b"x" * 65_000 + b"</p>\n"
                    try:
                        for _ in range(route.stream_bytes // len(chunk) + 1):
                            self.wfile.write(chunk)
                    except OSError:  # the client stopped reading
                        pass
                    return
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> NewsSite:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> int:
        return sum(request.path == path for request in self.requests)

    def paths(self) -> list[str]:
        return [request.path for request in self.requests]

    # -- content -------------------------------------------------------------------------
    def add(self, path: str, body: str | bytes = b"", content_type: str = "text/html; charset=utf-8", **options) -> Route:
        route = Route(body.encode("utf-8") if isinstance(body, str) else body, content_type, **options)
        self.routes[path] = route
        return route

    def add_page(self, path: str, headline: str, paragraphs: list[str], site: str = "Velmora Post",
                 published: str | None = None) -> Route:
        return self.add(path, page(headline, paragraphs, site, published))


def page(headline: str, paragraphs: list[str], site: str = "Velmora Post", published: str | None = None) -> str:
    date = f'<meta name="date" content="{published}">' if published else ""
    body = "".join(f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs)
    return (
        f'<!doctype html><html><head><title>{escape(headline)} | {escape(site)}</title>'
        f'<meta property="og:site_name" content="{escape(site)}">{date}</head><body>'
        f'<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>'
        f"<article><h1>{escape(headline)}</h1>{body}</article>"
        f"<footer>Subscribe to our newsletter. All rights reserved.</footer></body></html>"
    )


def http_date(day: str) -> str:
    return format_datetime(datetime.fromisoformat(day).replace(tzinfo=timezone.utc), usegmt=True)


def rss(title: str, items: list[dict]) -> str:
    """An RSS 2.0 feed; each item: title, link, published (ISO date), summary, and optionally
    content (full text as HTML, in content:encoded)."""
    parts = []
    for item in items:
        content = (f"<content:encoded><![CDATA[{item['content']}]]></content:encoded>"
                   if item.get("content") else "")
        parts.append(
            f"<item><title>{escape(item['title'])}</title><link>{escape(item['link'])}</link>"
            f"<guid>{escape(item['link'])}</guid><pubDate>{http_date(item['published'])}</pubDate>"
            f"<description>{escape(item.get('summary', ''))}</description>{content}</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{escape(title)}</title><link>http://127.0.0.1/</link><description>News</description>"
        + "".join(parts) + "</channel></rss>"
    )


def atom(title: str, entries: list[dict]) -> str:
    """An Atom feed; each entry: title, link, updated (ISO date), summary, author, optionally
    content (full text as HTML)."""
    parts = []
    for entry in entries:
        content = f'<content type="html">{escape(entry["content"])}</content>' if entry.get("content") else ""
        parts.append(
            f"<entry><title>{escape(entry['title'])}</title><link rel=\"alternate\" href=\"{escape(entry['link'])}\"/>"
            f"<id>{escape(entry['link'])}</id><updated>{entry['updated']}T08:00:00Z</updated>"
            f"<author><name>{escape(entry.get('author', 'Staff'))}</name></author>"
            f"<summary>{escape(entry.get('summary', ''))}</summary>{content}</entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:test:{escape(title)}</id><updated>2025-03-01T00:00:00Z</updated>"
        + "".join(parts) + "</feed>"
    )


def wait_for(condition, timeout: float = 30.0, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()
