"""What a question asks for, and what any answer to it must respect.

From spaCy's parse of the question:
- the asked kind: a person (who), a time (when, what year), a quantity (how many/much/long),
  a place (where, which country) or an organisation (which company); None when the question
  asks for a thing, a reason or a manner, which no entity type captures;
- constraints: the names, years and numbers the question states. Evidence about another
  person, year or edition does not answer it;
- terms: the question's content words, which the evidence should mostly share.

The rules are the grammar of English questions (wh-words and the noun they ask about), not
patterns of any particular question set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.language.kinds import ORGANISATION, PERSON, PLACE, QUANTITY, TIME
from rag.language.lexicon import is_event_noun, is_measure, names_a_writer, verb_kind
from rag.language.nlp import clause_subjects, fold, parse
from rag.language.words import content_stems, number_spans, stem
from rag.retrieve.timeframe import bounds_dates, relation_word

# spaCy entity labels that can answer each kind of question.
KIND_LABELS: dict[str, frozenset[str]] = {
    PERSON: frozenset({"PERSON", "ORG", "NORP", "GPE"}),
    TIME: frozenset({"DATE", "TIME"}),
    QUANTITY: frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"}),
    PLACE: frozenset({"GPE", "LOC", "FAC", "ORG"}),
    ORGANISATION: frozenset({"ORG", "NORP", "GPE", "PERSON", "PRODUCT", "WORK_OF_ART"}),
}

# The noun after "what"/"which" that says what kind of answer is wanted.
_KIND_NOUNS: dict[str, frozenset[str]] = {
    TIME: frozenset(
        "year years date day days month months century centuries decade decades time era period "
        "season week weeks age hour hours minute minutes".split()
    ),
    QUANTITY: frozenset(
        "percentage percent proportion share number amount rate population temperature cost price "
        "size height length distance speed weight volume count total sum fraction ratio".split()
    ),
    PLACE: frozenset(
        "country countries city cities state states nation nations town towns place places region "
        "regions continent continents location locations county province provinces island islands "
        "river rivers capital village neighborhood neighbourhood district area street".split()
    ),
    ORGANISATION: frozenset(
        "company companies organization organisation organizations organisations agency agencies "
        "team teams party parties firm firms university universities institution institutions "
        "school schools newspaper network bank banks airline club clubs government ministry "
        "department court group groups band label outlet broadcaster publisher".split()
    ),
    PERSON: frozenset(
        "person people man men woman women leader leaders president minister official officials "
        "scientist scientists researcher researchers author writer king queen emperor ruler "
        "player players actor actress singer artist architect founder chief director spokesman "
        "spokeswoman spokesperson ambassador general commander secretary chancellor governor "
        "mayor senator judge politician economist inventor philosopher composer poet".split()
    ),
}

_WH_DETERMINERS = {"what", "which", "whose"}
MONTHS = frozenset(
    "january february march april may june july august september october november december".split()
)
# Days and months the question names: evidence about another day does not answer it.
_WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
_CALENDAR_WORDS = MONTHS | _WEEKDAYS


def is_calendar_word(word: str) -> bool:
    """A month's or a weekday's name ("March", "Fridays"), which a question may hold as a date."""
    return fold(word).removesuffix("s") in _CALENDAR_WORDS


@dataclass(frozen=True)
class EventTime:
    """A time the question gives by an event ("before the Riyadh talks", "since the ceasefire"):
    the articles date it (`rag.retrieve.timeframe.date_event`), the calendar cannot."""

    relation: str  # "before", "after", "since" or "until"
    phrase: str  # the question's words for the event: "the Riyadh talks"
    event: str  # what is searched for to date it: "Riyadh talks"
    names: tuple[str, ...]  # the names in it, which a report of the event must hold: ("Riyadh",)
    head: str  # the stem of its head word, which a report of it must hold too: "talk"


@dataclass(frozen=True)
class ReportsAsked:
    """A question about how reports stand to each other, not about what happened: "Did the
    later report agree with the earlier one about the death toll?", "Do the articles agree on
    the cost?", "How do the reports differ on the cause?"."""

    topic: str  # what they are compared on, in the question's words ("death toll")
    focus: str  # the stem of the word the comparison is on ("agree on the cause of the fire": caus), or ""
    difference: bool  # asks whether they differ ("disagree", "differ", "change") rather than agree
    yes_no: bool  # to be answered yes or no


