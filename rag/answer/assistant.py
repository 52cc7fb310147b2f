"""Answering, as a pipeline of small stages:

1. retrieve passages (`rag.retrieve.retrieval`);
2. candidate sentences: the passages' sentences ranked against the question (`rag.answer.evidence`);
3. selection: the generator picks the sentences that state the answer and words a short answer
   (`rag.answer.generators`); with `selection="judge"` it picks nothing, and words its short answer
   after verification, from the sentence the judge accepted;
4. verification: each chosen sentence must meet the question's constraints and hold the asked
   kind of fact (`rag.answer.verification`), and a model judges whether it answers exactly this
   question (`rag.models.judge`); when the generator chose nothing usable, the best candidate the
   system finds is checked the same way;
5. composition: the short answer, when it says only what its sentences say, else the sentence
   quoted; a yes/no question gets "Yes" or "No" when the sentence's parse says which and the
   model does not read it otherwise, else the sentence alone; citations point at sentences, so
   they hold by construction;
6. abstention: no sentence passes, whatever the generator said, and the reply says so, with
   what the articles do hold when that helps ("The articles mention 2022, not 2021.").

A question that compares named sides ("What did X and Y say about…?") takes another way after
step 2: one question a side, each answered by a sentence of its own (`rag.answer.sides`). So does one
about how reports stand to each other ("Did the later report agree with the earlier one?"): a
sentence from each article, earliest first, read side by side (`rag.answer.reports`). A question
asking for what several reports give together ("Which company, reported by two outlets, …?")
is answered by a name and a sentence from each article when together they state all it asks
(`rag.answer.joins`), else the ordinary way.

`Assistant.stream()` yields the retrieved passages first, then `Queued` when the model is busy
with other questions, then the answer text as the generator writes it (a draft, checked before it
is kept), then the checked `Answer`. A model that fails raises `GeneratorUnavailable` (`rag.answer.generators`).
"""

from __future__ import annotations

import collections.abc
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, replace
from datetime import date
from typing import Any

from rag.answer.calibration import WITH_JUDGE, WITHOUT_JUDGE, AnswerModel
from rag.answer.composition import in_quotes, reply_text, side_by_side, with_followers, writing_inputs, yes_or_no
from rag.answer.conversation import standalone_question
from rag.answer.decision import Verdict, first_answering, signals_of
from rag.answer.evidence import EvidenceSentence, SentenceRanker, best_sentences, newest_first
from rag.answer.generators import Generator, Selection, Waiting
from rag.answer.joins import joined_answer
from rag.answer.question import Question, analyse
from rag.answer.replies import (
    ABSTENTION,
    Answer,
    Citation,
    Event,
    Finished,
    QuestionError,
    Queued,
    Retrieved,
    Token,
)
from rag.answer.reports import Reading, compare, compared_on, report_sentences, reports_text
from rag.answer.sides import assign_sides, side_candidates, side_questions
from rag.answer.verification import (
    check_evidence,
    coverage,
    locate,
    missing_constraints,
    polarity,
)
from rag.ingest.dates import dating_note, spoken
from rag.retrieve.retrieval import HybridRetriever, ScoredPassage
from rag.retrieve.timeframe import DateWindow, bounded, date_event, search_in_time
from rag.settings import Settings
from rag.store.passages import passage_text

REPORTS_POOL = 3  # reports compared or joined: sentences ranked, in multiples of `evidence_sentences`, to find one per article


def _finished(
    answer: Answer,
    notes: list[str],
    searched: str,
    timings: dict[str, float],
    started: float,
    first_token_at: float | None = None,
) -> Answer:
    """`answer` with what the search noted before it, the standalone question it searched for
    (when that is not the question asked) and its timings, first token and total included."""
    finished = time.perf_counter()
    answer.notes = notes + answer.notes
    answer.standalone_question = searched if searched != answer.question else None
    answer.timings = {
        **timings,
        "first_token_ms": round(((first_token_at or finished) - started) * 1000, 1),
        "total_ms": round((finished - started) * 1000, 1),
    }
    return answer


def _rounded(values: dict[str, Any]) -> dict[str, Any]:
    # six places: the judge's log-odds near P = 1 must survive the record (bench/squad2.py --fit)
    return {key: round(value, 6) if isinstance(value, float) else value for key, value in values.items()}


