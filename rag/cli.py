"""`rag` command line: index, ask, search, follow. A thin client of the library."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.answer.generators import GeneratorUnavailable
from rag.settings import Settings, load_settings

if TYPE_CHECKING:
    from rag.retrieve.timeframe import DateWindow


class CliError(Exception):
    """A failure to report as one line and a non-zero exit."""


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--articles", metavar="DIR", help="folder of .txt/.md articles")
    parser.add_argument("--index", metavar="DIR", help="folder of the persisted index")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rag", description="Cited answers from a folder of news articles."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    index = commands.add_parser("index", help="bring the index in step with the articles folder")
    _common(index)
    index.add_argument("--json", action="store_true", help="print the counts as JSON")

    ask = commands.add_parser("ask", help="answer a question with cited passages")
    _common(ask)
    ask.add_argument("question", nargs="?", help="the question (or use --jsonl)")
    ask.add_argument("--generator", choices=["llamacpp", "extractive", "openai"])
    ask.add_argument("--k", type=int, help="passages given to the generator")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--jsonl", action="store_true", help="read questions from stdin, one a line")
    ask.add_argument("--since", type=_iso_date, metavar="YYYY-MM-DD", help="only articles published on or after")
    ask.add_argument("--until", type=_iso_date, metavar="YYYY-MM-DD", help="only articles published on or before")

    search = commands.add_parser("search", help="retrieve passages without answering")
    _common(search)
    search.add_argument("query", nargs="?", help="the query (or use --jsonl)")
    search.add_argument("--k", type=int, default=10, help="how many passages (default 10)")
    search.add_argument("--json", action="store_true", help="print one JSON object")
    search.add_argument("--jsonl", action="store_true", help="read queries from stdin, one a line")

    follow = commands.add_parser(
        "follow",
        help="follow an RSS or Atom feed: its articles are fetched into the articles folder and indexed",
        description="Follow RSS or Atom feeds. Each entry's page is fetched (politely: robots.txt, a delay "
        "per host) and saved into the articles folder as Markdown with its headline, outlet, date and "
        "address, then indexed. `rag follow --once` does one round for cron or a systemd timer.",
    )
    _common(follow)
    follow.add_argument("url", nargs="?", help="the feed's address (http or https)")
    action = follow.add_mutually_exclusive_group()
    action.add_argument("--list", action="store_true", help="list the followed feeds")
    action.add_argument("--remove", metavar="URL", help="stop following a feed (its articles stay)")
    action.add_argument("--once", action="store_true", help="one round over every followed feed, then index")
    follow.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in the form YYYY-MM-DD: {text!r}") from None


def _chosen_dates(args: argparse.Namespace) -> DateWindow | None:
    from rag.retrieve.timeframe import DateWindow

    if args.since is None and args.until is None:
        return None
    if args.since and args.until and args.since > args.until:
        raise CliError("--since is after --until")
    return DateWindow("the chosen dates", args.since, args.until)


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        articles_dir=args.articles,
        index_dir=args.index,
        generator=getattr(args, "generator", None),
    )


def _service(settings: Settings):
    from rag.service import RagService

    return RagService(settings)


@contextmanager
def _progress_bar() -> Iterator[Callable[[int, int], None]]:
    """A tqdm bar on stderr, shown from the first progress report and closed on exit."""
    from tqdm import tqdm

    bar: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, unit="passage", desc="indexing", file=sys.stderr, leave=False)
        bar["bar"].update(done - bar["bar"].n)  # tqdm redraws at most a few times a second

    try:
        yield update
    finally:
        if "bar" in bar:
            bar["bar"].close()


def _sync(service):
    from rag.store.index import ArticlesFolderMissing, ReadOnlyIndex

    try:
        with _progress_bar() as update:
            report = service.update_index(
                progress=update,
                on_wait=lambda: print("rag: another index update is running; waiting for it…", file=sys.stderr),
            )
    except (ArticlesFolderMissing, ReadOnlyIndex) as error:
        raise CliError(str(error)) from None
    for skipped in report.skipped_files:
        print(f"rag: skipped {skipped.source}: {skipped.reason}", file=sys.stderr)
    return report


def _ensure_fresh(service) -> None:
    """Bring the index up to date before answering when the folder changed."""
    if service.settings.read_only:
        service.refresh_if_stale()  # catch up with the shared store; this host never writes
        return
    articles, index = Path(service.settings.articles_dir), Path(service.settings.index_dir)
    if not articles.is_dir():
        if not index.is_dir():
            raise CliError(
                f"no articles folder at {articles.resolve()} and no index at {index.resolve()}: run from the "
                "project folder, or give --articles and --index (RAG_ARTICLES_DIR, RAG_INDEX_DIR)"
            )
        print(f"rag: the articles folder {articles.resolve()} is missing; answering from the index as it stands",
              file=sys.stderr)
        return
    changed = service.index.changed_files()
    if not changed:
        return
    reason = changed[0][1:-1] if changed[0].startswith("(") else "the articles folder changed"
    print(f"rag: {reason}; updating the index…", file=sys.stderr)
    with _progress_bar() as update:
        state = service.refresh_if_stale(progress=update)
    if state == "busy":
        print("rag: another index update is running; answering from the index as it stands", file=sys.stderr)


def command_index(args: argparse.Namespace) -> int:
    service = _service(_settings(args))
    report = _sync(service)
    if args.json:
        print(
            json.dumps(
                {
                    "added": report.added,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                    "files_skipped": len(report.skipped_files),
                    "deleted": report.deleted,
                    "total": report.total,
                    "skipped_files": [vars(item) for item in report.skipped_files],
                }
            )
        )
    else:
        print(
            f"{report.articles} articles, {report.total} passages in the index "
            f"(added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
            f"deleted {report.deleted}; {len(report.skipped_files)} files skipped)"
        )
    return 0


def _lines(stream) -> Iterator[str]:
    for line in stream:
        if line.strip():
            yield line.rstrip("\n")


def source_line(citation) -> str:
    """A cited article as a reader knows it: headline · outlet · date, and its address when it came
    from the web (its file name otherwise)."""
    also = citation.also_as and "also saved as " + ", ".join(citation.also_as)
    return " · ".join(filter(None, [citation.title, citation.outlet, citation.published, citation.url or citation.source, also]))


def _format_answer(answer) -> str:
    lines = [answer.answer]
    if answer.standalone_question:
        lines.insert(0, f"(searched for: {answer.standalone_question})")
    for citation in answer.citations:
        lines.append("")
        lines.append(f"[{citation.marker}] {source_line(citation)} (chars {citation.start}-{citation.end})")
        lines.append("    " + " ".join(citation.text.split()))
    for note in answer.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def command_ask(args: argparse.Namespace) -> int:
    from rag.answer.replies import QuestionError

    if args.jsonl == (args.question is not None):
        raise CliError("give one question, or --jsonl to read questions from stdin")
    dates = _chosen_dates(args)
    service = _service(_settings(args))
    _ensure_fresh(service)
    assistant = service.assistant()
    if args.jsonl:
        for line in _lines(sys.stdin):
            try:
                answer = assistant.ask(line, k=args.k, dates=dates)
                print(json.dumps(answer.as_dict(), ensure_ascii=False), flush=True)
            except QuestionError as error:
                print(json.dumps({"question": line, "error": str(error)}), flush=True)
        return 0
    try:
        answer = assistant.ask(args.question, k=args.k, dates=dates)
    except QuestionError as error:
        raise CliError(str(error)) from None
    print(json.dumps(answer.as_dict(), ensure_ascii=False, indent=1) if args.json else _format_answer(answer))
    return 0


def _search_result(service, query: str, k: int) -> dict[str, Any]:
    results, notes = service.retriever.search_with_notes(query, k=k)
    for note in notes:
        print(f"rag: {note}", file=sys.stderr)
    return {
        "query": query,
        "results": [
            {
                "source": passage.source,
                "title": passage.title,
                "outlet": passage.outlet,
                "published": passage.published,
                "url": passage.url,
                "text": passage.text,
                "score": round(passage.score, 6),
                "similarity": round(passage.similarity, 4),
                "start": passage.start,
                "end": passage.end,
            }
            for passage in results
        ],
    }


def command_search(args: argparse.Namespace) -> int:
    if args.jsonl == (args.query is not None):
        raise CliError("give one query, or --jsonl to read queries from stdin")
    service = _service(_settings(args))
    _ensure_fresh(service)
    if args.jsonl:
        for line in _lines(sys.stdin):
            print(json.dumps(_search_result(service, line, args.k), ensure_ascii=False), flush=True)
        return 0
    if not args.query.strip():
        raise CliError("the query is empty")
    result = _search_result(service, args.query, args.k)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0
    for rank, item in enumerate(result["results"], start=1):
        print(f"{rank:>2}. {item['source']}  score {item['score']:.4f}  chars {item['start']}-{item['end']}")
        print("    " + " ".join(item["text"].split())[:300])
    return 0


def _follow_failures(report) -> None:
    for failure in report.failed:
        print(f"rag: could not save {failure.url}: {failure.reason}", file=sys.stderr)


def command_follow(args: argparse.Namespace) -> int:
    from rag.ingest.feeds import Follower, FollowError

    chosen = [args.url is not None, args.list, args.remove is not None, args.once]
    if sum(chosen) != 1:
        raise CliError("give a feed's address to follow, or one of --list, --remove URL, --once")
    settings = _settings(args)
    follower = Follower(settings)
    try:
        if args.list:
            feeds = follower.feeds()
            if args.json:
                print(json.dumps({"feeds": feeds, "last_round": follower.last_round()}, ensure_ascii=False, indent=1))
            elif not feeds:
                print("no feeds are followed: rag follow URL")
            for feed in [] if args.json else feeds:
                print(f"{feed['title'] or feed['url']}  {feed['url']}")
                print(f"    {feed['articles']} articles; last checked {feed['checked'] or 'never'}")
                for failure in feed["failures"]:
                    print(f"    failed: {failure['url']}: {failure['reason']}")
            return 0
        if args.remove is not None:
            gone = follower.remove(args.remove)
            result = {"removed": gone}
            message = (f"no longer following {gone['title'] or gone['url']}; the {gone['articles']} articles "
                       "it brought stay in the folder and the index")
        elif args.once:
            report = follower.refresh(wait=600)
            result = {"round": report.as_dict()}
            message = report.summary()
        else:
            feed, report = follower.follow(args.url)
            result = {"feed": feed, "round": report.as_dict()}
            message = f"following {feed['title'] or feed['url']}: {report.summary()}"
    except FollowError as error:
        raise CliError(str(error)) from None
    if args.remove is None:
        _follow_failures(report)
        if report.changed:
            result["index"] = _sync(_service(settings)).as_dict()
            index = result["index"]
            message += f"; indexed (added {index['added']}, updated {index['updated']} passages)"
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else message)
    return 0


COMMANDS = {"index": command_index, "ask": command_ask, "search": command_search, "follow": command_follow}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except CliError as error:
        print(f"rag: {error}", file=sys.stderr)
        return 2
    except GeneratorUnavailable as error:
        print(f"rag: {error}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("rag: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - one clear line, never a traceback
        print(f"rag: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
