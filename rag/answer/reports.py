"""Questions about how reports stand to each other ("Did the later report agree with the
earlier one about the death toll?", "Do the articles agree on the cost?") are answered report
by report, earliest first, with a Yes or No only where the parse can see one.

1. `report_sentences`: each article's sentence that holds the word the comparison is on ("the
   cause" of "agree on the cause of the fire"), then most of the topic's words, the rarer
   among the candidates weighing more ("cause" over "fire" when every sentence is about the
   fire), the ranking breaking ties. It must hold the topic's names and numbers (in its passage
   or title) and at least one of its other words itself; at most `REPORTS_SHOWN` articles, set in date order.
2. `compare`: what the parse can see between the earliest and the latest of them, about the
   topic (a figure or an event sharing the word the comparison is on, else a topic word):
   - a figure both give for the same thing (the same counted noun, verb and subject), stated
     exactly, with different values: they differ; with the same value: they agree on it;
   - the same event stated as fact by one and denied by the other ("police identified the
     suspect" / "police did not identify the suspect"): they differ.
   Figures given as bounds, estimates or changes ("at least 12", "rose by 2") are not set
   against each other, nor figures of different months or years ("4.1% in March", "4.3% in
   April"), nor events whose subjects the words do not tie ("he did not", "she did"). With
   no entailment model here, agreement in other words is not read: the reply then says so and
   sets the reports side by side.
3. `reports_text`: the reading first, then each report's sentence under its date.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answer.evidence import EvidenceSentence
from rag.answer.question import MONTHS, Question, ReportsAsked
from rag.answer.verification import LIGHT_VERBS, asserted, check_evidence, negated
from rag.ingest.dates import spoken
from rag.language.nlp import clause_subjects, fold, parse
from rag.language.words import stem, text_stems

REPORTS_SHOWN = 3  # articles set side by side: enough to see a story change, few enough to read

# Verbs that only state a level ("the toll rose to 15", "stood at 12"): a figure is the same
# thing whichever of them carries it.
_LEVEL_VERBS = frozenset("be stand rise climb reach increase grow fall drop total hit put remain jump".split())
# Words that make a figure a bound or an estimate.
_APPROXIMATE = frozenset(
    "about around nearly almost approximately roughly some over more less fewer least most up under "
    "than estimated estimate beyond above below exceeding close".split()
)
_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen".split()
    )
} | {word: 10 * tens for tens, word in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)}
_SCALES = {"hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_NOT_FIGURES = frozenset({"DATE", "TIME", "ORDINAL"})


@dataclass(frozen=True)
class Figure:
    what: tuple[str, str, str]  # what is counted: (subject, verb, noun), lemmas; "" where none
    value: float
    exact: bool  # stated as such, not as a bound, an estimate or a change ("rose by 2")
    text: str  # the sentence's words for it: "15 people", "the death toll rose to 15"
    about: frozenset[str] = frozenset()  # stems of its words and of what it counts


@dataclass(frozen=True)
class Reading:
    agree: bool | None  # the reports agree (True), differ (False), or the parse cannot tell (None)
    earlier: str = ""  # on what, in each sentence's own words: the figure, or the event stated
    later: str = ""  # by one and denied by the other


def _value(words: Sequence[str]) -> float | None:
    """1,200 -> 1200; "1.5 million" -> 1500000; "twelve" -> 12; None for what is not a number."""
    total = current = 0.0
    for word in words:
        word = word.lower().replace(",", "")
        if word in _SCALES:
            current = (current or 1) * _SCALES[word]
            if _SCALES[word] >= 1000:
                total, current = total + current, 0.0
        elif word in _NUMBER_WORDS:
            current += _NUMBER_WORDS[word]
        else:
            try:
                current += float(word)
            except ValueError:
                return None
    return total + current


def _phrase(token) -> str:
    """A noun with its compounds and adjectives, as lemmas ("death toll"); "" for a pronoun."""
    if token is None or token.pos_ == "PRON":
        return ""
    words = [child for child in token.children if child.dep_ in {"compound", "amod"}] + [token]
    return " ".join(word.lemma_.lower() for word in sorted(words, key=lambda word: word.i))


def _subject(verb):
    """The verb's first subject, or that of the verb it is joined to ("killed 12 and injured 40")."""
    return next(iter(clause_subjects(verb)), None) if verb is not None else None


