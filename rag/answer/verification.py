"""Does a sentence answer the question, and does an answer say what its sentences say?

Two checks, both from spaCy's parse rather than shared words alone:

`check_evidence(question, sentence, context)`: the evidence must meet the question's
constraints (its names, years and numbers appear in the sentence or its passage; evidence
about another year or person is a near miss, and the reply says what the articles do hold),
must hold something of the asked kind that the question does not already state (who: a person,
a group or an organisation; when: a date or a period; where: a place; how many: a number; names
typed by spaCy, common nouns by WordNet), must state the question's relation (not its negation, nor its number tied to another event)
and must share most of the question's content words.

`check_claim(question, answer, sentences)`: a written answer may only state names, numbers and
words found in the sentences it rests on (or the question), and comparisons ("more", "the
largest") the sentences make themselves; it must contain the asked fact, and must not turn the
sentence's roles around ("X started the call" where the sentence says Y started it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rag.answer.question import MONTHS, Question, is_calendar_word
from rag.language.kinds import ORGANISATION, PERSON, PLACE, QUANTITY, TIME
from rag.language.lexicon import noun_kinds
from rag.language.names import name_present, person_present
from rag.language.nlp import contains_phrase, fold, folded_words, parse
from rag.language.words import content_words, number_held, numbers, stem, text_stems
from rag.language.words import names as capitalised_runs

_MEASURE_LABELS = frozenset({"MONEY", "PERCENT", "DATE", "TIME"})  # spaCy's labels of sums, shares and times
_YEAR = re.compile(r"\b(?:1[0-9]|20)\d\d\b")
_DECADE = re.compile(r"(?:1[0-9]|20)\d0['’]?s")
_ORDINAL = re.compile(r"\d+(?:st|nd|rd|th)", re.IGNORECASE)
# Verbs whose two parties can swap places without changing the fact ("A met B" = "B met A").
_RECIPROCAL = frozenset(
    "meet marry talk speak negotiate debate discuss chat partner ally collaborate cooperate "
    "agree disagree compete correspond merge".split()
)


@dataclass(frozen=True)
class EvidenceCheck:
    answers: bool
    coverage: float  # share of the question's content words found in the sentence's passage
    candidates: tuple[str, ...] = ()  # what in the sentence is of the asked kind and new
    missing: tuple[str, ...] = ()  # the question's names or numbers the evidence lacks
    near_miss: str | None = None  # "The articles mention 2022, not 2021."
    reason: str = ""


# The WordNet kinds (`rag.language.lexicon`) of common nouns that can answer each kind of question: a
# group answers "who" as well as a person does ("the courts of member states").
_NOUN_KINDS = {
    PERSON: frozenset({PERSON, ORGANISATION}),
    ORGANISATION: frozenset({ORGANISATION}),
    PLACE: frozenset({PLACE}),
    TIME: frozenset({TIME}),
}


def kind_candidates(question: Question, text: str) -> list[str]:
    """The pieces of `text` that are of the kind the question asks for and not in the question."""
    if question.kind is None:
        return []
    asked = folded_words(question.text)
    doc = parse(text)
    # things counted ("How many people…?") are not answered by a sum, a share, a date or a time
    measures = _MEASURE_LABELS if question.counted else frozenset()
    found = []
    for entity in doc.ents:
        if entity.label_ in question.labels - measures and not contains_phrase(asked, entity.text):
            found.append(entity.text)
    if question.kind == QUANTITY:
        found += [t.text for t in doc if t.like_num and t.ent_type_ not in measures and not contains_phrase(asked, t.text)]
    if question.kind in {PERSON, PLACE, ORGANISATION}:  # names spaCy's small model left untyped
        found += [
            t.text for t in doc
            if t.pos_ == "PROPN" and not t.ent_type_ and not is_calendar_word(t.text)
            and not contains_phrase(asked, t.text)
        ]
    if question.kind == TIME:  # years, decades, months, and the "19th" of "the 19th century"
        found += [
            t.text for t in doc
            if (_YEAR.fullmatch(t.text) or _DECADE.fullmatch(t.text) or t.lower_ in MONTHS
                or (_ORDINAL.fullmatch(t.text) and t.head.lemma_.lower() in {"century", "millennium"}))
            and not contains_phrase(asked, t.text)
        ]
    if question.kind in _NOUN_KINDS and not question.one_person:  # common nouns of the kind: "residents", "mountainous areas"
        # Not an answer: a phrase on a noun the question uses ("certain provinces" for "Which
        # provinces…?"), on what it asks for in another form ("researchers" for "Which
        # researcher…?"), or made only of its words in any form ("teenagers" for a question
        # on teenage sleep). A word of its own on another form of one of the question's nouns
        # may be one ("international students" for "Who made up 19% of the student body?").
        question_stems = {stem(word) for word in asked.split()}
        asked_for = question_stems - question.terms  # the wh-phrase's words ("which", "provinc")
        for chunk in doc.noun_chunks:
            # without its article or possessive: "courts of member states" holds "the courts"
            phrase = doc[next((t.i for t in chunk if t.dep_ not in {"det", "poss"}), chunk.start) : chunk.end]
            if (
                chunk.root.pos_ == "NOUN"
                and not contains_phrase(asked, chunk.root.text)
                and stem(chunk.root.text) not in asked_for
                and any(t.is_alpha and stem(t.text) not in question_stems for t in phrase)
                and noun_kinds(chunk.root.lemma_) & _NOUN_KINDS[question.kind]
            ):
                found.append(phrase.text)
    return list(dict.fromkeys(found))


def _tree_distance(a, b) -> int:
    """Edges between two tokens of one parsed sentence."""
    path_a = [a, *a.ancestors]
    depth_b = {token.i: depth for depth, token in enumerate([b, *b.ancestors])}
    for depth, token in enumerate(path_a):
        if token.i in depth_b:
            return depth + depth_b[token.i]
    return len(path_a) + len(depth_b)


def nearest_candidates(question: Question, sentence: str) -> list[str]:
    """Of the sentence's pieces of the asked kind, those closest in its parse to the words it
    shares with the question: the ones standing in the question's relation."""
    doc = parse(sentence)
    anchors = [t for t in doc if not t.is_stop and (stem(t.lemma_) in question.terms or stem(t.text) in question.terms)]
    candidates = kind_candidates(question, sentence)
    if not anchors or len(candidates) < 2:
        return candidates
    distances = {}
    for candidate in candidates:
        words = set(folded_words(candidate).split())
        matching = [t for t in doc if fold(t.text) in words]
        tokens = [t for t in matching if not t.is_stop] or matching
        # a name in apposition stands where the noun it renames stands ("by the mayor, Tessa Morrow")
        tokens += [t.head for t in tokens if t.dep_ == "appos"]
        if tokens:
            distances[candidate] = min(_tree_distance(t, a) for t in tokens for a in anchors)
    if not distances:
        return candidates
    best = min(distances.values())
    return [c for c, d in distances.items() if d == best]


