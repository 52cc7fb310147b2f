"""Generators choose the evidence sentences that answer a question, and word a short answer.

A generator gets the question and the candidate sentences, numbered [1]..[n], and returns a
`Selection`: the numbers of the sentences that state the answer (none when no sentence does)
and a short answer resting on exactly those sentences. Whether that holds is checked afterwards,
in `rag.answer.assistant`, whatever the generator.

- `ChatModelGenerator` asks a chat model for JSON under a schema (llama.cpp turns the schema
  into a grammar; OpenAI-compatible servers take it as `response_format`). A reply that is not
  JSON is read as free text: its `[n]` markers, or failing those the sentences that support it,
  give the evidence.
- `ExtractiveGenerator` takes the best-ranked sentence; it needs no language model.

Generators stream: `select()` yields pieces of the answer text as they come, then the
`Selection` last.
"""

from __future__ import annotations

import json
import queue
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from rag.answer.evidence import EvidenceSentence
from rag.language.words import markers_in, strip_markers, support
from rag.models import prompts

SELECTION_SCHEMA = {
    "type": "object",
    "properties": {
        "evidence": {"type": "array", "items": {"type": "integer"}, "maxItems": 3},
        "answer": {"type": "string", "maxLength": 200},
    },
    "required": ["evidence", "answer"],
}

SPLIT_SCHEMA = {
    "type": "object",
    "properties": {"questions": {"type": "array", "items": {"type": "string", "maxLength": 200}, "maxItems": 4}},
    "required": ["questions"],
}


@dataclass
class Selection:
    sentences: list[int]  # 1-based numbers of the chosen evidence sentences, best first
    answer: str = ""  # a short answer; empty when the generator only points at sentences
    raw: str = ""  # what the generator wrote
    notes: list[str] = field(default_factory=list)


def selection_messages(
    question: str, evidence: Sequence[EvidenceSentence], titles: Sequence[str]
) -> list[BaseMessage]:
    return [
        SystemMessage(prompts.SYSTEM),
        HumanMessage(prompts.selection_prompt(question, [s.text for s in evidence], titles)),
    ]


WRITE_TOKENS = 48  # a short answer is a few words; the cited sentences are quoted under it

_ANSWER_FIELD = re.compile(r'"answer"\s*:\s*"((?:[^"\\]|\\.)*)')


def _partial_answer(buffer: str) -> str:
    """The answer field's text so far, from a JSON reply still being written."""
    match = _ANSWER_FIELD.search(buffer)
    if not match:
        return ""
    text = match.group(1)
    if text.endswith("\\"):
        text = text[:-1]
    try:
        return json.loads(f'"{text}"')
    except json.JSONDecodeError:
        return text


def parse_selection(raw: str, evidence: Sequence[EvidenceSentence]) -> Selection:
    """Read a generator's reply: JSON as asked, or free text with (or without) [n] markers."""
    text = raw.strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = None
    if data is None and text.startswith("{"):  # JSON cut short (the token limit): what it got to
        numbers = re.search(r'"evidence"\s*:\s*\[([\d,\s]*)', text)
        data = {
            "evidence": [int(n) for n in re.findall(r"\d+", numbers.group(1))] if numbers else [],
            "answer": _partial_answer(text),
        }
    if isinstance(data, dict):
        listed = data.get("evidence")
        listed = listed if isinstance(listed, list) else []
        numbers = [
            n for n in listed
            if isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= len(evidence)
        ]
        answer = data.get("answer", "")
        return Selection(list(dict.fromkeys(numbers)), answer if isinstance(answer, str) else "", raw)
    # Free text: markers give the evidence; a sentence without one is matched to the evidence
    # sentence that supports it best, never dropped for the missing marker alone.
    numbers = [n for n in markers_in(text) if 1 <= n <= len(evidence)]
    notes = []
    if text and not numbers:
        scores = [support(strip_markers(text), sentence.text) for sentence in evidence]
        best = max(range(len(evidence)), key=scores.__getitem__, default=None)
        if best is not None and scores[best] >= 0.6:
            numbers = [best + 1]
            notes.append("The answer came without a citation; it was matched to the sentence that supports it.")
    answer = re.sub(r"\s+([.,;:!?])", r"\1", strip_markers(text)) if numbers else ""
    return Selection(list(dict.fromkeys(numbers)), answer, raw, notes)


class GeneratorUnavailable(RuntimeError):
    """The language model could not be reached or failed; the message says which and why."""


_DONE = object()  # ends a worker's results (see `ChatModelGenerator._locked`)


@dataclass(frozen=True)
class Waiting:
    """Yielded by a streaming call that must wait for the model: `ahead` requests hold or wait
    for it already."""

    ahead: int