def _header(passage: ScoredPassage) -> str:
    """The article's title, author and date, on one line."""
    # the date both as stored and as written ("2025-03-03", "3 March 2025"), so that a question's
    # day and month ("on 3 March") are met by the article's date
    published = [passage.published, spoken(passage.published)] if passage.published else []
    return " ".join(filter(None, [passage.title, passage.author, *published]))


def _context(passage: ScoredPassage) -> str:
    """What a sentence may lean on for the question's names and numbers: its passage and byline."""
    return f"{_header(passage)}\n{passage.text}"


class Assistant:
    """Answers questions from the index with a generator; one per process, safe to reuse."""

    def __init__(
        self,
        retriever: HybridRetriever,
        generator: Generator,
        settings: Settings,
        ranker: SentenceRanker,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.retriever = retriever
        self.generator = generator
        self.settings = settings
        self.ranker = ranker
        self.today = today  # what "last week" and "this month" in a question are read against

    def prepare(self, question: str) -> tuple[str, list[str]]:
        if not isinstance(question, str):
            raise QuestionError("The question must be text.")
        question = " ".join(question.split())
        if not question:
            raise QuestionError("Please type a question.")
        notes = []
        limit = self.settings.max_question_chars
        if len(question) > limit:
            question = question[:limit].rsplit(" ", 1)[0] or question[:limit]
            notes.append(f"The question was cut to its first {limit:,} characters.")
        return question, notes

    def stream(
        self,
        question: str,
        history: Sequence[tuple[str, str]] = (),
        k: int | None = None,
        dates: DateWindow | None = None,
    ) -> Iterator[Event]:
        """Answer `question` (a follow-up read with `history`); `dates` limits the search to
        articles published then."""
        started = time.perf_counter()
        question, notes = self.prepare(question)
        search_query = standalone_question(question, history, self.generator)
        asked = analyse(search_query)
        asked, event, event_notes = self._event_window(asked, dates)
        notes += event_notes
        # reports compared are searched for on their topic, not on the words comparing them
        reports = asked.reports if len(asked.sides) < 2 else None
        searched = replace(asked, text=reports.topic) if reports and reports.topic else asked
        passages, search_notes = search_in_time(
            self.retriever, searched, k, self.today(), dates, self.settings.min_relevance, event=event
        )
        notes += search_notes
        retrieved_at = time.perf_counter()
        yield Retrieved(search_query, passages, event_notes + search_notes)
        timings = {"retrieve_ms": round((retrieved_at - started) * 1000, 1)}

        best = max((p.similarity for p in passages), default=0.0)
        if reports is not None:
            relevant = passages if reports.topic and best >= self.settings.min_relevance else []
            answer = self.answer_reports(question, asked, relevant)
            yield Finished(_finished(answer, notes, search_query, timings, started))
            return
        scored: list[EvidenceSentence] = []
        evidence: list[EvidenceSentence] = []
        articles: dict[str, str] = {}  # each retrieved article's whole text, read once (`_articles`)
        # named sides set side by side are answered side by side, each from its own sentence,
        # found among more of the passages' sentences than one answer needs
        sided = len(asked.sides) >= 2
        if passages and best >= self.settings.min_relevance:
            limit = self.settings.evidence_sentences * (len(asked.sides) + 1 if sided else 1)
            scored = self.ranker.scored(search_query, passages)
            if not asked.authorship:  # a byline answers who wrote, and nothing else
                scored = [sentence for sentence in scored if not sentence.byline]
            if sided:
                evidence = best_sentences(scored, limit)
            else:  # the sentences whose passage meets the question's names and numbers first
                articles = self._articles(passages)
                meets = [
                    not missing_constraints(asked, "", _context(passage), articles[passage.source])
                    for passage in passages
                ]  # every sentence is a span of its passage, so it meets them when its passage does
                evidence = best_sentences(scored, limit, first=[meets[s.passage] for s in scored])
            if asked.newest_first:
                evidence = newest_first(evidence, passages)
        queued = bool(evidence) and bool(ahead := self.generator.busy())
        if queued:
            yield Queued(ahead)
        if sided:
            answer = self.answer_sides(question, asked, evidence, passages)
            yield Finished(_finished(answer, notes, search_query, timings, started))
            return
        wider = self.settings.evidence_sentences * REPORTS_POOL
        if asked.joins and evidence and (answer := self.answer_join(question, asked, best_sentences(scored, wider), passages)):
            yield Finished(_finished(answer, notes, search_query, timings, started))
            return
        selection = Selection([])
        first_token_at = None
        judged: dict[str, float] = {}  # the judge's score of each sentence read, by its text
        verdict = None
        if evidence and self._quick_path_open():
            verdict, told = yield from self.quick_verdict(asked, evidence, passages, judged, queued, articles)
            queued = queued or told
        if verdict is None and evidence and self.settings.selection == "generator":
            titles = [passages[s.passage].title for s in evidence]
            for item in self.generator.select(search_query, evidence, titles):
                if isinstance(item, Selection):
                    selection = item
                    continue
                if isinstance(item, Waiting):  # counted as it joins the model's queue: no race
                    if not queued:
                        queued = True
                        yield Queued(item.ahead)
                    continue
                first_token_at = first_token_at or time.perf_counter()
                yield Token(item)
            selected_at = time.perf_counter()
            timings["select_ms"] = round((selected_at - retrieved_at) * 1000, 1)

        verify_started = time.perf_counter()
        verdict = verdict or self.verify(asked, evidence, passages, selection, judged, articles)
        verified_at = time.perf_counter()
        judged_sentence = evidence[verdict.accepted[0] - 1].text if verdict.accepted else ""
        evidence = with_followers(evidence, verdict.accepted, scored, passages)
        if verdict.accepted and asked.polar:
            # a yes/no question is answered "Yes" or "No" before the sentence, not in other words
            sentence = judged_sentence
            parsed, model = polarity(asked, sentence), self.generator.affirms(search_query, sentence)
            verdict.yes = yes_or_no(parsed, model)
            verdict.readings = {"parse": parsed, "model": None if model is None else round(model, 4)}
        elif verdict.accepted and (self.settings.selection == "judge" or verdict.quick):
            # the answer is worded only once its sentences are known to answer
            written = ""
            sentences, after = writing_inputs(judged_sentence, [evidence[n - 1].text for n in verdict.accepted])
            for piece in self.generator.write(search_query, sentences, after):
                first_token_at = first_token_at or time.perf_counter()
                written += piece
                yield Token(piece)
            selection = replace(selection, answer=written.strip(), raw=written)
        answer = self.compose(question, asked, evidence, passages, selection, verdict)
        answer.notes = selection.notes + answer.notes
        timings["verify_ms"] = round((verified_at - verify_started) * 1000, 1)
        yield Finished(_finished(answer, notes, search_query, timings, started, first_token_at))

    def _event_window(self, asked: Question, dates: DateWindow | None) -> tuple[Question, DateWindow | None, list[str]]:
        """The period a time given by an event stands for ("before the Riyadh talks": published
        before the articles date the talks), with a note saying how it was read. An event no
        dated article reports stays words of the question, which the evidence must then hold."""
        if asked.event is None:
            return asked, None, []
        if dates is not None:  # the reader's dates bound the search; the event's words stay words
            return analyse(asked.text, events=False), None, []
        event = asked.event
        dated = date_event(self.retriever, event, self.settings.min_relevance)
        if dated is None:
            note = f"No dated article reports {event.phrase}, so the question was read without dating it."
            return analyse(asked.text, events=False), None, [note]
        # the event happened on or before the day its report was published: that day's articles
        # may follow it, but cannot be known to precede it
        relation = "since" if event.relation == "after" else event.relation
        window = bounded(f"{event.relation} {event.phrase}", relation, dated.day, dated.day)
        note = (f"“{event.relation.capitalize()} {event.phrase}” was read as published {window.describe()}: "
                f"the article that best reports {event.phrase}, {dated.source}, is dated {spoken(dated.day.isoformat())}.")
        return asked, window, [note]

    def ask(
        self,
        question: str,
        history: Sequence[tuple[str, str]] = (),
        k: int | None = None,
        dates: DateWindow | None = None,
    ) -> Answer:
        for event in self.stream(question, history, k=k, dates=dates):
            if isinstance(event, Finished):
                return event.answer
        raise RuntimeError("the answer stream ended without an answer")  # pragma: no cover

    def _quick_path_open(self) -> bool:
        return self.settings.selection == "generator" and self.generator.judges and self.settings.quick_threshold < 1

    def quick_verdict(
        self,
        asked: Question,
        evidence: Sequence[EvidenceSentence],
        passages: Sequence[ScoredPassage],
        judged: dict[str, float],
        queued: bool = False,
        articles: dict[str, str] | None = None,
    ) -> collections.abc.Generator[Queued, None, tuple[Verdict | None, bool]]:
        """The first of the system's best candidates (`RAG_QUICK_BUDGET` of them) the judge is
        sure enough of (`RAG_QUICK_THRESHOLD`), accepted before the model is asked to choose: the
        verdict (None when the model should choose) and whether the reader was told of a queue.
        Yields `Queued` when the model is busy and the reader (`queued`) has not been told yet.

        Reading five sentences to choose among them is most of an answer's time; a sentence the
        judge already finds this likely to answer is, measured on SQuAD 2.0, right as often as
        the model's own choice, so the choosing is left out for it."""
        budget = self.settings.quick_budget
        verdict = self.candidates(asked, evidence, passages, Selection([]), budget=budget, articles=articles)
        if not verdict.candidates:
            return None, False
        sentence = evidence[verdict.candidates[0] - 1].text
        told = False
        for item in self.generator.judging(asked.text, sentence):
            if isinstance(item, Waiting):
                if not queued and not told:
                    told = True
                    yield Queued(item.ahead)
            elif item is not None:
                judged[sentence] = item
        self.judge_candidates(asked, evidence, verdict, judged, budget=budget, threshold=self.settings.quick_threshold)
        verdict.quick = bool(verdict.accepted)
        return (verdict if verdict.accepted else None), told

    def verify(
        self,
        asked: Question,
        evidence: Sequence[EvidenceSentence],
        passages: Sequence[ScoredPassage],
        selection: Selection,
        judged: dict[str, float] | None = None,
        articles: dict[str, str] | None = None,
    ) -> Verdict:
        """Keep the chosen sentences that answer; when none does, try the best-ranked others.
        `judged` keeps the judge's scores by sentence, so one asked twice is read once;
        `articles`, the articles' texts when already read (`_articles`)."""
        verdict = self.candidates(asked, evidence, passages, selection, articles=articles)
        if verdict.candidates:
            self.judge_candidates(asked, evidence, verdict, {} if judged is None else judged)
        return verdict

    def candidates(
        self,
        asked: Question,
        evidence: Sequence[EvidenceSentence],
        passages: Sequence[ScoredPassage],
        selection: Selection,
        budget: int | None = None,
        articles: dict[str, str] | None = None,
    ) -> Verdict:
        """The sentences to judge, in order (at most `budget`, by default the settings' judge
        budget): the generator's choices that meet the question's constraints, then the
        system's own best candidates that do."""
        verdict = Verdict([], reason="nothing relevant retrieved" if not evidence else "")
        min_coverage, _, _ = self._rule()
        budget = self.settings.judge_budget if budget is None else budget
        if asked.joins:  # facts several reports give, which no join found: one passage must state them all
            min_coverage = 1.0

        articles = articles or self._articles(passages)

        def passes(number: int) -> bool:
            sentence = evidence[number - 1]
            context = _context(passages[sentence.passage])
            check = check_evidence(asked, sentence.text, context, min_coverage, articles[sentence.source])
            verdict.checked[number] = check
            verdict.near_miss = verdict.near_miss or check.near_miss
            return check.answers

        # The generator's choices come first, those holding its short answer before the others;
        # then other sentences holding that answer (its answer points at them even when its
        # sentence numbers do not: a missing or wrong marker is repaired).
        holding = [n for n in range(1, len(evidence) + 1) if locate(selection.answer, evidence[n - 1].text)]
        ordered = [n for n in selection.sentences if n in holding] + selection.sentences + holding
        verdict.chosen = [n for n in dict.fromkeys(ordered) if passes(n)]
        # Then the system's own candidates: the sentences that state most of the question's
        # words themselves, then the best-ranked.
        ranked = sorted(
            range(1, len(evidence) + 1),
            key=lambda n: (
                (passages[evidence[n - 1].passage].published or "") if asked.newest_first else "",
                round(coverage(asked, evidence[n - 1].text), 2),
                evidence[n - 1].score,
            ),
            reverse=True,
        )
        others = [n for n in ranked if n not in verdict.chosen and n not in selection.sentences]
        others = others[: self.settings.fallback_sentences]
        verdict.candidates = (verdict.chosen + [n for n in others if passes(n)])[:budget]
        if not verdict.candidates:
            verdict.reason = verdict.reason or "no sentence meets the question's names, numbers and kind"
            return verdict
        verdict.signals = {
            n: signals_of(asked, evidence[n - 1], passages, selection, verdict.checked[n].coverage, n)
            for n in verdict.candidates
        }
        return verdict

    def judge_candidates(
        self,
        asked: Question,
        evidence: Sequence[EvidenceSentence],
        verdict: Verdict,
        judged: dict[str, float],
        budget: int | None = None,
        threshold: float | None = None,
    ) -> None:
        """Accept the first candidate likely enough to answer (`threshold`, by default the
        rule's) and the generator's other choices that are too, judging at most `budget`."""
        _, _, threshold_of_rule = self._rule()
        threshold = threshold_of_rule if threshold is None else threshold
        budget = self.settings.judge_budget if budget is None else budget
        # The judge reads the candidates in order until one answers (with no judge, the first
        # stands); the generator's other choices are judged too, within the budget, and join it
        # when they pass.
        scores: dict[int, float] = {}
        for number in verdict.candidates:
            scores[number] = self._probability(asked, number, evidence, verdict, judged)
            verdict.accepted = first_answering(verdict.candidates, verdict.chosen, scores, threshold)
            if verdict.accepted:
                break
        if not verdict.accepted:
            verdict.reason = (
                "the model judged that no sentence answers exactly this question"
                if self.generator.judges
                else "no sentence is likely enough to answer exactly this question"
            )
            return
        for number in verdict.chosen:
            if number not in scores and len(scores) < budget:
                scores[number] = self._probability(asked, number, evidence, verdict, judged)
        verdict.accepted = first_answering(verdict.candidates, verdict.chosen, scores, threshold)
        verdict.judge = verdict.judged.get(verdict.accepted[0])

    def _articles(self, passages: Sequence[ScoredPassage]) -> dict[str, str]:
        """The whole text of each retrieved article, with its title, author and date, where a
        name the question takes from elsewhere in the article is met (`missing_constraints`)."""
        texts = {}
        for passage in passages:
            if passage.source not in texts:
                stored = self.retriever.index.keywords.passages_of(passage.source)
                body = "\n".join(passage_text(document) for document in stored)
                texts[passage.source] = f"{_header(passage)}\n{body}"
        return texts

    def _rule(self) -> tuple[float, AnswerModel, float]:
        """The minimum coverage, the answer model and its threshold: those fitted with a model
        that judges, or those of the path without one."""
        if self.generator.judges:
            return self.settings.min_coverage, WITH_JUDGE, self.settings.answer_threshold
        return self.settings.min_coverage_unjudged, WITHOUT_JUDGE, self.settings.answer_threshold_unjudged

    def _probability(
        self, asked: Question, number: int, evidence: Sequence[EvidenceSentence], verdict: Verdict,
        judged: dict[str, float],
    ) -> float:
        """P(the sentence answers the question): the judge's score with the system's own signals."""
        text = evidence[number - 1].text
        judge = judged[text] if text in judged else self.generator.judge(asked.text, text)
        if judge is not None:
            judged[text] = judge
            verdict.judged[number] = judge
            verdict.signals[number] = replace(verdict.signals[number], judge=judge)
        _, model, _ = self._rule()
        verdict.probabilities[number] = model.probability(verdict.signals[number])
        return verdict.probabilities[number]

    def answer_sides(
        self,
        question: str,
        asked: Question,
        evidence: Sequence[EvidenceSentence],
        passages: Sequence[ScoredPassage],
    ) -> Answer:
        """Each named side from a sentence of its own, found for the question about that side
        alone (`rag.answer.sides`) and accepted as any answer is: by the judge with its threshold and
        budget, or without a model by the answer model of the path without one."""
        written = self.generator.split_sides(asked.text, asked.sides) if evidence else None
        questions = side_questions(asked, written)
        by_side = dict(zip(asked.sides, questions, strict=True))
        contexts = [_context(passages[sentence.passage]) for sentence in evidence]
        min_coverage, model, threshold = self._rule()
        scores = self.ranker.scores_by_question([question.text for question in questions], evidence)
        candidates = side_candidates(
            asked, questions, evidence, contexts, min_coverage, topical=not self.generator.judges, scores=scores
        )
        probabilities: dict[str, dict[int, float]] = {side: {} for side in asked.sides}

        def accepts(side: str, number: int) -> bool:
            scored = probabilities[side]
            if len(scored) >= self.settings.judge_budget:
                return False
            sentence, alone = evidence[number - 1], by_side[side]
            signals = signals_of(
                alone, sentence, passages, Selection([]), coverage(alone, contexts[number - 1], sentence.text), number
            )
            signals = replace(signals, judge=self.generator.judge(alone.text, sentence.text))
            scored[number] = model.probability(signals)
            return scored[number] >= threshold

        chosen = assign_sides(candidates, [sentence.source for sentence in evidence], accepts)
        checks: dict[str, Any] = {
            "kind": asked.kind,
            "sides": [
                {
                    "side": side,
                    "question": by_side[side].text,
                    "accepted": number,
                    "candidates": [
                        {"number": n, "text": evidence[n - 1].text, "p_answers": round(p, 6)}
                        for n, p in probabilities[side].items()
                    ],
                }
                for side, number in chosen.items()
            ],
            "passages": [passage.id for passage in passages],
        }
        given = [(side, number) for side, number in chosen.items() if number is not None]
        if not given:
            checks["reason"] = "no sentence gives any of the sides the question compares"
            return Answer(question, ABSTENTION, True, [], {}, checks=checks, passages=list(passages))
        cited = list(dict.fromkeys(number for _, number in given))  # a sentence two sides share is cited once
        citations, notes = self._cite([evidence[number - 1] for number in cited], passages)
        markers = {side: cited.index(number) + 1 for side, number in given}
        text = side_by_side([(side, None if number is None else evidence[number - 1].text, markers.get(side))
                             for side, number in chosen.items()])
        checks["wording"] = "side by side"
        return Answer(question, text, False, citations, {}, notes=notes, checks=checks, passages=list(passages))

    def answer_reports(self, question: str, asked: Question, passages: Sequence[ScoredPassage]) -> Answer:
        """Each article's best sentence on the topic, earliest first, and what the parse reads
        between the earliest and the latest (`rag.answer.reports`). No model takes part: agreement is
        read only where the parse sees it, the same with every generator."""
        reports = asked.reports
        assert reports is not None
        checks: dict[str, Any] = {"topic": reports.topic, "passages": [passage.id for passage in passages]}
        if not reports.topic:
            checks["reason"] = "the question does not say what the reports are compared on"
            text = (ABSTENTION + " Say which story or fact to compare the reports on, for example "
                    "\"Do the reports agree on the number of people evacuated?\"")
            return Answer(question, text, True, [], {}, checks=checks, passages=list(passages))
        evidence = self.ranker.rank(reports.topic, passages, self.settings.evidence_sentences * REPORTS_POOL)
        published = [passages[sentence.passage].published for sentence in evidence]
        contexts = [_context(passages[sentence.passage]) for sentence in evidence]
        chosen = report_sentences(asked, evidence, contexts, published)
        checks["reports"] = [{"number": n, "source": evidence[n - 1].source, "published": published[n - 1]}
                             for n in chosen]
        if not chosen:
            checks["reason"] = "no article has a sentence on the topic"
            return Answer(question, ABSTENTION, True, [], {}, checks=checks, passages=list(passages))
        reading = Reading(None)
        if len(chosen) >= 2:
            reading = compare(evidence[chosen[0] - 1].text, evidence[chosen[-1] - 1].text, compared_on(asked))
            checks["reading"] = asdict(reading)
        checks["wording"] = "reports side by side"
        citations, notes = self._cite([evidence[n - 1] for n in chosen], passages)
        text = reports_text(reports, [(evidence[n - 1].text, published[n - 1]) for n in chosen], reading)
        return Answer(question, text, False, citations, {}, notes=notes, checks=checks, passages=list(passages))

    def answer_join(
        self, question: str, asked: Question, evidence: Sequence[EvidenceSentence], passages: Sequence[ScoredPassage]
    ) -> Answer | None:
        """The name several articles give, with a sentence from each (`evidence`: the ranked
        sentences, more than one answer needs), when together they state every fact the question
        joins (`rag.answer.joins`); None leaves the question to the ordinary way."""
        join = joined_answer(asked, evidence, [_context(passages[sentence.passage]) for sentence in evidence])
        if join is None:
            return None
        cited = [evidence[n - 1] for n in join.sentences]
        citations, notes = self._cite(cited, passages)
        markers = "".join(f"[{marker}]" for marker in range(1, len(cited) + 1))
        quotes = "\n\n".join(f"{in_quotes(sentence.text)} [{marker}]" for marker, sentence in enumerate(cited, start=1))
        checks = {"kind": asked.kind, "wording": "joined across articles", "joined": join.name,
                  "passages": [passage.id for passage in passages]}
        return Answer(question, f"{join.name} {markers}.\n\n{quotes}", False, citations, {}, notes=notes,
                      checks=checks, passages=list(passages))

    def _cite(
        self, cited: Sequence[EvidenceSentence], passages: Sequence[ScoredPassage]
    ) -> tuple[list[Citation], list[str]]:
        """Citations [1]..[n] of the sentences, each naming the other files holding its story,
        and the note on their dates ("As of …", which report is newer)."""
        citations = [
            Citation.from_evidence(marker, sentence, passages[sentence.passage])
            for marker, sentence in enumerate(cited, start=1)
        ]
        copies = self.retriever.index.copies()
        for citation in citations:
            citation.also_as = copies.get(citation.source, [])
        dated = dating_note([(citation.source, citation.published) for citation in citations])
        return citations, [dated] if dated else []

    def compose(
        self,
        question: str,
        asked: Question,
        evidence: Sequence[EvidenceSentence],
        passages: Sequence[ScoredPassage],
        selection: Selection,
        verdict: Verdict,
    ) -> Answer:
        checks: dict[str, Any] = {
            "selected": selection.sentences,
            "accepted": verdict.accepted,
            "judge": None if verdict.judge is None else round(verdict.judge, 4),
            "kind": asked.kind,
            "candidate_answer": selection.answer,
            # every sentence that met the constraints, with the judge's score where it was asked
            "candidates": [
                {
                    "number": n,
                    "source": evidence[n - 1].source,
                    "text": evidence[n - 1].text,
                    "start": evidence[n - 1].start,
                    "end": evidence[n - 1].end,
                    **_rounded(asdict(verdict.signals[n])),
                    "p_answers": None if n not in verdict.probabilities else round(verdict.probabilities[n], 6),
                }
                for n in verdict.candidates
            ],
            "chosen": verdict.chosen,
            "quick": verdict.quick,
            "passages": [passage.id for passage in passages],  # what retrieval handed over, in order
        }
        if not verdict.accepted:
            checks["reason"] = verdict.reason
            text = ABSTENTION + (f" {verdict.near_miss}" if verdict.near_miss else "")
            return Answer(question, text, True, [], {}, checks=checks, generated=selection.raw, passages=list(passages))

        cited = [evidence[n - 1] for n in verdict.accepted]
        if asked.polar:
            checks["yes_no"] = {**verdict.readings, "reply": None if verdict.yes is None else ("yes" if verdict.yes else "no")}
            quotes, used, checks["wording"] = reply_text(asked, "", [s.text for s in cited])
            opening = "" if verdict.yes is None else f"{'Yes' if verdict.yes else 'No'} [1].\n\n"
            text = opening + quotes
        else:
            text, used, checks["wording"] = reply_text(asked, selection.answer, [s.text for s in cited])
        citations, notes = self._cite(cited[:used], passages)
        return Answer(question, text, False, citations, {}, notes=notes, checks=checks,
                      generated=selection.raw, passages=list(passages))