def locate(answer: str, sentence: str) -> str | None:
    """The answer as the sentence words it: the same words, whatever the case, dashes or
    spacing, widened to the whole noun phrases it touches ("difficulty" -> "their inherent
    difficulty"). None when the sentence does not hold it."""
    words = re.findall(r"\w+", answer)
    if not words or len(words) > 30:
        return None
    pattern = r"(?<!\w)" + r"\W{0,3}".join(re.escape(w) for w in words) + r"(?!\w)"
    found = re.search(pattern, sentence, re.IGNORECASE)
    if not found:
        return None
    start, end = found.span()
    for chunk in parse(sentence).noun_chunks:
        if chunk.start_char < end and start < chunk.end_char:
            start, end = min(start, chunk.start_char), max(end, chunk.end_char)
    return sentence[start:end]


def coverage(question: Question, *texts: str) -> float:
    """Share of the question's content words found in the texts."""
    if not question.terms:
        return 1.0
    present = frozenset().union(*(text_stems(text) for text in texts))
    return len(question.terms & present) / len(question.terms)


# Verbs too general to tie a question's fact to one event ("be", "have", "use").
LIGHT_VERBS = frozenset("be have do make take get use say become include call know give go come".split())


def _verb_of(token):
    """The nearest verb the token hangs from (itself when it is one)."""
    return next((t for t in (token, *token.ancestors) if t.pos_ == "VERB"), None)


def negated(verb) -> bool:
    return any(child.dep_ == "neg" for child in verb.children)


def _verbs_by_lemma(doc) -> dict[str, list]:
    verbs: dict[str, list] = {}
    for token in doc:
        if token.pos_ == "VERB":
            verbs.setdefault(token.lemma_.lower(), []).append(token)
    return verbs