@dataclass(frozen=True)
class Question:
    text: str
    kind: str | None  # PERSON, TIME, QUANTITY, PLACE, ORGANISATION or None
    names: tuple[str, ...]  # named entities the question states (not its years or numbers)
    numbers: tuple[str, ...]  # years, decades ("1990s") and numbers the question states
    terms: frozenset[str]  # stems of its content words, minus the wh-phrase
    newest_first: bool = False  # asks for the newest reports ("latest", "most recent")
    compares: bool = False  # sets sides or sources side by side, so more than one article is needed
    people: tuple[str, ...] = ()  # the names among `names` that spaCy types as people
    polar: bool = False  # asks yes or no ("Did Russia leave the talks?")
    sides: tuple[str, ...] = ()  # the names a comparing question sets side by side ("Chinese", "American")
    reports: ReportsAsked | None = None  # asks how reports stand to each other ("Did the later report agree…?")
    event: EventTime | None = None  # a time given by an event ("before the Riyadh talks")
    joins: bool = False  # asks for what several reports give together ("Which company, reported by two outlets, …?")
    authorship: bool = False  # asks who wrote an article ("Who is the author of …?"), which its byline answers
    counted: str = ""  # the things a "how many" question counts ("people"), when not a unit or a span of time
    one_person: bool = False  # asks for one person by a singular noun ("Which minister…?"): a person's name answers

    @property
    def labels(self) -> frozenset[str]:
        if self.one_person:  # "Which minister…?": a person, not a country or a firm
            return frozenset({"PERSON"})
        return KIND_LABELS.get(self.kind or "", frozenset())


def _kind_from_noun(lemma: str) -> str | None:
    for kind, nouns in _KIND_NOUNS.items():
        if lemma in nouns:
            return kind
    return None


_SUBORDINATORS = frozenset({"when", "where", "while", "whenever", "wherever", "if", "once", "after", "before"})


def _main_clause(doc) -> int:
    """Where the question's own clause starts: after a leading subordinate clause ("When rich
    countries trade with poor ones, whose wages rise?", "When the talks ended, did Russia
    leave?"), so that its "when" is not taken for what the question asks. "When did…" opens a
    question, not a clause: a verb follows the wh-word at once."""
    if len(doc) > 1 and doc[0].lower_ in _SUBORDINATORS and doc[1].pos_ not in {"AUX", "VERB", "PUNCT"}:
        for token in doc:
            if token.text == ",":
                return token.i + 1
    return 0


def _asked_kind(doc) -> tuple[str | None, set[int]]:
    """The kind of answer wanted, and the token positions of the wh-phrase."""
    for token in doc[_main_clause(doc) :]:
        word = token.lower_
        if word == "how" and token.i + 1 < len(doc):
            following = doc[token.i + 1].lower_
            if following in {"many", "much"}:
                phrase = {token.i, token.i + 1}
                if token.i + 2 < len(doc) and doc[token.i + 2].pos_ in {"NOUN", "PROPN"}:
                    phrase.add(token.i + 2)
                return QUANTITY, phrase
            if following in {"long", "old", "far", "large", "big", "tall", "high", "often", "fast", "deep"}:
                return (TIME if following in {"long", "old", "often"} else QUANTITY), {token.i, token.i + 1}
            return None, {token.i}
        if word == "when":
            return TIME, {token.i}
        if word == "where":
            return PLACE, {token.i}
        if word in {"who", "whom"}:
            return PERSON, {token.i}
        if word in _WH_DETERMINERS:
            # "what year", "which company", "what is the name of the city": the noun asked about
            phrase = {token.i}
            noun = token.head if token.dep_ == "det" else None
            if noun is None and token.i + 1 < len(doc) and doc[token.i + 1].pos_ in {"NOUN", "PROPN", "ADJ"}:
                noun = doc[token.i + 1]
            if noun is not None and noun.i > token.i:
                phrase.update(range(token.i + 1, noun.i + 1))
                kind = _kind_from_noun(noun.lemma_.lower())
                if kind:
                    return kind, phrase
                if word == "whose":
                    return PERSON, phrase
            return None, phrase
    return None, set()


