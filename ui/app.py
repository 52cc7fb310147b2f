"""Streamlit chat over the news articles. A thin client: every answer comes from the `rag` library."""

from __future__ import annotations

from datetime import date

import streamlit as st

from rag.answer.generators import GeneratorUnavailable
from rag.answer.replies import Finished, QuestionError, Queued, Retrieved, Token
from rag.ingest.articles import (
    UploadError,
    delete_article,
    escape_markdown,
    markdown_link,
    save_article,
)
from rag.ingest.feeds import Follower, FollowError, FollowSchedule
from rag.ingest.loading import ARTICLE_SUFFIXES
from rag.retrieve.timeframe import DateWindow
from rag.service import RagService
from rag.settings import load_settings
from rag.store.index import SyncReport
from rag.store.locks import IndexBusy

st.set_page_config(page_title="News Desk · cited answers", layout="wide")


@st.cache_resource(show_spinner="Loading the embedder and the language analysis, opening the index…")
def get_service() -> RagService:
    service = RagService(load_settings())
    service.warm_up()
    return service


@st.cache_resource(show_spinner="Bringing the index up to date…")
def startup_problem() -> str | None:
    """Why the index could not be brought up to date when the app started, if it could not."""
    try:
        get_service().refresh_if_stale()
    except Exception as error:  # noqa: BLE001 - a store that is down must not stop the page
        return (f"The index could not be brought up to date at start: {error}. Questions are answered "
                "from the index as it stands; press Update index to try again.")
    return None


@st.cache_resource(show_spinner=False)
def preload_model() -> bool:
    """Begin loading the default model when the server's first page opens, while the index is
    checked and the reader types (`RAG_PRELOAD_MODEL`)."""
    return get_service().preload() is not None


@st.cache_resource(show_spinner=False)
def follow_schedule() -> FollowSchedule:
    """One schedule per server: followed feeds are refreshed every `RAG_FOLLOW_MINUTES` (whichever
    process ran the last round), and what a round saves is indexed at once."""
    service = get_service()

    def index_what_was_saved(report) -> None:
        if report.changed:
            service.refresh_if_stale()  # "busy": the folder watcher or another process indexes it

    return FollowSchedule(Follower(service.settings), after_round=index_what_was_saved).start()


@st.cache_resource(show_spinner="Loading the language model (first time only)…")
def warm_generator(name: str) -> str:
    get_service().generator(name).warm_up()
    return name


def highlighted(text: str) -> str:
    """Markdown that shows `text` literally, on a highlight, line by line."""
    lines = [line.strip() for line in text.splitlines()]
    return "  \n".join(f":orange-background[{escape_markdown(line)}]" for line in lines if line)


def source_byline(item: dict) -> str:
    """An article as a reader knows it, after its headline: outlet · date, and its file name
    only for an article saved by hand (plain text)."""
    also = item.get("also_as") and "also saved as " + ", ".join(item["also_as"])
    where = None if item.get("url") else item["source"]
    return " · ".join(filter(None, [item.get("outlet"), item.get("published"), where, also]))


def original_link(item: dict) -> str | None:
    """Markdown linking to the article's original address, when it came from the web."""
    if not item.get("url"):
        return None
    return "Original: " + markdown_link(item.get("outlet") or item["url"], item["url"])


def render_sources(answer: dict, show_scores: bool) -> None:
    citations = answer["citations"]
    if not citations:
        return
    service = get_service()
    # a quote is one sentence, or a sentence with the one after it that points back to it
    counted = "1 quote, highlighted in its article" if len(citations) == 1 else f"{len(citations)} quotes, highlighted in their articles"
    st.markdown(f"**Sources** · {counted}")
    for citation in citations:
        label = f"[{citation['marker']}] {escape_markdown(citation['title'])} — {escape_markdown(source_byline(citation))}"
        if show_scores:
            label += f" · score {citation['score']:.4f} · similarity {citation['similarity']:.2f}"
        with st.expander(label):
            if link := original_link(citation):
                st.markdown(link)
            context = service.cited_context(citation["source"], citation["start"], citation["end"])
            if context is None:
                st.markdown(highlighted(citation["text"]))
                st.caption("The article has changed since this answer; showing the passage as cited.")
            else:
                st.markdown(escape_markdown(" ".join(context.before.split())))
                st.markdown(highlighted(context.passage))
                st.markdown(escape_markdown(" ".join(context.after.split())))
            st.caption(escape_markdown(f"characters {citation['start']}–{citation['end']} of {citation['source']}"))