def _shared_verbs(asked, verbs: dict[str, list]):
    """Each verb of the question (light verbs left out) with the sentence's verbs of its lemma,
    `verbs` being the sentence's `_verbs_by_lemma`."""
    for token in asked:
        lemma = token.lemma_.lower()
        if token.pos_ == "VERB" and lemma not in LIGHT_VERBS and lemma in verbs:
            yield token, verbs[lemma]


def relation_mismatch(question: Question, sentence: str) -> str:
    """Why the sentence states another relation than the one asked, or "" when it does not:
    the question's verb negated in the sentence and not in the question, or the reverse ("should
    fall under" / "should not fall within"); or a number of the question tied in the sentence to
    another verb than the question's ("incorporated in 1975" / "incorporated in 1973 and started
    operations in 1975"). Only verbs both use are compared, so a paraphrase is left to the judge."""
    asked, held = parse(question.text), parse(sentence)
    verbs = _verbs_by_lemma(held)
    if not question.polar:  # a sentence denying what a yes/no question asks answers it: "No"
        for token, same in _shared_verbs(asked, verbs):
            if all(negated(verb) != negated(token) for verb in same):
                return f"the sentence says the opposite of '{token.text}'"
    for number in question.numbers:
        digits = number.removesuffix("s")
        in_question = [t for t in asked if digits in t.text.replace(",", "")]
        in_sentence = [t for t in held if digits in t.text.replace(",", "")]
        verb = _verb_of(in_question[0]) if in_question else None
        if verb is None or not in_sentence or verb.lemma_.lower() in LIGHT_VERBS or verb.lemma_.lower() not in verbs:
            continue
        if not any((v := _verb_of(t)) is not None and v.lemma_.lower() == verb.lemma_.lower() for t in in_sentence):
            return f"{number} goes with another event than '{verb.text}'"
    return ""


# Modal verbs that leave an event open ("Russia may leave"): the sentence then says neither yes
# nor no to "Did Russia leave?".
_OPEN_MODALS = frozenset("may might could would should can must".split())


# Verbs under which a clause is not asserted ("denied that Russia left", "hoped Russia would
# leave"), and conjunctions that make it a condition ("if Russia leaves").
_NOT_ASSERTING = frozenset(
    "deny doubt reject dismiss refute question wonder ask hope want wish plan expect consider "
    "propose threaten refuse fail fear suggest predict rumor rumour speculate".split()
)
_CONDITIONS = frozenset({"if", "unless", "whether"})


def asserted(verb) -> bool:
    """Whether the sentence states its clause of `verb` as fact, not as wished, denied,
    planned or conditional."""
    if verb.dep_ in {"xcomp", "csubj"}:
        return False
    for token in (verb, *verb.ancestors):
        if any(child.dep_ == "mark" and child.lower_ in _CONDITIONS for child in token.children):
            return False
        if token is not verb and (token.lemma_.lower() in _NOT_ASSERTING or negated(token)):
            return False
    return True


def polarity(question: Question, sentence: str) -> bool | None:
    """What the sentence says to a yes/no question, as far as its parse shows: True (yes) when
    it states the question's own verb with the question's polarity, False (no) when with the
    opposite ("did not leave", "never left"), None when it does not state that verb as fact: a
    paraphrase, a verb under another ("refused to leave", "denied that it left"), a condition
    ("if it leaves"), left open by a modal ("may leave"), or with its parties the other way
    round ("Did Y beat X?" against "X beat Y": the sentence does not say whether Y also did)."""
    readings = set()
    for token, same in _shared_verbs(parse(question.text), _verbs_by_lemma(parse(sentence))):
        asked_modals = {c.lower_ for c in token.children if c.dep_ == "aux"} & _OPEN_MODALS
        for verb in same:
            if not asserted(verb):
                continue
            modals = {c.lower_ for c in verb.children if c.dep_ == "aux"} & _OPEN_MODALS
            if modals - asked_modals:
                continue
            lemma = token.lemma_.lower()
            if _swapped({lemma: verb_roles(token)}, {lemma: verb_roles(verb)}):
                continue  # "Did Y beat X?" against "X beat Y": no reading either way
            readings.add(negated(verb) == negated(token))
    return readings.pop() if len(readings) == 1 else None