_NEWEST_WORDS = frozenset({"latest", "newest", "recently", "currently"})


def _newest_words(doc) -> set[int]:
    """Positions of the words asking for the newest reports ("latest", "most recent"): the
    articles' dates answer them, not their text."""
    words = [token.lower_ for token in doc]
    found = {i for i, word in enumerate(words) if word in _NEWEST_WORDS}
    for i in range(len(words) - 1):
        if words[i] == "most" and words[i + 1] == "recent":
            found |= {i, i + 1}
    return found


COMPARING = frozenset(
    "compare comparison differ difference different contrast versus vs both disagree unlike whereas".split()
)
_SIDES = frozenset({"PERSON", "ORG", "NORP", "GPE"})


def name_text(entity) -> str:
    """A named entity as a constraint: without a leading article or a possessive "'s"."""
    text = re.sub(r"^(?:the|a|an)\s+", "", entity.text, flags=re.IGNORECASE)
    return re.sub(r"['’]s$", "", text)


# Verbs of saying, thinking, feeling and perceiving: what each of several named sides says or
# thinks can be set side by side ("What did X and Y say about…?"); what they do together
# ("When did X and Y meet?") is one fact.
_STANCE_VERBS = frozenset({"verb.communication", "verb.cognition", "verb.emotion", "verb.perception"})
_TOGETHER = frozenset({"between", "among", "amongst"})


def _together(token) -> bool:
    """Whether a name stands in "between X and Y" or "among …": the names take part in one
    thing together ("the call between the Chinese and Russian presidents"); they are not sides."""
    for node in (token, *token.ancestors):
        if node.dep_ == "pobj" and node.head.lower_ in _TOGETHER:
            return True
        if node.pos_ in ("VERB", "AUX"):
            return False
    return False


def _speaks(token) -> bool:
    """Whether a name is in the subject of a verb of saying, thinking, feeling or perceiving
    ("What did Rubio and Lavrov say…?", "How do China and Russia see…?"), or of "be" with such
    a verb's participle ("What were X and Y worried about?")."""

    in_subject = False
    for node in (token, *token.ancestors):
        if node.pos_ == "VERB":
            return in_subject and verb_kind(node.lemma_) in _STANCE_VERBS
        if node.pos_ == "AUX":
            participles = [child.lower_ for child in node.children if child.dep_ == "acomp"]
            return in_subject and any(verb_kind(word) in _STANCE_VERBS for word in participles)
        in_subject = in_subject or node.dep_ in ("nsubj", "nsubjpass")
    return False


def _joined_sides(doc, comparing: bool, kind: str | None) -> list[str]:
    """Names of people, groups or places joined by "and"/"or" ("the Chinese and American
    views", "Rubio and Lavrov") that the question sets side by side, in its order: in a
    question with a comparing word (`comparing`: "How do X and Y differ?"), or, in an open
    question (no asked `kind`), as those who say or think what is asked. Names that take part
    in one thing together ("between X and Y", "When did X and Y meet?", "Which official called
    X and Y?") are not sides: one fact answers such a question."""
    sides: list[str] = []
    for token in doc:
        if token.dep_ == "conj" and token.ent_type_ in _SIDES and token.head.ent_type_ in _SIDES:
            if _together(token.head) or not (comparing or (kind is None and _speaks(token.head))):
                continue
            for joined in (token.head, token):
                entity = next((e for e in doc.ents if e.start <= joined.i < e.end), None)
                if entity is not None and (text := name_text(entity)) and text not in sides:
                    sides.append(text)
    return sides


def _comparing_word(doc) -> bool:
    """A word of comparison ("How do X and Y differ?", "Did both reports agree?")."""
    return any(token.lemma_.lower() in COMPARING or token.lower_ in COMPARING for token in doc)


_WH_TAGS = frozenset({"WP", "WP$", "WDT", "WRB"})