def render_answer(answer: dict, show_scores: bool) -> None:
    if answer.get("standalone_question"):
        st.caption("Searched for: " + escape_markdown(answer["standalone_question"]))
    if answer["abstained"]:
        st.info(answer["answer"], icon="🔎")
    else:
        st.markdown(escape_markdown(answer["answer"]))
    for note in answer.get("notes", []):
        st.caption(note)
    render_sources(answer, show_scores)


def sidebar(service: RagService) -> tuple[str, int, bool, DateWindow | None]:
    settings = service.settings
    with st.sidebar:
        st.header("Settings")
        generators = ["llamacpp", "extractive"] + (["openai"] if settings.openai_configured else [])
        generator = st.selectbox(
            "Answer with",
            generators,
            index=generators.index(settings.generator) if settings.generator in generators else 0,
            format_func={
                "llamacpp": "Local model (Qwen2.5 1.5B)",
                "extractive": "Quoted sentences (no model)",
                "openai": f"OpenAI-compatible ({settings.openai_model})",
            }.get,
        )
        k = st.slider("Passages per answer", 1, 10, settings.k)
        show_scores = st.toggle("Show retrieval scores", value=False)
        dates = date_filter(service)

        if not settings.read_only:
            upload_panel(service)
            follow_panel(service)
        library_panel(service)
    return generator, k, show_scores, dates


def date_filter(service: RagService) -> DateWindow | None:
    """An optional range of publication dates the chat searches within."""
    published = service.index.keywords.published_dates()
    if not published:
        return None
    if not st.toggle("Only articles published between…", value=False):
        return None
    first, last = date.fromisoformat(published[0]), date.fromisoformat(published[-1])
    chosen = st.date_input("Published between", value=(first, last), format="YYYY-MM-DD")
    if not isinstance(chosen, tuple) or len(chosen) != 2:
        st.caption("Pick the last day too.")
        return None
    st.caption("Articles without a known date are left out while this is on.")
    return DateWindow("the chosen dates", chosen[0], chosen[1])


def library_panel(service: RagService) -> None:
    """The index and its articles; while the page is open it also watches the folder, so files
    added, changed or removed on disk are indexed without pressing anything."""
    settings = service.settings
    interval = settings.watch_seconds if settings.watch_seconds and not settings.read_only else None

    @st.fragment(run_every=interval)
    def panel() -> None:
        if interval:
            watch_folder(service, interval)
        index_panel(service)
        articles_panel(service)

    panel()


def watch_folder(service: RagService, interval: float) -> None:
    st.caption(escape_markdown(
        f"Watching {service.articles_dir} every {interval:g} s: articles added, changed or removed there "
        "are indexed without pressing anything."
    ))
    try:
        change = service.pick_up_changes()
    except Exception as error:  # noqa: BLE001 - a full disk, a missing folder, a store that is down
        st.error(escape_markdown(f"Picking up the folder's changes failed: {error}. Questions are answered from the index as it stands."))
        return
    if change is None:
        return
    st.session_state["last_report"] = change.report
    if change.searchable:
        # an article from the web by its headline; one saved by hand by its file name
        headlines = {article["source"]: article["title"] for article in service.index.articles() if article.get("url")}
        named = [headlines.get(name, name) for name in change.searchable]
        st.toast(escape_markdown("Now searchable: " + ", ".join(named)), icon="📰")
    if change.gone:
        st.toast(escape_markdown("No longer in the index: " + ", ".join(change.gone)))


def run_update(service: RagService, label: str) -> SyncReport | None:
    """Update the index with a progress bar; None (with the reason shown) when it could not run."""
    bar = st.progress(0.0, text=label)
    try:
        report = service.update_index(
            progress=lambda done, total: bar.progress(done / total if total else 1.0, text=f"{label} {done}/{total} passages"),
            wait=False,
        )
    except IndexBusy:
        bar.empty()
        st.info("Another index update is running. Questions are answered from the index as it stands; "
                "files added meanwhile are picked up when it ends.")
        return None
    except Exception as error:  # noqa: BLE001 - a full disk, a missing folder, a store that is down
        bar.empty()
        st.error(escape_markdown(
            f"The index update failed: {error}. Nothing already indexed is lost; questions are answered "
            "from the index as it stands. Fix the cause and update again: it resumes where it stopped."
        ))
        return None
    bar.progress(1.0, text="Index up to date")
    st.session_state["last_report"] = report
    return report