def _names_missing(question: Question, text: str) -> list[str]:
    return list(_absent_names(question.names, question.people, text)) if question.names else []


@lru_cache(maxsize=256)
def _absent_names(names: tuple[str, ...], people: tuple[str, ...], text: str) -> tuple[str, ...]:
    """The names `text` does not hold; cached, since every sentence of an article asks its whole
    text the same."""
    words = folded_words(text)
    return tuple(
        name for name in names
        if not name_present(name, words, text) or (name in people and not person_present(name, words))
    )


def missing_constraints(question: Question, sentence: str, context: str, article: str = "") -> list[str]:
    """The question's names, years and numbers that neither `sentence` nor `context` (its
    passage and the article's title) holds. A name the article gives elsewhere (`article`, its
    whole text) counts as held: news names a person in full once, then by surname or "she", and
    spells out an acronym once. Years, numbers, months and weekdays must stand in the passage
    itself, where a near miss (another year, another day) is told apart."""
    text = context + " " + sentence
    missing = _names_missing(question, text)
    elsewhere = tuple(name for name in missing if not is_calendar_word(name))  # dates stay with the passage
    if elsewhere and article:
        found = set(elsewhere) - set(_absent_names(elsewhere, question.people, article))
        missing = [name for name in missing if name not in found]
    if not question.numbers:
        return missing
    held = numbers(text)
    return missing + [number for number in question.numbers if not number_held(number, held)]


def check_evidence(
    question: Question, sentence: str, context: str, min_coverage: float, article: str = ""
) -> EvidenceCheck:
    """Whether `sentence` (with `context`, its passage and article title; `article`, the whole
    article) answers `question`."""
    missing = missing_constraints(question, sentence, context, article)
    share = coverage(question, context, sentence)
    if missing:
        near = None
        asked_years = [m for m in missing if _YEAR.fullmatch(m)]
        held_years = sorted(
            f"the {n}" if n.endswith("s") else n
            for n in numbers(sentence) - set(question.numbers)
            if _YEAR.fullmatch(n.removesuffix("s"))
        )
        if asked_years and held_years:
            near = f"The articles mention {', '.join(held_years)}, not {', '.join(asked_years)}."
        return EvidenceCheck(False, share, missing=tuple(missing), near_miss=near, reason="constraint")
    if mismatch := relation_mismatch(question, sentence):
        return EvidenceCheck(False, share, reason=f"relation: {mismatch}")
    candidates = kind_candidates(question, sentence)
    if question.kind is not None and not candidates:
        return EvidenceCheck(False, share, reason="kind")
    if share < min_coverage:
        return EvidenceCheck(False, share, tuple(candidates), reason="coverage")
    return EvidenceCheck(True, share, tuple(candidates))


# --- Roles: who did what to whom ------------------------------------------------------------


def _argument_words(token) -> set[str]:
    """The folded content words of an argument's whole phrase (with its conjuncts)."""
    return {fold(t.text) for t in token.subtree if not t.is_stop and not t.is_punct and len(t.text) > 1}


def verb_roles(verb) -> dict[str, set[str]]:
    """The words of one verb's doer ("agent") and of what it acts on ("patient")."""
    slot: dict[str, set[str]] = {"agent": set(), "patient": set()}
    for child in verb.children:
        if child.dep_ == "nsubj":
            slot["agent"] |= _argument_words(child)
        elif child.dep_ in {"dobj", "nsubjpass"}:
            slot["patient"] |= _argument_words(child)
        elif child.dep_ == "agent":
            for grandchild in child.children:
                if grandchild.dep_ == "pobj":
                    slot["agent"] |= _argument_words(grandchild)
    return slot


def roles(doc) -> dict[str, dict[str, set[str]]]:
    """For each verb lemma: the words of its doer ("agent") and of what it acts on ("patient")."""
    found: dict[str, dict[str, set[str]]] = {}
    for token in doc:
        if token.pos_ not in {"VERB", "AUX"}:
            continue
        slot = found.setdefault(token.lemma_.lower(), {"agent": set(), "patient": set()})
        for role, words in verb_roles(token).items():
            slot[role] |= words
    return found