class ModelLock:
    """One request at a time on a model, counting the requests that hold or wait for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = threading.Lock()
        self._users = 0

    @contextmanager
    def hold(self, waiting: Callable[[int], None] | None = None) -> Iterator[None]:
        """Hold the model; `waiting` is told how many requests are ahead when there are any,
        counted as this one joins, so two requests arriving together cannot both see none."""
        with self._count:
            ahead = self._users
            self._users += 1
        try:
            if ahead and waiting is not None:
                waiting(ahead)
            with self._lock:
                yield
        finally:
            with self._count:
                self._users -= 1

    @property
    def users(self) -> int:
        """Requests running on the model or waiting for it."""
        return self._users


class Generator(ABC):
    name: str = "generator"
    judges: bool = False  # whether `judge` gives probabilities

    def busy(self) -> int:
        """How many requests are running on or waiting for this generator's model."""
        return 0

    def warm_up(self) -> None:
        """Load heavy models ahead of the first question."""

    @abstractmethod
    def select(
        self, question: str, evidence: Sequence[EvidenceSentence], titles: Sequence[str]
    ) -> Iterator[str | Waiting | Selection]:
        """Yield pieces of the answer text as they come, then the `Selection`; a model that
        other requests hold yields `Waiting` first."""

    def judge(self, question: str, sentence: str) -> float | None:
        """Probability that `sentence` states the answer to `question`; None without a model."""
        return None

    def judging(self, question: str, sentence: str) -> Iterator[Waiting | float | None]:
        """`judge`'s probability as the last item, after a `Waiting` when other requests hold
        or wait for the model (for a judgement that is the first call of an answer)."""
        yield self.judge(question, sentence)

    def affirms(self, question: str, sentence: str) -> float | None:
        """Probability that `sentence` answers the yes/no `question` with yes; None without a
        model."""
        return None

    def write(self, question: str, sentences: Sequence[str], after: str = "") -> Iterator[str]:
        """Yield pieces of a short answer to `question` taken from `sentences` (already checked
        to answer it) and `after`, the sentence finishing the one judged; nothing without a model."""
        return iter(())

    def rewrite_question(self, question: str, history: Sequence[tuple[str, str]]) -> str | None:
        """A standalone form of a follow-up question, or None to use the rule-based one."""
        return None

    def split_sides(self, question: str, sides: Sequence[str]) -> list[str] | None:
        """One question about each of `sides` that together ask what `question` asks (see
        `rag.answer.sides`), or None to use the rule-based ones."""
        return None