# Words for the reports themselves, for how they stand to each other, and for their order.
_REPORT_NOUNS = frozenset(
    "report article story account coverage version source outlet reporting piece dispatch bulletin".split()
)
_AGREEING = frozenset("agree match confirm consistent same align".split())
_DIFFERING = frozenset("disagree differ different contradict change revise correct dispute conflict".split())
# Of those, the verbs whose object is the other report ("the later report confirmed the earlier
# one"); with another object they ask about content ("Which sources confirmed the deal?").
_RELATING_TWO = frozenset("confirm contradict correct revise dispute".split())
_ORDER = frozenset(
    "later earlier first last latest newest newer older oldest original previous second initial subsequent "
    "both other one each all".split()
)


_MANY = frozenset("both two three four several multiple many various different".split())
_REPORTING_VERBS = frozenset("report accord mention cover publish".split())
_OUTLETS = _REPORT_NOUNS | frozenset("newspaper paper publication site outlet media news".split())


def _several_reports(doc) -> set[int]:
    """The words saying that several reports give what is asked ("reported by two outlets",
    "according to both articles", "reported by TechCrunch and The Verge"): they say where the
    facts are, not what the evidence must hold. Empty when the question says no such thing."""
    for token in doc:
        lemma = token.lemma_.lower()
        if token.pos_ == "NOUN" and lemma in _OUTLETS and (
            token.tag_ == "NNS" and any(c.lower_ in _MANY or c.like_num for c in token.children)
        ):
            top = token
            while top.head is not top and top.head.i < top.i and (
                top.head.pos_ == "ADP" or top.head.lemma_.lower() in _REPORTING_VERBS
            ):
                top = top.head
            if top is not token:  # "by two outlets", "in both articles"; not "bought three newspapers"
                return set(range(top.i, token.i + 1))
        if lemma in _REPORTING_VERBS and token.pos_ == "VERB":
            for by in (c for c in token.children if c.dep_ == "agent"):  # "reported by X and Y"
                named = [c for c in by.children if c.dep_ == "pobj" and c.pos_ == "PROPN"]
                if named and any(c.dep_ == "conj" for c in named[0].children):
                    return set(range(token.i, max(t.i for t in named[0].subtree) + 1))
    return set()


def _relates_reports(word) -> bool:
    """Whether an agreeing or differing word says how reports stand to each other: a verb or
    adjective whose subject is a report ("the reports differ", "are the articles consistent",
    "did the outlets give the same figure"), with, for a verb taking an object, the other report
    as its object ("the later report confirmed the earlier one"). "Did the government correct
    the report?" and "Do the articles mention a change?" ask about something else."""
    if word.pos_ not in {"VERB", "ADJ"}:
        return False
    verb = word
    while verb.pos_ not in {"VERB", "AUX"} and verb.head is not verb:
        verb = verb.head
    if not any(s.lemma_.lower() in _REPORT_NOUNS for s in clause_subjects(verb)):
        return False
    if word.pos_ == "VERB" and word.lemma_.lower() in _RELATING_TWO:
        objects = [c for c in word.children if c.dep_ == "dobj"]
        return any(o.lemma_.lower() in _REPORT_NOUNS or o.lower_ in {"one", "other", "it"} for o in objects)
    return True


