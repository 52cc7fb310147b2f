"""Words of a text: stop words, stems, content words, names and numbers, and whether another
text holds them (`support`, used to match free text to the evidence sentence it rests on);
citation markers ("[2]") found and removed."""

from __future__ import annotations

import re
from functools import lru_cache

from rag.language.nlp import fold, folded_words, parse, stemmer

STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not of off on once only or other our ours ourselves out over own
    same she should so some such than that the their theirs them themselves then there these they
    this those through to too under until up very was we were what when where which while who whom
    why will with would you your yours yourself yourselves s t don""".split()
)

_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_MARKER_RUN = re.compile(r"\s*(?:\[\d+(?:\s*[,;]\s*\d+)*\]\s*)+")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# "1990s", "1990's": a decade, which is not the year 1990
_DECADE = re.compile(r"['’]?s\b")
# Words that say how something is reported rather than what: they need no support.
_FRAMING = frozenset(
    """according article articles passage passages text report reports reported says said say
    stated states state notes noted mentions mentioned mention describes described also however
    additionally furthermore moreover overall therefore thus""".split()
)


def content_words(text: str) -> set[str]:
    """Stems of the text's words that say something, accents folded (Zürich = Zurich)."""
    words = []
    for word in _WORD.findall(fold(text)):
        word = re.sub(r"['’]s$", "", word)
        if word not in STOP_WORDS and word not in _FRAMING and len(word) > 1:
            words.append(word)
    return set(stemmer().stemWords(words))


def number_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, number) of each number in the text, commas dropped; a decade as "1990s"
    ("the 1990's" too)."""
    found = []
    for match in _NUMBER.finditer(text):
        number = match.group().replace(",", "")
        if len(number) == 4 and number.endswith("0") and _DECADE.match(text, match.end()):
            number += "s"
        found.append((match.start(), match.end(), number))
    return found


def numbers(text: str) -> set[str]:
    return {number for _, _, number in number_spans(text)}


def number_held(number: str, held: set[str]) -> bool:
    """Whether a stated number is among `held` (from `numbers`): a decade is met by the decade
    or by any year within it; a year is not met by its decade."""
    if number in held:
        return True
    if number.endswith("s"):
        return any(len(h) == 4 and h.isdigit() and h[:3] == number[:3] for h in held)
    return False


def markers_in(sentence: str) -> list[int]:
    found: list[int] = []
    for group in _MARKER.findall(sentence):
        for number in re.split(r"\s*[,;]\s*", group):
            if int(number) not in found:
                found.append(int(number))
    return found


def strip_markers(sentence: str) -> str:
    return _MARKER_RUN.sub(" ", sentence).strip()


def _flat(text: str) -> str:
    text = re.sub(r"['’]s\b", "", text.replace(".", "")).lower()
    return " " + " ".join(_WORD.findall(text)) + " "


def names(text: str) -> list[str]:
    """Runs of capitalised words ("NATO Secretary General Marlow"): the names a sentence states.

    A sentence's first word counts only inside a longer run or as an acronym, since any
    sentence starts with a capital.
    """
    runs: list[list[str]] = [[]]
    for position, word in enumerate(_WORD.findall(text.replace(".", ""))):
        capital = word[0].isupper() and word.lower() not in STOP_WORDS
        if capital:
            runs[-1].append(word)
        elif runs[-1]:
            runs.append([])
        if position == 0 and capital:
            runs[-1].append("\0")  # marks a run that starts the sentence
    found = []
    for run in runs:
        words = [w for w in run if w != "\0"]
        opener_only = "\0" in run and len(words) == 1 and not (words[0].isupper() and len(words[0]) > 1)
        if words and not opener_only:
            found.append(" ".join(words))
    return found


def support(sentence: str, passage: str) -> float:
    """Share of the sentence's content words found in the passage.

    0 when the sentence states a number or a name the passage does not have: those are the
    facts a small model most often invents.
    """
    claimed = content_words(sentence)
    if not claimed:
        return 0.0
    if not numbers(sentence) <= numbers(passage):
        return 0.0
    flat = _flat(passage)
    if any(_flat(name) not in flat for name in names(sentence)):
        return 0.0
    return len(claimed & content_words(passage)) / len(claimed)


def stem(word: str) -> str:
    return stemmer().stemWord(fold(word))


_TERM_POS = {"NOUN", "PROPN", "VERB", "ADJ", "NUM", "ADV"}


def content_stems(doc, skip: set[int] = frozenset()) -> frozenset[str]:
    """Stems of the content words of a parsed text (nouns, verbs, adjectives, numbers)."""
    found = set()
    for token in doc:
        if token.i in skip or token.is_stop or token.is_punct or token.pos_ not in _TERM_POS:
            continue
        if token.pos_ == "VERB" and token.lemma_.lower() in {"be", "have", "do", "call", "name"}:
            continue
        found.add(stem(token.lemma_ if token.pos_ != "PROPN" else token.text))
        found.add(stem(token.text))
    return frozenset(found)


@lru_cache(maxsize=2048)
def text_stems(text: str) -> frozenset[str]:
    """Stems of a text's words and of its content words' lemmas."""
    return content_stems(parse(text)) | {stem(word) for word in folded_words(text).split()}