def index_panel(service: RagService) -> None:
    """Counts, staleness and the update button."""
    st.header("Index")
    if not service.settings.read_only and not service.articles_dir.is_dir():
        st.error(escape_markdown(
            f"The articles folder {service.articles_dir.resolve()} does not exist: answers come from the "
            "index as it stands, and updating it is refused until the folder is back (RAG_ARTICLES_DIR)."
        ))
    status = service.index.status()
    left, right = st.columns(2)
    left.metric("Articles", status.articles)
    right.metric("Passages", status.passages)
    st.caption(f"Last update: {status.last_update or 'never'}")
    if status.stale:
        st.warning("Files changed since the last update: " + escape_markdown(", ".join(status.changed[:8])))
    if service.settings.read_only:
        st.caption("This host serves the shared index read-only (RAG_READ_ONLY); another host updates it.")
        return
    if st.button("Update index", type="primary" if status.stale else "secondary", width="stretch"):
        if run_update(service, "Updating the index…") is not None:
            st.rerun()
    if report := st.session_state.get("last_report"):
        st.success(
            f"Added {report.added}, updated {report.updated}, removed {report.deleted} passages; "
            f"{report.total} in the index."
        )
        for skipped in report.skipped_files:
            st.caption(escape_markdown(f"Skipped {skipped.source}: {skipped.reason}"))


def upload_panel(service: RagService) -> None:
    """One step: each uploaded file is saved into the articles folder and indexed at once."""
    st.header("Add articles")
    uploads = st.file_uploader(
        "Plain text, Markdown or web pages (" + ", ".join(ARTICLE_SUFFIXES) + ")",
        type=[suffix.lstrip(".") for suffix in ARTICLE_SUFFIXES],
        accept_multiple_files=True,
        help="Each file is saved into the articles folder and indexed at once.",
    )
    handled = st.session_state.setdefault("handled_uploads", set())
    new = [upload for upload in uploads or [] if upload.file_id not in handled]
    saved = []
    for upload in new:
        handled.add(upload.file_id)
        try:
            saved.append(save_article(
                service.articles_dir, upload.name, upload.getvalue(), service.settings.max_article_bytes
            ).name)
        except UploadError as error:
            st.error(escape_markdown(str(error)))
    if not saved:
        return
    report = run_update(service, "Indexing " + ", ".join(saved) + "…")
    if report is None:
        return
    in_index = service.index.keywords.sources()
    ready = [name for name in saved if name in in_index]
    reasons = {item.source: item.reason for item in report.skipped_files}
    announcements = st.session_state.setdefault("announcements", [])
    if ready:
        announcements.append(f"{', '.join(ready)} {'is' if len(ready) == 1 else 'are'} in the index: ask about "
                             f"{'it' if len(ready) == 1 else 'them'} now.")
    for name in saved:
        if name not in in_index:
            announcements.append(f"{name} was saved but not indexed: {reasons.get(name, 'see the index panel')}.")
    st.rerun()


def follow_panel(service: RagService) -> None:
    """Follow an RSS or Atom feed: it is read at once, its articles are fetched in the background
    into the articles folder and indexed; every `RAG_FOLLOW_MINUTES` the feeds are read again."""
    st.header("Follow a feed")
    schedule = follow_schedule()
    with st.form("follow-feed", clear_on_submit=True, border=False):
        address = st.text_input("RSS or Atom feed address", placeholder="https://example.com/news/feed.xml")
        submitted = st.form_submit_button("Follow")
    if submitted and address.strip():
        try:
            with st.spinner("Reading the feed…"):
                feed, _ = schedule.follower.follow(address.strip(), fetch_entries=False, wait=15)
        except FollowError as error:
            st.error(escape_markdown(str(error)))
        else:
            schedule.wake([feed["url"]])
            st.success(escape_markdown(
                f"Following {feed['title'] or feed['url']}: its articles are being fetched, and appear under "
                "Articles as they are indexed."
            ))
    minutes = service.settings.follow_minutes
    interval = service.settings.watch_seconds or None

    @st.fragment(run_every=interval)
    def followed() -> None:
        try:
            feeds = schedule.follower.feeds()
        except FollowError as error:
            st.error(escape_markdown(str(error)))
            return
        if not feeds:
            return
        every = f"every {minutes:g} minutes" if minutes else "only by rag follow --once (RAG_FOLLOW_MINUTES is 0)"
        st.caption(escape_markdown(f"Followed feeds, read again {every}:"))
        if schedule.running:
            st.caption("Fetching the followed feeds now…")
        if schedule.last_error:
            st.warning(escape_markdown(f"The last round over the feeds failed: {schedule.last_error}"))
        for feed in feeds:
            with st.expander(escape_markdown(f"{feed['title'] or feed['url']} · {feed['articles']} articles")):
                st.caption(escape_markdown(f"{feed['url']} · last checked {feed['checked'] or 'not yet'}"))
                for failure in feed["failures"][:6]:
                    st.caption(escape_markdown(f"Could not save {failure['url']}: {failure['reason']} (tried again next round)"))
                if st.button("Stop following", key=f"unfollow-{feed['url']}"):
                    try:
                        schedule.follower.remove(feed["url"])
                    except FollowError as error:
                        st.error(escape_markdown(str(error)))
                    else:
                        st.toast(escape_markdown(f"No longer following {feed['title'] or feed['url']}; its articles stay."))
                        st.rerun(scope="fragment")

    followed()