def _reports_asked(doc) -> tuple[ReportsAsked | None, set[int]]:
    """Whether the question asks how reports stand to each other, and the positions of the words
    that say so (they say nothing about the topic). Several reports must be meant: a plural
    ("the articles"), two mentions ("the report … the earlier one") or a word of order ("the
    later report"); "Did the report confirm the toll?" asks about one report's content."""
    lemmas = [token.lemma_.lower() for token in doc]
    reports = [t for t in doc if t.pos_ == "NOUN" and lemmas[t.i] in _REPORT_NOUNS]
    relation = [t for t in doc if lemmas[t.i] in _AGREEING | _DIFFERING and _relates_reports(t)]
    ordered = [t for t in doc if t.lower_ in _ORDER and t.pos_ in {"ADJ", "NUM", "DET", "PRON"}]
    several = any(t.tag_ == "NNS" for t in reports) or len(reports) >= 2 or bool(ordered)
    if not reports or not relation or not several:
        return None, set()
    words = {t.i for t in (*reports, *relation, *ordered)}
    words |= {t.i for t in doc if t.dep_ == "neg" and t.head.i in words}
    topic = " ".join(
        t.text for t in doc[_main_clause(doc) :]
        if t.i not in words and not t.is_stop and not t.is_punct and t.tag_ not in _WH_TAGS
    )
    # "agree on the cause of…", "differ about the toll", "agree on how many were evacuated"
    focus = next(
        (stem(child.lemma_) for token in doc if token.dep_ == "prep" and token.lower_ in {"on", "about", "over", "regarding"}
         for child in token.children if child.dep_ in {"pobj", "pcomp"} and child.i not in words),
        "",
    )
    differing = lemmas[relation[0].i] in _DIFFERING
    if any(child.dep_ == "neg" for child in relation[0].children):  # "Did they not agree?"
        differing = not differing
    start = _main_clause(doc)
    yes_no = start < len(doc) and doc[start].pos_ == "AUX"  # "Do the articles agree on how many…?"
    return ReportsAsked(topic, focus, differing, yes_no), words


def _counted(doc) -> str:
    """The noun a "how many" question counts ("How many young people …?": "people"), unless it is
    a unit or a span ("dollars", "kilometres", "years"), which a sum, a distance or a date answers."""

    for token in doc[:-2]:
        if token.lower_ == "how" and doc[token.i + 1].lower_ == "many":
            noun = next((t for t in doc[token.i + 2 : token.i + 5] if t.pos_ == "NOUN"), None)
            if noun is not None and not is_measure(noun.lemma_):
                return noun.lemma_.lower()
            return ""
    return ""


def _asks_authorship(doc) -> bool:
    """Whether the question is about who wrote something: a verb of writing or a noun for a
    writer ("Who wrote…?", "Which journalist…?", "the author of…")."""

    return any(
        (token.pos_ == "VERB" and names_a_writer(token.lemma_, "v"))
        or (token.pos_ == "NOUN" and names_a_writer(token.lemma_, "n"))
        for token in doc
    )


def _polar(doc) -> bool:
    """A yes/no question: its own clause opens with an auxiliary or a form of "be" ("Did…",
    "Is…", "Has…", "Can…", "Were…") and asks for no wh-word, nor to choose ("Is it simple or
    complex?" is answered by one of its sides, not by yes or no)."""
    start = _main_clause(doc)
    if start >= len(doc) or doc[start].pos_ != "AUX":
        return False
    return not any(token.tag_ in _WH_TAGS or (token.lower_ == "or" and token.dep_ == "cc") for token in doc[start:])


_NOT_NAMES = frozenset({"DATE", "TIME", "CARDINAL", "QUANTITY", "MONEY", "PERCENT", "ORDINAL"})  # entity types that are not names


_NAMED_AFTER = frozenset({"name", "call", "title", "rename"})


def _happens(head, preposition) -> bool:
    """Whether the object of "before", "after"… is an event: a noun for something that happens
    or a gathering ("the talks", "the merger", "the summit"), not a person, a body or a place
    ("before the court", "after Smith", "named after the Queen"), nor someone's own ("his death")."""

    if head.pos_ not in {"NOUN", "PROPN", "VERB"} or head.ent_type_ in _SIDES | {"LOC", "FAC"}:
        return False
    if preposition.head.lemma_.lower() in _NAMED_AFTER:
        return False
    if any(child.dep_ == "poss" and child.pos_ == "PRON" for child in head.children):
        return False
    return is_event_noun(head.lemma_) or is_event_noun(head.text)


def _event_time(doc) -> tuple[EventTime | None, set[int]]:
    """A time the question gives by an event, and the positions of its words: a preposition of
    time whose object is not itself a date ("before March 2025" is the calendar's)."""
    for token in doc:
        relation = relation_word(token)
        objects = [child for child in token.children if child.dep_ == "pobj"]
        if relation is None or token.dep_ != "prep" or not objects:
            continue
        head = objects[0]
        span = sorted(head.subtree, key=lambda t: t.i)
        if any(t.ent_type_ in {"DATE", "TIME"} for t in span) or not _happens(head, token):
            continue
        positions = {t.i for t in span} | {token.i} | ({token.head.i} if token.lower_ == "to" else set())
        names = tuple(name_text(e) for e in doc.ents if e.start in positions and e.label_ not in _NOT_NAMES)
        event = " ".join(t.text for t in span if not t.is_stop and not t.is_punct)
        if not event:
            continue
        phrase = doc[span[0].i : span[-1].i + 1].text
        return EventTime(relation, phrase, event, tuple(n for n in names if n), stem(head.lemma_)), positions
    return None, set()


