"""Wires the pipeline from settings: one embedder, one index, one retriever, generators on demand.

The CLI and the Streamlit page are both clients of `RagService`; tests build it with their own
settings (a temporary index) or hand it their own parts.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from rag.answer.assistant import Assistant
from rag.answer.evidence import SentenceRanker
from rag.answer.generators import ChatModelGenerator, ExtractiveGenerator, Generator
from rag.ingest.articles import PassageInContext, passage_in_context
from rag.models import prompts
from rag.retrieve.retrieval import HybridRetriever
from rag.settings import GeneratorName, Settings
from rag.store.embedding import SentenceTransformerEmbeddings, make_embedder
from rag.store.index import ArticleIndex, SyncReport
from rag.store.locks import IndexBusy
from rag.store.passages import passage_text

logger = logging.getLogger(__name__)


def build_generator(name: GeneratorName, settings: Settings) -> Generator:
    if name == "extractive":
        return ExtractiveGenerator()
    if name == "llamacpp":
        from rag.heap import release_freed_memory
        from rag.models.judge import LlamaJudge
        from rag.models.llm import llamacpp_chat_model

        judge = LlamaJudge()
        return ChatModelGenerator(
            lambda: llamacpp_chat_model(settings), "llamacpp", judge=judge,
            affirm=LlamaJudge(prompts.AFFIRM), described="the local model",
            after_reply=release_freed_memory, prime=judge.prime,
        )
    if name == "openai":
        from rag.models.judge import openai_judge
        from rag.models.llm import openai_chat_model

        return ChatModelGenerator(
            lambda: openai_chat_model(settings), "openai", judge=openai_judge,
            affirm=partial(openai_judge, wording=prompts.AFFIRM),
            described=f"the OpenAI-compatible endpoint at {settings.openai_base_url}",
        )
    raise ValueError(f"unknown generator {name!r}: choose llamacpp, extractive or openai")


@dataclass
class FolderChange:
    searchable: list[str]  # files added or changed whose passages are now in the index
    gone: list[str]  # files removed, or no longer usable (`report.skipped_files` says why)
    report: SyncReport


class RagService:
    def __init__(
        self,
        settings: Settings,
        embedder: SentenceTransformerEmbeddings | None = None,
        index: ArticleIndex | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder or make_embedder(settings)
        self.index = index or ArticleIndex(settings, self.embedder)
        self.retriever = HybridRetriever(
            index=self.index,
            k=settings.k,
            candidates=settings.candidates,
            dense_weight=settings.dense_weight,
            fusion=settings.fusion,
            rrf_k=settings.rrf_k,
        )
        self._generators: dict[str, Generator] = {}
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the embedder and the language analysis ahead of the first question."""
        from rag.language import lexicon, nlp

        self.embedder.warm_up()
        nlp.warm_up()
        lexicon.warm_up(Path(self.settings.model_cache_dir))

    def preload(self) -> threading.Thread | None:
        """Start loading the default generator's model in a daemon thread, when the settings say
        so (`preload_model`): the first question, whose own warm-up waits for this one, then finds
        it loaded. A failure is logged, not raised: the question's warm-up meets it again and
        reports it to the reader."""
        if not self.settings.preload_model:
            return None
        name = self.settings.generator

        def warm() -> None:
            try:
                self.generator(name).warm_up()
            except Exception:  # noqa: BLE001 - reported when a question needs the model
                logger.warning("loading the %s generator ahead of the first question failed", name, exc_info=True)

        thread = threading.Thread(target=warm, name=f"preload-{name}", daemon=True)
        thread.start()
        return thread

    @property
    def articles_dir(self) -> Path:
        return Path(self.settings.articles_dir)

    def generator(self, name: GeneratorName | None = None) -> Generator:
        name = name or self.settings.generator
        with self._lock:
            if name not in self._generators:
                self._generators[name] = build_generator(name, self.settings)
            return self._generators[name]

    def assistant(self, generator: GeneratorName | None = None) -> Assistant:
        return Assistant(self.retriever, self.generator(generator), self.settings, SentenceRanker(self.embedder))

    def update_index(self, progress=None, on_wait=None, wait: bool = True) -> SyncReport:
        """Bring the index in step with the folder; with `wait=False`, raise `IndexBusy` when
        another process is updating it instead of waiting for that update to finish."""
        return self.index.sync(progress=progress, on_wait=on_wait, wait=wait)

    def refresh_if_stale(self, progress=None) -> str:
        """Update the index if the folder changed, without waiting on another process's update.

        Returns "fresh", "updated", or "busy" (another update is running; questions are answered
        from the index as it stands, which is always a consistent set of passages). A read-only
        host only catches its keyword table up with the shared store.
        """
        if self.settings.read_only:
            return "updated" if self.index.catch_up() else "fresh"
        if not self.index.is_stale():
            return "fresh"
        try:
            self.update_index(progress=progress, wait=False)
        except IndexBusy:
            return "busy"
        return "updated"

    def pick_up_changes(self, progress=None) -> FolderChange | None:
        """Index what was added, changed or removed in the folder since the last update.

        None when nothing changed, on a read-only host, or when another process is updating
        the index already (that update picks the files up). Failures (a full disk, a store that
        is down) are raised for the caller to show.
        """
        if self.settings.read_only:
            return None
        changed = self.index.changed_files()
        if not changed:
            return None
        try:
            report = self.update_index(progress=progress, wait=False)
        except IndexBusy:
            return None
        in_index = self.index.keywords.sources()
        files = [name for name in changed if not name.startswith("(")]  # "(no index yet)" and such
        return FolderChange(
            searchable=[name for name in files if name in in_index],
            gone=[name for name in files if name not in in_index],
            report=report,
        )

    def timeline(self) -> list[dict]:
        """The indexed articles in order of publication, undated ones last."""
        articles = self.index.articles()
        return sorted(articles, key=lambda article: (article.get("published") is None, article.get("published") or ""))

    def cited_context(self, source: str, start: int, end: int) -> PassageInContext | None:
        """The cited span with its surroundings: from the article file, or, where this host has
        no such file (a read-only host), from the passages the store holds."""
        in_file = passage_in_context(self.articles_dir, source, start, end)
        if in_file is not None or not self.settings.read_only:
            return in_file
        passages = self.index.keywords.passages_of(source)
        around = [doc for doc in passages if doc.metadata["start"] <= start and end <= doc.metadata["end"]]
        if not around:
            return None
        doc = around[0]
        text = passage_text(doc)
        offset = start - int(doc.metadata["start"])
        ordinal = passages.index(doc)
        before = passage_text(passages[ordinal - 1]) if ordinal else ""
        after = passage_text(passages[ordinal + 1]) if ordinal + 1 < len(passages) else ""
        return PassageInContext(
            before=before + "\n" + text[:offset],
            passage=text[offset : offset + end - start],
            after=text[offset + end - start :] + "\n" + after,
        )
