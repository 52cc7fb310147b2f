"""How well the answer check catches wrong answers, and how often it rejects right ones.

    .venv/bin/python bench/corruptions.py [--limit N]

`rag.answer.verification.check_claim(question, answer, sentences)` must keep a right answer with
the sentence it rests on and reject a wrong one. Every claim is taken from SQuAD 2.0
(`../shared/bench/squad2`, and the training file for plausible answers): none is made by the
check's own rules.

- right: each answerable question's gold answer with the sentence holding it (must be kept);
- answer swapped: the same question and sentence answered with another name, number or date of
  the same entity type from the same paragraph (the near miss a reader quoting the wrong part of
  the right paragraph gives);
- plausible answer: an unanswerable question with the `plausible_answers` span a person wrote to
  look like its answer, and the sentence holding it (the near miss SQuAD 2.0 was built from);
  these spans are in the training file (`../shared/train/squad2`), not the benchmark sample;
- another question's answer: the gold answer of another answerable question that opens with the
  same wh-word, with this question's sentence (an answer of the right kind about something else).

Prints, per corruption, the share caught, and the share of right answers rejected. It fails
when the check catches little (it is meant to stop a wrong answer before it is shown) or rejects
many right answers; no rule of the check is fitted on these claims.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.answer.question import analyse  # noqa: E402
from rag.answer.verification import check_claim  # noqa: E402
from rag.ingest.chunking import sentence_spans  # noqa: E402
from rag.language.nlp import parse  # noqa: E402

SQUAD = ROOT.parent / "shared" / "bench" / "squad2"
TRAIN = ROOT.parent / "shared" / "train" / "squad2" / "train.json.gz"


def sentences_of(text: str) -> list[str]:
    return [" ".join(text[s:e].split()) for s, e in sentence_spans(text)]


def answer_swaps(limit: int | None) -> tuple[list[bool], list[bool]]:
    """Kept: each gold answer with its sentence; caught: another entity of its type from the paragraph."""
    queries, truth = squad()
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


WH = re.compile(r"(how many|how much|how long|how old|who|whom|whose|when|where|which|what|why|how)\b")


def squad() -> tuple[list[dict], dict]:
    queries = json.loads((SQUAD / "queries.json").read_text("utf-8"))["queries"]
    return queries, json.loads((SQUAD / "ground_truth.json").read_text("utf-8"))


def plausible_answers(limit: int | None) -> list[bool]:
    """Caught: each unanswerable question's plausible answer, with the sentence holding it. The
    benchmark sample does not carry these spans, so they come from the training file's questions
    (every third, for time; the check has nothing fitted on them)."""
    data = json.loads(gzip.open(TRAIN, "rt", encoding="utf-8").read())["data"]
    caught = []
    items = [(p["context"], qa) for a in data for p in a["paragraphs"] for qa in p["qas"] if qa.get("is_impossible")]
    for context, qa in items[::3]:
        plausible = [a["text"] for a in qa.get("plausible_answers") or [] if a["text"].strip()]
        holding = [s for s in sentences_of(context) if plausible and plausible[0] in s]
        if not holding:
            continue
        question = analyse(" ".join(qa["question"].split()))
        caught.append(not check_claim(question, plausible[0], holding[:1]).supported)
        if limit and len(caught) >= limit:
            break
    return caught


def answers_of_other_questions(limit: int | None) -> list[bool]:
    """Caught: another question's gold answer (same opening wh-word) with this question's sentence."""
    queries, truth = squad()
    rows = []
    for item in queries:
        gold = truth[item["id"]]
        wh = WH.match(item["question"].strip().lower())
        if gold["is_impossible"] or not wh or not gold["answers"]:
            continue
        holding = [s for s in sentences_of(item["context"]) if gold["answers"][0] in s]
        if holding:
            rows.append((item, gold["answers"], wh.group(1), holding[0]))
    caught = []
    for number, (item, answers, wh, sentence) in enumerate(rows):
        folded = {a.casefold() for a in answers}
        other = next((r for r in rows[number + 1 :] + rows[:number]
                      if r[2] == wh and r[1][0].casefold() not in folded and r[1][0] not in sentence), None)
        if other is None:
            continue
        question = analyse(" ".join(item["question"].split()))
        caught.append(not check_claim(question, other[1][0], [sentence]).supported)
        if limit and len(caught) >= limit:
            break
    return caught


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="at most about N claims per corruption")
    args = parser.parse_args()
    if not (SQUAD / "queries.json").exists():
        sys.exit(f"{SQUAD} is absent: nothing to measure")
    kept, swapped = answer_swaps(args.limit)
    results = {
        "answer swapped": swapped,
        "plausible answer": plausible_answers(args.limit),
        "another question's answer": answers_of_other_questions(args.limit),
    }
    print(f"{'right answers':>26}: rejected {len(kept) - sum(kept)}/{len(kept)} = "
          f"{(len(kept) - sum(kept)) / max(1, len(kept)):.3f}")
    every = []
    for rule, caught in results.items():
        every += caught
        print(f"{rule:>26}: caught {sum(caught)}/{len(caught)} = {sum(caught) / max(1, len(caught)):.3f}")
    print(f"{'all corrupted':>26}: caught {sum(every)}/{len(every)} = {sum(every) / max(1, len(every)):.3f}")


if __name__ == "__main__":
    main()