def _calendar_bound(entity) -> bool:
    """Whether a date after "before", "since"… bounds the dates searched (`rag.retrieve.timeframe`) and
    so is not a date the evidence must state: the same test the search applies."""

    return entity.label_ == "DATE" and bounds_dates(entity)


def _asks_for_one_person(doc, kind: str | None, phrase: set[int]) -> bool:
    """"Which minister…?", "What player…?": one person of a kind, named by a singular noun.
    A plural or a group ("Which officials…?", "Which people…?") may be answered by a common noun."""
    if kind != PERSON or len(phrase) < 2 or doc[min(phrase)].lower_ not in {"which", "what"}:
        return False
    noun = doc[max(phrase)]
    return noun.tag_ == "NN"


def analyse(question: str, events: bool = True) -> Question:
    """What the question asks and must be answered with; with `events`, a time it gives by an
    event ("before the Riyadh talks") is kept apart from the words the evidence must hold, to be
    dated from the articles instead."""
    doc = parse(question)
    kind, phrase = _asked_kind(doc)
    names: list[str] = []
    people: list[str] = []
    numbers: list[str] = []
    event, event_words = _event_time(doc) if events else (None, set())
    # "before March 2025": a bound on the dates searched (`rag.retrieve.timeframe`), not a date to hold
    event_words |= {t.i for e in doc.ents if e.start > 0 and relation_word(doc[e.start - 1]) and _calendar_bound(e)
                    for t in e}
    # the asked phrase says nothing the evidence must hold, nor do the entities overlapping it
    reports, report_words = _reports_asked(doc)
    joined_reports = set() if reports else _several_reports(doc)
    skip = (set(phrase) | {t.i for e in doc.ents if any(t.i in phrase for t in e) for t in e}
            | event_words | joined_reports)
    for entity in doc.ents:
        if entity.start in skip:
            continue
        if entity.label_ not in _NOT_NAMES:
            text = name_text(entity)
            if text:
                names.append(text)
                if entity.label_ == "PERSON":
                    people.append(text)
    for start, end, number in number_spans(question):
        token = doc.char_span(start, end, alignment_mode="expand")
        glued = question[end : end + 1].isalpha() and not number.endswith("s")  # "3rd", "10km"
        if token is None or glued or token[0].i in skip or token[0].ent_type_ == "ORDINAL":
            continue
        numbers.append(number)
    for token in doc:
        calendar = fold(token.text).removesuffix("s")
        if token.i in skip or not is_calendar_word(token.text) or (calendar == "may" and token.pos_ != "PROPN"):
            continue
        if not any(calendar in fold(name) for name in names):
            names.append(token.text)
    newest = _newest_words(doc)
    terms = content_stems(doc, skip=phrase | newest | report_words | event_words | joined_reports)
    comparing = _comparing_word(doc)
    joined = _joined_sides(doc, comparing, kind)
    return Question(
        text=question,
        kind=kind,
        names=tuple(dict.fromkeys(names)),
        numbers=tuple(dict.fromkeys(numbers)),
        terms=terms,
        newest_first=bool(newest),
        compares=comparing or bool(joined) or reports is not None or bool(joined_reports),
        people=tuple(dict.fromkeys(people)),
        polar=_polar(doc),
        sides=tuple(side for side in joined if side in names),
        reports=reports,
        event=event,
        joins=bool(joined_reports) and kind in {PERSON, PLACE, ORGANISATION},
        authorship=kind in {PERSON, None} and _asks_authorship(doc),
        counted=_counted(doc) if kind == QUANTITY else "",
        one_person=_asks_for_one_person(doc, kind, phrase),
    )
