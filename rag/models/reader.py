"""The reader: a small model trained for this product that reads a question with one candidate
sentence (and the sentence before it, and the article's title) and says how likely the sentence
answers the question, and where in the sentence the answer is.

It has the shape of a SQuAD 2.0 reader: an answer score read from the first token, and start and
end scores over the sentence's word pieces. It was fine-tuned from all-MiniLM-L6-v2 (the
embedder's own weights) by `training/train_reader.py` and ships in `rag/models/weights/reader/` as an
ONNX graph with its tokenizer and model card; the install never trains. The graph loads on first
use (or `warm_up()`), never at construction, and items of similar length are read in one batch.

The answer path does not use it yet: on the benchmark it tells an answering sentence from a near
miss less well than the language model's judge (`rag/models/weights/reader/MODEL_CARD.md`).
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_TOKENS = 256  # the encoder's own limit
MAX_SPAN_TOKENS = 30  # the longest short answer the reader proposes, in word pieces
BEFORE_CHARS = 300  # the end of the sentence before the candidate, for "It …", "He said …"
TITLE_CHARS = 120


def default_model_dir() -> Path:
    return Path(__file__).resolve().parent / "weights" / "reader"


@dataclass(frozen=True)
class ReaderInput:
    question: str
    sentence: str
    before: str = ""  # the sentence before it in its article, if any
    title: str = ""  # the article's title, if known


@dataclass(frozen=True)
class Reading:
    probability: float  # that the sentence answers the question
    span: tuple[int, int] | None  # the short answer's characters in the sentence

    def short_answer(self, sentence: str) -> str:
        return sentence[self.span[0] : self.span[1]] if self.span else ""


def context_text(item: ReaderInput) -> tuple[str, int]:
    """The reader's second segment (title, the end of the sentence before, the candidate), and
    where the candidate starts in it. Training and reading build it the same way."""
    title = " ".join(item.title.split())[:TITLE_CHARS]
    before = " ".join(item.before.split())[-BEFORE_CHARS:]
    head = ""
    if title:
        head += f"{title}. "
    if before:
        head += f"{before} "
    return head + item.sentence, len(head)


@dataclass
class Encoded:
    ids: np.ndarray  # (batch, tokens)
    mask: np.ndarray
    types: np.ndarray
    allowed: np.ndarray  # (batch, tokens): word pieces that belong to the candidate sentence
    offsets: list[list[tuple[int, int]]]  # each word piece's characters in the sentence


def encode(tokenizer, items: Sequence[ReaderInput]) -> Encoded:
    """Word pieces of (question, context) pairs, padded to the longest; the question is cut
    first when a pair is too long, then the context from its end."""
    pairs = []
    shifts = []
    for item in items:
        context, shift = context_text(item)
        pairs.append((" ".join(item.question.split()), context))
        shifts.append(shift)
    encodings = tokenizer.encode_batch(pairs)
    width = max(len(e.ids) for e in encodings)
    batch = len(items)
    ids = np.zeros((batch, width), dtype=np.int64)
    mask = np.zeros((batch, width), dtype=np.int64)
    types = np.zeros((batch, width), dtype=np.int64)
    allowed = np.zeros((batch, width), dtype=bool)
    offsets: list[list[tuple[int, int]]] = []
    for row, (encoding, shift, item) in enumerate(zip(encodings, shifts, items)):
        n = len(encoding.ids)
        ids[row, :n] = encoding.ids
        mask[row, :n] = 1
        types[row, :n] = encoding.type_ids
        spans = []
        for col, (sequence, (start, end)) in enumerate(zip(encoding.sequence_ids, encoding.offsets)):
            inside = sequence == 1 and start >= shift and end > start
            allowed[row, col] = inside
            spans.append((start - shift, end - shift) if inside else (0, 0))
        offsets.append(spans)
    return Encoded(ids, mask, types, allowed, offsets)


def load_tokenizer(model_dir: Path):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS, strategy="longest_first")
    return tokenizer


def best_span(start: np.ndarray, end: np.ndarray, allowed: np.ndarray) -> tuple[int, int] | None:
    """The word pieces (first, last) with the highest start + end score inside the sentence."""
    where = np.flatnonzero(allowed)
    if not len(where):
        return None
    s = np.where(allowed, start, -np.inf)
    e = np.where(allowed, end, -np.inf)
    scores = s[:, None] + e[None, :]
    n = len(s)
    rows, cols = np.indices((n, n))
    scores[(cols < rows) | (cols - rows >= MAX_SPAN_TOKENS)] = -np.inf
    first, last = np.unravel_index(int(np.argmax(scores)), scores.shape)
    return int(first), int(last)


def readings(answer_logits, start_logits, end_logits, encoded: Encoded) -> list[Reading]:
    found = []
    for row, logit in enumerate(np.asarray(answer_logits).reshape(-1)):
        probability = float(1.0 / (1.0 + np.exp(-float(logit))))
        span = best_span(start_logits[row], end_logits[row], encoded.allowed[row])
        chars = None
        if span is not None:
            offsets = encoded.offsets[row]
            chars = (offsets[span[0]][0], offsets[span[1]][1])
        found.append(Reading(probability, chars))
    return found


class Reader:
    """Scores candidate sentences with the exported reader on ONNX Runtime."""

    def __init__(
        self, model_dir: Path | None = None, threads: int = 2, batch_size: int = 32, graph: str | None = None
    ) -> None:
        self.model_dir = model_dir or default_model_dir()
        self.graph = graph  # a graph file of the folder other than the card's (the 32-bit one, say)
        self.threads = threads
        self.batch_size = batch_size
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    @functools.cached_property
    def card(self) -> dict:
        """What the model folder says of itself (`reader.json`): base, graph, threshold; read once."""
        return json.loads((self.model_dir / "reader.json").read_text("utf-8"))

    @property
    def threshold(self) -> float:
        """P(answers) from which a sentence is accepted, chosen on held-out training articles."""
        return float(self.card["threshold"])

    def warm_up(self) -> None:
        self._load()

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            from rag.store.embedding import cpu_session

            graph = self.model_dir / (self.graph or self.card["graph"])
            if not graph.exists():
                raise FileNotFoundError(f"the reader model is missing: {graph}")
            self._tokenizer = load_tokenizer(self.model_dir)
            self._session = cpu_session(graph, self.threads)

    def read(self, items: Sequence[ReaderInput]) -> list[Reading]:
        """One reading per item, in order; similar lengths are batched together."""
        if not items:
            return []
        self._load()
        order = sorted(range(len(items)), key=lambda i: len(items[i].question) + len(items[i].sentence) + len(items[i].before))
        found: dict[int, Reading] = {}
        for first in range(0, len(order), self.batch_size):
            batch = order[first : first + self.batch_size]
            encoded = encode(self._tokenizer, [items[i] for i in batch])
            answer, start, end = self._session.run(
                ["answer_logit", "start_logits", "end_logits"],
                {"input_ids": encoded.ids, "attention_mask": encoded.mask, "token_type_ids": encoded.types},
            )
            for i, reading in zip(batch, readings(answer, start, end, encoded)):
                found[i] = reading
        return [found[i] for i in range(len(items))]