def articles_panel(service: RagService) -> None:
    """The indexed articles, each with a delete button."""
    st.header("Articles")
    copies = service.index.copies()
    timeline = service.timeline()
    dated = [article for article in timeline if article.get("published")]
    if dated:
        with st.expander(f"Timeline · {len(dated)} dated article{'s' if len(dated) > 1 else ''}"):
            st.dataframe(
                [{"published": a["published"], "title": a["title"], "outlet": a.get("outlet"), "file": a["source"]}
                 for a in dated],
                hide_index=True,
                width="stretch",
            )
    for article in timeline:
        with st.expander(escape_markdown(article["title"])):
            st.caption(escape_markdown(f"{source_byline(article)} · {article['passages']} passages"))
            if link := original_link(article):
                st.markdown(link)
            if also := copies.get(article["source"]):
                st.caption(escape_markdown("Also saved as " + ", ".join(also) + " (the same story, indexed once)"))
            if not service.settings.read_only and st.button("Delete article", key=f"delete-{article['source']}"):
                delete_article(service.articles_dir, article["source"])
                if run_update(service, f"Removing {article['source']}…") is not None:
                    st.toast(escape_markdown(f"Deleted {article['source']} and its passages."))
                    st.rerun()


def ask(
    service: RagService, question: str, generator: str, k: int, show_scores: bool, dates: DateWindow | None = None
) -> None:
    history = [
        (turn["question"], turn["answer"]["answer"]) for turn in st.session_state.turns if not turn["answer"]["abstained"]
    ]
    assistant = service.assistant(generator)
    sources = st.empty()
    waiting = st.empty()
    streamed = st.empty()
    final: dict = {}

    def tokens():
        drafting = False
        for event in assistant.stream(question, history, k=k, dates=dates):
            if isinstance(event, Retrieved):
                with sources.container():
                    if event.question != question:
                        st.caption("Searched for: " + escape_markdown(event.question))
                    names = sorted({p.title if p.url else p.source for p in event.passages})  # web: by headline
                    found = f"Found {len(event.passages)} passages in: " + ", ".join(names) if names else "Found nothing."
                    st.caption(escape_markdown(found))
                    for note in event.notes:
                        st.warning(escape_markdown(note))
            elif isinstance(event, Queued):
                others = f"{event.ahead} question{'s' if event.ahead > 1 else ''}"
                waiting.info(f"Queued: the language model is answering {others} before yours.", icon="⏳")
            elif isinstance(event, Token):
                waiting.empty()
                if not drafting:
                    drafting = True
                    yield "*Draft, being checked against the articles:* "
                yield escape_markdown(event.text)
            elif isinstance(event, Finished):
                final["answer"] = event.answer.as_dict()

    try:
        with streamed.container():
            st.write_stream(tokens())
    finally:
        sources.empty()
        waiting.empty()
        streamed.empty()
    render_answer(final["answer"], show_scores)
    st.session_state.turns.append({"question": question, "answer": final["answer"]})


def main() -> None:
    service = get_service()
    preload_model()
    if problem := startup_problem():
        st.error(escape_markdown(problem))
    if service.settings.read_only:
        service.refresh_if_stale()  # catch up with what another host indexed
    generator, k, show_scores, dates = sidebar(service)
    st.title("News Desk")
    st.caption("Ask about the articles in the folder. Every answer cites the sentences it rests on.")
    st.session_state.setdefault("turns", [])
    for announcement in st.session_state.pop("announcements", []):
        st.success(escape_markdown(announcement), icon="📰")

    for turn in st.session_state.turns:
        with st.chat_message("user"):
            st.text(turn["question"])
        with st.chat_message("assistant"):
            render_answer(turn["answer"], show_scores)

    question = st.chat_input("Ask a question about the articles")
    if question:
        with st.chat_message("user"):
            st.text(question)
        with st.chat_message("assistant"):
            try:
                warm_generator(generator)
                ask(service, question, generator, k, show_scores, dates)
            except QuestionError as error:
                st.warning(escape_markdown(str(error)))
            except GeneratorUnavailable as error:
                st.error(escape_markdown(f"{error}. Search still works: the answer below quotes the articles without a model."))
                ask(service, question, "extractive", k, show_scores, dates)


main()
