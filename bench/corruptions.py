"""How well the answer check catches answers corrupted by rule, and how often it rejects good ones.

    .venv/bin/python bench/corruptions.py [--limit N]

Correct claims are built from real text, then corrupted by rule; `rag.verification.check_claim`
must reject the corrupted ones and keep the correct ones:

- answer swapped: each answerable SQuAD 2.0 question of `../shared/bench/squad2` with its gold
  answer and the sentence holding it (correct), and the same question answered with another
  name, number or date of the same kind from the same paragraph (corrupted);
- roles swapped: every "subject verb object" clause of the seed articles and SQuAD paragraphs,
  written out on its own (correct), and with subject and object exchanged (corrupted);
- number changed: every sentence holding a year or number, with that number replaced by another
  one from the same article (corrupted; the sentence itself is the correct claim).

Prints, per rule, the share of corrupted claims caught and of correct claims rejected.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.chunking import sentence_spans  # noqa: E402
from rag.nlp import folded_words, parse  # noqa: E402
from rag.question import analyse  # noqa: E402
from rag.verification import _RECIPROCAL, check_claim  # noqa: E402

SQUAD = ROOT.parent / "shared" / "bench" / "squad2"
NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*\b")


def sentences_of(text: str) -> list[str]:
    return [" ".join(text[s:e].split()) for s, e in sentence_spans(text)]


def span_text(token) -> str:
    """The noun phrase an argument names: the word with its compounds, determiners and modifiers."""
    keep = [t for t in token.subtree if t.dep_ in {"compound", "det", "amod", "poss", "nummod", "flat"} or t == token]
    keep = [t for t in keep if t.head == token or t == token]
    return " ".join(t.text for t in sorted(keep, key=lambda t: t.i))


def svo_clauses(sentence: str) -> list[tuple[str, str]]:
    """(correct, swapped) claims from each active clause with a noun subject and object."""
    found = []
    for token in parse(sentence):
        if token.pos_ != "VERB" or token.lemma_.lower() in _RECIPROCAL:
            continue
        subjects = [c for c in token.children if c.dep_ == "nsubj" and c.pos_ in {"PROPN", "NOUN"}]
        objects = [c for c in token.children if c.dep_ == "dobj" and c.pos_ in {"PROPN", "NOUN"}]
        if len(subjects) != 1 or len(objects) != 1:
            continue
        subject, obj = span_text(subjects[0]), span_text(objects[0])
        if folded_words(subject) == folded_words(obj):
            continue
        # the verb with its auxiliaries and negation, as the clause has them ("can harm", "did not meet")
        verb = " ".join(t.text for t in sorted(
            [token, *(c for c in token.children if c.dep_ in {"aux", "neg"} and c.i < token.i)], key=lambda t: t.i
        ))
        correct = f"{subject} {verb} {obj}."
        swapped = f"{obj[0].upper()}{obj[1:]} {verb} {subject[0].lower() if subject.split()[0].lower() in {'the', 'a', 'an'} else subject[0]}{subject[1:]}."
        found.append((correct[0].upper() + correct[1:], swapped))
    return found


def answer_swaps(limit: int | None) -> tuple[list[bool], list[bool]]:
    queries = json.loads((SQUAD / "queries.json").read_text("utf-8"))["queries"]
    truth = json.loads((SQUAD / "ground_truth.json").read_text("utf-8"))
    kept, caught = [], []
    for item in queries:
        gold = truth[item["id"]]
        if gold["is_impossible"]:
            continue
        answer = gold["answers"][0]
        holding = [s for s in sentences_of(item["context"]) if answer in s]
        if not holding:
            continue
        question = analyse(" ".join(item["question"].split()))
        kept.append(check_claim(question, answer, holding[:1]).supported)
        labels = {e.label_ for e in parse(holding[0]).ents if answer in e.text or e.text in answer}
        others = [
            e.text for e in parse(item["context"]).ents
            if e.label_ in labels and e.text not in answer and answer not in e.text
        ]
        if others:
            caught.append(not check_claim(question, others[0], holding[:1]).supported)
        if limit and len(kept) >= limit:
            break
    return kept, caught


def texts() -> list[str]:
    found = [path.read_text("utf-8", errors="replace") for path in sorted((ROOT / "seeds").glob("*.txt"))]
    if (SQUAD / "queries.json").exists():
        contexts = {q["context"] for q in json.loads((SQUAD / "queries.json").read_text("utf-8"))["queries"]}
        found += sorted(contexts)
    return found


def role_swaps(articles: list[str], limit: int | None) -> tuple[list[bool], list[bool]]:
    generic = analyse("What happened?")
    kept, caught = [], []
    for article in articles:
        for sentence in sentences_of(article):
            for correct, swapped in svo_clauses(sentence):
                kept.append(check_claim(generic, correct, [sentence]).supported)
                caught.append(not check_claim(generic, swapped, [sentence]).supported)
        if limit and len(kept) >= limit:
            break
    return kept, caught


def number_changes(articles: list[str], limit: int | None) -> tuple[list[bool], list[bool]]:
    generic = analyse("What happened?")
    kept, caught = [], []
    for article in articles:
        held = sorted(set(NUMBER.findall(article)))
        for sentence in sentences_of(article):
            numbers = NUMBER.findall(sentence)
            if not numbers:
                continue
            other = next((n for n in held if n not in sentence and n.replace(",", "") != numbers[0].replace(",", "")), None)
            if other is None:
                continue
            kept.append(check_claim(generic, sentence, [sentence]).supported)
            changed = re.sub(rf"\b{re.escape(numbers[0])}\b", other, sentence, count=1)
            caught.append(not check_claim(generic, changed, [sentence]).supported)
        if limit and len(kept) >= limit:
            break
    return kept, caught


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="at most about N correct claims per rule")
    args = parser.parse_args()
    articles = texts()
    results = {"roles swapped": role_swaps(articles, args.limit), "number changed": number_changes(articles, args.limit)}
    if (SQUAD / "queries.json").exists():
        results = {"answer swapped (SQuAD)": answer_swaps(args.limit), **results}
    all_kept, all_caught = [], []
    for rule, (kept, caught) in results.items():
        all_kept += kept
        all_caught += caught
        print(
            f"{rule:>24}: caught {sum(caught)}/{len(caught)} = {sum(caught) / max(1, len(caught)):.3f}; "
            f"correct rejected {len(kept) - sum(kept)}/{len(kept)} = {(len(kept) - sum(kept)) / max(1, len(kept)):.3f}"
        )
    print(
        f"{'all':>24}: caught {sum(all_caught) / max(1, len(all_caught)):.3f}; "
        f"correct rejected {(len(all_kept) - sum(all_kept)) / max(1, len(all_kept)):.3f}"
    )


if __name__ == "__main__":
    main()
