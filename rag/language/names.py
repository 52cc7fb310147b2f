"""Whether a name is present in a text, in any of its forms: plural, people or adjective of a
place, acronym, or another form WordNet gives ("American": "US", "United States")."""

from __future__ import annotations

import re

from rag.language.lexicon import name_forms
from rag.language.nlp import contains_phrase, folded_words

# Endings that make another form of the same name: plurals and the people or adjective of a
# place ("Huguenot"/"Huguenots", "Brazil"/"Brazilian", "Canada"/"Canadian", "Japan"/"Japanese").
_NAME_ENDINGS = {"s", "es", "n", "an", "ans", "ian", "ians", "ns", "ese", "ish", "i", "is", "ic", "ean", "eans"}


_ACRONYM_FILLERS = {"of", "and", "the", "for", "de", "du", "des", "la", "le", "&"}


def _same_name_word(asked: str, held: str) -> bool:
    if asked == held:
        return True
    shorter, longer = sorted((asked, held), key=len)
    if len(shorter) < 4:
        return False
    for base in (shorter, shorter[:-1] if shorter[-1] in "ae" else None):
        if base and longer.startswith(base) and longer[len(base) :] in _NAME_ENDINGS:
            return True
    return False


def _acronym_present(name: str, text: str) -> bool:
    """"EU" is present where the text spells out "European Union" (fillers like "of" skipped)."""
    letters = name.replace(".", "")
    if not (2 <= len(letters) <= 6 and letters.isupper() and letters.isalpha()):
        return False
    words = [w for w in re.findall(r"[\w&'-]+", text) if w.lower() not in _ACRONYM_FILLERS]
    initials = "".join(w[0] if w[0].isupper() else "·" for w in words)
    return letters in initials


def _form_present(form: str, words: str, text: str) -> bool:
    """An acronym ("US", "U.S.") as written, dots or none, so that the word "us" is not it;
    any other name as whole words, accents folded."""
    letters = form.replace(".", "")
    if letters.isupper() and letters.isalpha():
        dotted = r"\.?".join(letters) + r"\.?"
        return bool(re.search(rf"(?<![\w.]){dotted}(?!\w)", text))
    return contains_phrase(words, form)


def name_present(name: str, words: str, text: str = "") -> bool:
    """A name is present when all its words are, in any order, accents folded, each in the same
    or another form of it (plural, people or adjective of a place), or as the acronym's words,
    or in another form WordNet gives ("American": "US", "United States")."""
    if contains_phrase(words, name) or _acronym_present(name, text):
        return True
    if any(_form_present(form, words, text) for form in name_forms(name)):
        return True
    parts = [p for p in folded_words(name).split() if len(p) > 1]
    if not parts:
        return False
    held = set(words.split())
    return all(f" {p} " in words or any(_same_name_word(p, w) for w in held) for p in parts)


def person_present(name: str, folded: str) -> bool:
    """A person's name of several words is present as one name in `folded` (text prepared by
    `folded_words`): its words in order, at most two words apart ("William Harper" in "William
    Rainey Harper"), so that another person sharing a surname ("Robert Harper") does not stand in
    for the one asked about."""
    parts = [p for p in folded_words(name).split() if len(p) > 1]
    words = folded.split()
    if len(parts) < 2:
        return True
    for first, word in enumerate(words):
        if not _same_name_word(parts[0], word):
            continue
        at = first
        for part in parts[1:]:
            at = next((i for i in range(at + 1, min(at + 4, len(words))) if _same_name_word(part, words[i])), -1)
            if at < 0:
                break
        else:
            return True
    return False