def _clause_start(verb, subject) -> int:
    """Where "the death toll rose" starts: at the subject when only auxiliaries stand between
    it and the verb, else at the verb."""
    if subject is None or subject.i > verb.i:
        return verb.i
    between = verb.doc[subject.right_edge.i + 1 : verb.i]
    return subject.left_edge.i if all(t.dep_ in {"aux", "auxpass", "neg"} for t in between) else verb.i


def figures(sentence: str) -> list[Figure]:
    """The figures a sentence states, each with what it counts."""
    doc = parse(sentence)
    found = []
    for token in doc:
        if not token.like_num or token.ent_type_ in _NOT_FIGURES:
            continue
        if token.head.like_num and token.head is not token and token.dep_ in {"compound", "quantmod", "nummod"}:
            continue  # part of a longer number ("1.5" of "1.5 million")
        digits = [t for t in token.subtree if t.like_num and t.i <= token.i]
        value = _value([t.text for t in digits if t.text != "-"])
        if value is None:
            continue
        start = min(t.i for t in token.subtree)
        words = {t.lower_ for t in token.subtree} | {t.lower_ for t in doc[max(0, start - 2) : start]}
        noun = token.head if token.dep_ == "nummod" and token.head.pos_ in {"NOUN", "PROPN", "SYM"} else None
        anchor = noun if noun is not None else token
        verb = next((a for a in anchor.ancestors if a.pos_ in {"VERB", "AUX"}), None)
        subject = None if noun is not None and noun.dep_.startswith("nsubj") else _subject(verb)
        verb_lemma = "" if verb is None or verb.lemma_.lower() in _LEVEL_VERBS else verb.lemma_.lower()
        unit = next((t.text for t in token.subtree if t.pos_ == "SYM"), "")
        what = (_phrase(subject), verb_lemma, _phrase(noun) if noun is not None else unit)
        if noun is not None:
            first, last = min(start, noun.left_edge.i), max(token.i, noun.i)
        elif verb is not None and verb.i < start:
            first, last = _clause_start(verb, subject), token.i
        else:
            first, last = start, token.i
        text = doc[first : last + 1].text if last - first <= 12 else doc[start : token.i + 1].text
        change = token.dep_ == "pobj" and token.head.lower_ == "by"  # "rose by 2": a change, not a level
        about = text_stems(text) | {stem(word) for part in what for word in part.split()}
        found.append(Figure(what, value, exact=not (words & _APPROXIMATE) and not change, text=text, about=about))
    return found


def _event_text(verb) -> str:
    """The sentence's words for an event: its subject (when next to it), the verb and a short object."""
    first = _clause_start(verb, _subject(verb))
    objects = [child for child in verb.children if child.dep_ == "dobj" and child.right_edge.i - verb.i <= 5]
    last = objects[0].right_edge.i if objects else verb.i
    return verb.doc[first : last + 1].text


def _denied(earlier: str, later: str, about: frozenset[str]) -> tuple[str, str] | None:
    """The event on the topic (`about`: stems) that one sentence states as fact and the other
    denies, by the same named subject: each sentence's words for it."""
    def events(sentence: str) -> dict[tuple[str, str], list]:
        held: dict[tuple[str, str], list] = {}
        for token in parse(sentence):
            lemma = token.lemma_.lower()
            subject = _phrase(_subject(token))
            if token.pos_ != "VERB" or lemma in LIGHT_VERBS or not subject or not asserted(token):
                continue  # "he did not comment" / "she commented": not the same one, as far as words go
            if about & ({stem(word) for word in subject.split()} | {stem(lemma)} | text_stems(_event_text(token))):
                held.setdefault((subject, lemma), []).append(token)
        return held

    before, after = events(earlier), events(later)
    for key, verbs in before.items():
        if len(verbs) == 1 and len(after.get(key, [])) == 1 and negated(verbs[0]) != negated(after[key][0]):
            return _event_text(verbs[0]), _event_text(after[key][0])
    return None


def _periods(sentence: str) -> set[str]:
    """The months and years a sentence's figures may be of ("in March", "in 2024"): reports of
    different periods do not disagree by giving different figures."""
    found = set()
    for entity in parse(sentence).ents:
        words = [fold(token.text) for token in entity]
        if entity.label_ == "DATE" and any(word in MONTHS or (len(word) == 4 and word.isdigit()) for word in words):
            found.add(" ".join(words))
    return found