class ChatModelGenerator(Generator):
    """A LangChain chat model that picks evidence sentences and words the answer as JSON.

    `judge`, when given, scores a sentence as the answer to a question (see `rag.models.judge`), and
    `affirm` reads a sentence's yes or no to a yes/no question the same way.
    Every call to the model holds `lock`: a local model serves one request at a time.
    Any failure of the model (it cannot load, the endpoint is down or too slow) is raised as
    `GeneratorUnavailable`, naming `described` (what the model is and where). `after_reply` runs
    once each streamed reply has ended, off the reader's path (see `rag.heap`); `prime` runs on
    the model once it is loaded, in `warm_up`.
    """

    def __init__(
        self,
        build_model: Callable[[], BaseChatModel],
        name: str,
        judge: Callable[[BaseChatModel, str, str], float] | None = None,
        lock: ModelLock | None = None,
        affirm: Callable[[BaseChatModel, str, str], float] | None = None,
        described: str | None = None,
        after_reply: Callable[[], object] | None = None,
        prime: Callable[[BaseChatModel], object] | None = None,
    ) -> None:
        self._build_model = build_model
        self._after_reply = after_reply
        self._prime = prime
        self._primed = False
        self._model: BaseChatModel | None = None
        self._judge = judge
        self._affirm = affirm
        self.judges = judge is not None
        self.name = name
        self.described = described or f"the {name} model"
        self.lock = lock or ModelLock()
        self._loading = threading.Lock()
        self._warming = threading.Lock()

    def busy(self) -> int:
        return self.lock.users

    def _failed(self, error: Exception) -> GeneratorUnavailable:
        reason = " ".join(str(error).split())[:300] or type(error).__name__
        return GeneratorUnavailable(f"{self.described[:1].upper()}{self.described[1:]} failed: {reason}")

    @property
    def model(self) -> BaseChatModel:
        with self._loading:
            if self._model is None:
                try:
                    self._model = self._build_model()
                except Exception as error:
                    raise self._failed(error) from error
            return self._model

    def warm_up(self) -> None:
        """Load the model and run `prime` on it once (a local model reads the system message
        every prompt begins with, so that the questions after warming up find it read). A call
        made while another thread warms up waits for it and does not prime again."""
        with self._warming:
            model = self.model
            if self._prime is not None and not self._primed:
                try:
                    with self.lock.hold():
                        self._prime(model)
                except Exception as error:  # a model that cannot read a prompt cannot answer either
                    raise self._failed(error) from error
                self._primed = True

    def select(
        self, question: str, evidence: Sequence[EvidenceSentence], titles: Sequence[str]
    ) -> Iterator[str | Waiting | Selection]:
        if not evidence:
            yield Selection([])
            return
        messages = selection_messages(question, evidence, titles)
        buffer, shown = "", ""
        for piece in self._stream_locked(
            messages, announce=True, response_format={"type": "json_object", "schema": SELECTION_SCHEMA}
        ):
            if isinstance(piece, Waiting):
                yield piece
                continue
            buffer += piece
            answer = _partial_answer(buffer)
            if len(answer) > len(shown) and answer.startswith(shown):
                yield answer[len(shown) :]
                shown = answer
        yield parse_selection(buffer, evidence)

    def _stream_locked(self, messages: list[BaseMessage], announce: bool = False, **options: Any) -> Iterator[Any]:
        """Stream the model's reply (see `_locked`); the memory the reply freed is handed back after."""
        model = self.model

        def reply(put: Callable[[Any], None]) -> None:
            for chunk in model.stream(messages, **options):
                put(str(chunk.content))

        yield from self._locked(reply, announce, after=self._after_reply)

    def _locked(
        self, work: Callable[[Callable[[Any], None]], None], announce: bool, after: Callable[[], None] | None = None
    ) -> Iterator[Any]:
        """Run `work` (which hands out its results with `put`) while holding the model's lock in
        a worker thread, and yield its results, so the lock is released when the work ends even
        if the caller stops reading halfway. With `announce`, a `Waiting` comes first when other
        requests hold or wait for the model. `after` runs in the worker once the work has ended."""
        pieces: queue.Queue[Any] = queue.Queue()

        def run() -> None:
            try:
                with self.lock.hold(waiting=(lambda ahead: pieces.put(Waiting(ahead))) if announce else None):
                    work(pieces.put)
            except BaseException as error:  # noqa: BLE001 - handed to the reader below
                pieces.put(error)
            finally:
                pieces.put(_DONE)
                if after is not None:
                    after()

        threading.Thread(target=run, name=f"{self.name}-model", daemon=True).start()
        while (item := pieces.get()) is not _DONE:
            if isinstance(item, Exception):
                raise self._failed(item) from item
            if isinstance(item, BaseException):
                raise item
            yield item

    def _score(self, scorer, question: str, sentence: str) -> float | None:
        if scorer is None:
            return None
        model = self.model
        try:
            with self.lock.hold():
                return scorer(model, question, sentence)
        except Exception as error:
            raise self._failed(error) from error

    def judge(self, question: str, sentence: str) -> float | None:
        return self._score(self._judge, question, sentence)

    def judging(self, question: str, sentence: str) -> Iterator[Waiting | float | None]:
        if self._judge is None:
            yield None
            return
        model = self.model
        yield from self._locked(lambda put: put(self._judge(model, question, sentence)), announce=True)

    def affirms(self, question: str, sentence: str) -> float | None:
        return self._score(self._affirm, question, sentence)

    def write(self, question: str, sentences: Sequence[str], after: str = "") -> Iterator[str]:
        if not sentences:
            return
        messages = [SystemMessage(prompts.SYSTEM), HumanMessage(prompts.writing_prompt(question, sentences, after))]
        yield from self._stream_locked(messages, max_tokens=WRITE_TOKENS)

    def split_sides(self, question: str, sides: Sequence[str]) -> list[str] | None:
        messages = [SystemMessage(prompts.SYSTEM), HumanMessage(prompts.splitting_prompt(question, sides))]
        raw = "".join(self._stream_locked(messages, response_format={"type": "json_object", "schema": SPLIT_SCHEMA}))
        try:
            questions = json.loads(raw).get("questions")
        except (json.JSONDecodeError, AttributeError):
            return None
        if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
            return None
        return [" ".join(q.split()) for q in questions]

    def rewrite_question(self, question: str, history: Sequence[tuple[str, str]]) -> str | None:
        messages: list[BaseMessage] = [SystemMessage(prompts.REWRITE)]
        for asked, answered in history[-3:]:
            messages += [HumanMessage(asked), AIMessage(answered)]
        messages.append(HumanMessage(f"Last question: {question}"))
        text = "".join(self._stream_locked(messages)).strip()
        text = text.splitlines()[0].strip().strip('"') if text else ""
        return text or None


class ExtractiveGenerator(Generator):
    """Chooses nothing itself: the assistant's own candidates (the sentences that state most of
    the question's words, then the best-ranked) are checked and the first that passes is
    quoted. No language model."""

    name = "extractive"

    def select(
        self, question: str, evidence: Sequence[EvidenceSentence], titles: Sequence[str]
    ) -> Iterator[str | Selection]:
        yield Selection([])
