"""All settings in one typed object, read from `.env` and `RAG_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

GeneratorName = Literal["llamacpp", "extractive", "openai"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RAG_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Where things live
    articles_dir: Path = Path("seeds")
    index_dir: Path = Path("index")
    collection: str = "articles"
    model_cache_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "rag")

    # Loading
    max_article_bytes: int = 2_000_000
    watch_seconds: float = Field(5.0, ge=0.0)  # how often the page looks for changed files; 0: never

    # Embedding: the same model on ONNX Runtime (8-bit or 32-bit weights) or on torch
    # (sentence-transformers); a change re-embeds. 8-bit is the fastest at the same measured quality.
    embedder: Literal["onnx", "onnx-int8", "torch"] = "onnx-int8"
    embedder_threads: int = Field(2, ge=1)
    # `rag index` encodes the next batch of passages while it writes this one (off: one step at a time)
    embed_ahead: bool = True

    # Splitting (sizes in the embedder's word pieces; all-MiniLM-L6-v2 reads at most 256)
    chunk_size: int = 160
    chunk_overlap: int = 32
    title_in_passage: bool = True

    # Retrieval
    k: int = 4
    candidates: int = 100  # passages taken from each of the dense and BM25 searches
    dense_weight: float = Field(0.5, ge=0.0, le=1.0)  # share of the cosine score; BM25 gets the rest
    # standardised scores mixed (chosen on SciFact), scores divided by the best mixed, or reciprocal rank
    fusion: Literal["zscores", "scores", "rrf"] = "zscores"
    rrf_k: int = 60
    min_relevance: float = 0.25  # below this cosine similarity nothing retrieved counts as relevant

    # Answering
    generator: GeneratorName = "llamacpp"
    # the page's server starts loading the default model when its first page opens, so the
    # first question finds it loaded (the model is then held from that moment)
    preload_model: bool = True
    max_question_chars: int = 1000
    max_answer_tokens: int = 320
    evidence_sentences: int = Field(5, ge=1) # best-ranked passage sentences offered to the generator
    # "generator": the model picks sentences and words an answer as JSON, then its picks are
    # judged; "judge": the model only judges the system's candidates, one by one, and words a
    # short answer from the one it accepts. "judge" reads far less (faster) and is measured a
    # little less accurate on SQuAD 2.0 (docs/benchmarks.md).
    selection: Literal["generator", "judge"] = "generator"
    fallback_sentences: int = 3  # others checked when the generator chose none that answers
    min_coverage: float = Field(0.0, ge=0.0, le=1.0)  # share of question words the evidence must hold (with a judge; 0 chosen on SQuAD: the judge decides)
    min_coverage_unjudged: float = Field(0.0, ge=0.0, le=1.0)  # the same, with no model to judge (0: the answer model weighs coverage)
    # Candidate sentences the model judges at most, in order, and below what P(the sentence
    # answers), all signals combined (`rag.answer.calibration`), a candidate is refused, with a model to
    # judge and without one. With a model, the threshold is where the judge accepts answering
    # sentences and refuses people's near misses equally often on SQuAD 2.0 training pairs (0.76
    # and 0.78; `training/train_probe.py`); without one, it and the answer model were fitted by
    # `bench/squad2.py --fit` (docs/answers.md).
    judge_budget: int = Field(3, ge=1)
    # With the model choosing: when the judge finds one of the system's `quick_budget` best
    # candidates at least this likely to answer, it is answered without the model choosing (much
    # sooner); 1 switches it off. At 0.65 about one near miss in nine passes on the training pairs.
    quick_threshold: float = Field(0.65, ge=0.0, le=1.0)
    # how many of them the judge reads so, at most `fallback_sentences` (the system's candidates)
    quick_budget: int = Field(1, ge=1)
    answer_threshold: float = Field(0.56, ge=0.0, le=1.0)
    answer_threshold_unjudged: float = Field(0.275, ge=0.0, le=1.0)
    llm_threads: int = 2
    llm_context: int = 4096
    llm_temperature: float = 0.0

    # OpenAI-compatible endpoint (Ollama, vLLM, a hosted model); offered only when a URL is set
    openai_base_url: str | None = None
    openai_model: str = "llama3.2"
    openai_api_key: str = "not-needed"
    openai_timeout: float = 120.0

    # Optional Chroma server instead of the embedded store
    chroma_host: str | None = None
    chroma_port: int = 8000

    # Several app hosts over one corpus: the record manager in a shared database (any SQLAlchemy
    # URL, e.g. postgresql+psycopg://user:password@host/db; default: a SQLite file in the index
    # folder), and hosts that only serve what another host indexes.
    record_manager_url: str | None = None
    read_only: bool = False

    # Following feeds (`rag follow`, the page's "Follow a feed"): each entry's page is fetched
    # and saved into the articles folder. A read-only host never fetches.
    follow_minutes: float = Field(30.0, ge=0.0)  # how often the page refreshes followed feeds; 0: never
    follow_file: Path | None = None  # the followed feeds and their state; default: .feeds.json in the articles folder
    follow_user_agent: str = "NewsDesk/0.1 (cited answers from news feeds its user follows; rag)"
    follow_timeout: float = Field(15.0, gt=0.0)  # seconds to connect, and between bytes of an answer
    follow_deadline: float = Field(60.0, gt=0.0)  # seconds for a whole response
    follow_max_bytes: int = Field(5_000_000, ge=1)  # a larger feed or page is refused
    follow_max_redirects: int = Field(5, ge=0)
    follow_host_delay: float = Field(1.0, ge=0.0)  # seconds between requests to one host (or its Crawl-delay)
    follow_max_entries: int = Field(200, ge=1)  # newest entries of a feed read per round

    @property
    def openai_configured(self) -> bool:
        return bool(self.openai_base_url)


def load_settings(**overrides: object) -> Settings:
    """Build settings from `.env` and the environment; non-None keyword overrides win (CLI flags)."""
    return Settings(**{key: value for key, value in overrides.items() if value is not None})