def compare(earlier: str, later: str, about: frozenset[str]) -> Reading:
    """What the parse sees between two reports' sentences on the topic (`about`: the stems a
    figure or an event must share to count; see the module's docstring)."""
    def single(found: list[Figure]) -> dict[tuple[str, str, str], Figure]:
        on_topic = [figure for figure in found if figure.about & about]
        counts: dict[tuple[str, str, str], int] = {}
        for figure in on_topic:
            counts[figure.what] = counts.get(figure.what, 0) + 1
        return {figure.what: figure for figure in on_topic if counts[figure.what] == 1}

    periods = (_periods(earlier), _periods(later))
    if all(periods) and not periods[0] & periods[1]:
        return Reading(None)  # "4.1% in March" and "4.3% in April" are not one figure reported twice
    before, after = single(figures(earlier)), single(figures(later))
    shared = [(before[what], after[what]) for what in before if what in after]
    differing = [(a.text, b.text) for a, b in shared if a.exact and b.exact and a.value != b.value]
    if differing:
        return Reading(False, *differing[0])
    if event := _denied(earlier, later, about):
        return Reading(False, *event)
    same = [(a.text, b.text) for a, b in shared if a.value == b.value]
    if same:
        return Reading(True, *same[0])
    return Reading(None)


def _topic_words(topic: Question) -> frozenset[str]:
    """The topic's word stems but its names' (those are checked in the passage and its title)."""
    return topic.terms - {stem(word) for name in topic.names for word in name.split()}


def compared_on(topic: Question) -> frozenset[str]:
    """The stems a figure or event must share to be compared: the word the comparison is on
    ("agree on the cause"), else any word of the topic."""
    focus = topic.reports.focus if topic.reports is not None else ""
    return frozenset({focus}) if focus else _topic_words(topic)


def report_sentences(
    topic: Question,
    evidence: Sequence[EvidenceSentence],
    contexts: Sequence[str],
    published: Sequence[str | None],
) -> list[int]:
    """The numbers (from 1) of each article's sentence on the topic (`evidence` is ranked, best
    first), at most `REPORTS_SHOWN` articles, earliest first (undated ones last, best first)."""
    words = _topic_words(topic)
    held = [words & text_stems(sentence.text) for sentence in evidence]
    weight = {term: math.log((1 + len(evidence)) / (1 + sum(term in words for words in held))) + 1 for term in words}
    best: dict[str, tuple[bool, float, int]] = {}  # article -> (holds the focus, weight of the words held, -rank)
    for number, sentence in enumerate(evidence, start=1):
        if sentence.byline or (words and not held[number - 1]):
            continue
        if len(best) == REPORTS_SHOWN and sentence.source not in best:
            continue
        if not check_evidence(topic, sentence.text, contexts[number - 1], 0.0).answers:
            continue
        on_focus = topic.reports is not None and topic.reports.focus in held[number - 1]
        score = (on_focus, sum(weight[term] for term in held[number - 1]), -number)
        if score > best.get(sentence.source, (False, -1.0, 0)):
            best[sentence.source] = score
    chosen = [-score[-1] for score in best.values()]
    return sorted(chosen, key=lambda n: (published[n - 1] is None, published[n - 1] or "", chosen.index(n)))


def _label(published: str | None) -> str:
    return f"Published {spoken(published)}" if published else "Undated"


def reports_text(asked: ReportsAsked, reports: Sequence[tuple[str, str | None]], reading: Reading) -> str:
    """The reply: the reading of the first and last reports (`reports`: (sentence, date) pairs,
    earliest first, cited [1]..[n] in that order), then each report's sentence under its date."""
    quoted = "\n\n".join(
        f"{_label(published)}: “{' '.join(sentence.split())}” [{number}]"
        for number, (sentence, published) in enumerate(reports, start=1)
    )
    if len(reports) == 1:
        return "Only one article reports on this, so there is no other report to set it against.\n\n" + quoted
    order = ("" if all(published for _, published in reports)
             else " Not every article is dated, so which report came later cannot be told.")
    markers = f"[1][{len(reports)}]"
    if reading.agree is None:
        opening = ("The articles don't say in words that can be set side by side whether the reports "
                   "agree; here is what each says." + order)
    else:
        in_order = reports[0][1] and reports[-1][1] and reports[0][1] != reports[-1][1]
        first, last = ("the earlier report", "the later one") if in_order else ("one report", "another")
        said = (f"{'Both give the same figure' if reading.agree else 'They differ'}: “{reading.earlier}” in "
                f"{first}, “{reading.later}” in {last} {markers}.{order}")
        yes = reading.agree != asked.difference
        opening = f"{'Yes' if yes else 'No'}. {said}" if asked.yes_no else said
    return opening + "\n\n" + quoted