def _swapped(claim: dict[str, dict[str, set[str]]], evidence: dict[str, dict[str, set[str]]]) -> bool:
    """True when, for a verb both use, the claim puts someone in a role (doer or done-to) that
    the evidence gives to someone else: "X started the call" against "Y started the call with X".
    Verbs whose parties can trade places ("meet") are left out."""
    for verb, parts in claim.items():
        if verb in _RECIPROCAL or verb not in evidence:
            continue
        held = evidence[verb]
        for role in ("agent", "patient"):
            if parts[role] and held[role] and not parts[role] & held[role]:
                return True
    return False


def _wh_role(question: Question) -> tuple[str, str] | None:
    """(verb lemma, role) the question asks about: "Who started the call?" -> ("start", "agent")."""
    doc = parse(question.text)
    for token in doc:
        if token.tag_ not in {"WP", "WDT", "WP$"}:
            continue
        argument = token.head if token.dep_ in {"det", "poss"} else token
        verb = argument.head
        if verb.pos_ not in {"VERB", "AUX"}:
            return None
        if argument.dep_ == "nsubj":
            return verb.lemma_.lower(), "agent"
        if argument.dep_ in {"dobj", "nsubjpass"}:
            return verb.lemma_.lower(), "patient"
        return None
    return None


@dataclass
class ClaimCheck:
    supported: bool
    reason: str = ""
    unsupported: list[str] = field(default_factory=list)


_COMPARING_TAGS = frozenset({"JJR", "RBR", "JJS", "RBS"})  # "higher", "more", "largest", "most"


def unstated_comparisons(answer: str, evidence: str) -> list[str]:
    """The answer's comparatives and superlatives ("more goals", "the largest") whose word the
    evidence does not use: a comparison the sentences do not make (a small model draws one from
    two figures, or from the question's "compare", and may draw it wrongly). A word check, not
    a reading: a paraphrase ("over 300" for "more than 300") is refused too, which costs the
    short answer (the sentence is quoted alone), and a word the evidence uses elsewhere passes."""
    held = set(folded_words(evidence).split())
    return [token.text for token in parse(answer) if token.tag_ in _COMPARING_TAGS and fold(token.lower_) not in held]


def check_claim(
    question: Question, answer: str, sentences: Sequence[str], min_support: float = 0.75
) -> ClaimCheck:
    """Whether `answer` states only what `sentences` say, including the asked fact, the right
    way round."""
    evidence = " ".join(sentences)
    grounds = folded_words(evidence + " " + question.text)
    if not numbers(answer) <= numbers(evidence + " " + question.text):
        return ClaimCheck(False, "number", sorted(numbers(answer) - numbers(evidence)))
    missing_names = [n for n in capitalised_runs(answer) if not name_present(n, grounds)]
    if missing_names:
        return ClaimCheck(False, "name", missing_names)
    claimed = content_words(answer)
    if not claimed:
        return ClaimCheck(False, "empty")
    held = content_words(evidence + " " + question.text)
    if len(claimed & held) / len(claimed) < min_support:
        return ClaimCheck(False, "words", sorted(claimed - held))
    if unstated := unstated_comparisons(answer, evidence):
        return ClaimCheck(False, "comparison", unstated)
    if question.kind is not None:
        candidates = [c for s in sentences for c in kind_candidates(question, s)]
        answer_words = folded_words(answer)
        if not any(contains_phrase(answer_words, c) for c in candidates):
            return ClaimCheck(False, "asked fact missing")
        nearest = [c for s in sentences for c in nearest_candidates(question, s)]
        if not any(contains_phrase(answer_words, c) or contains_phrase(folded_words(c), answer) for c in nearest):
            return ClaimCheck(False, "another part of the sentence answers the question")
    evidence_roles = [roles(parse(s)) for s in sentences]
    claim_doc = parse(answer)
    if any(token.pos_ == "VERB" for token in claim_doc):
        claim_roles = roles(claim_doc)
        if any(_swapped(claim_roles, held_roles) for held_roles in evidence_roles):
            return ClaimCheck(False, "roles swapped")
    asked_role = _wh_role(question) if question.kind == PERSON else None
    if asked_role is not None:
        verb, role = asked_role
        answer_words = {w for w in folded_words(answer).split() if len(w) > 1}
        claim = {verb: {"agent": set(), "patient": set()}}
        claim[verb][role] = answer_words
        if any(_swapped(claim, held_roles) for held_roles in evidence_roles):
            return ClaimCheck(False, "roles swapped")
    return ClaimCheck(True)


