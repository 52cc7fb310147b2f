"""Does asking the judge twice, in two wordings, separate answers from near misses better?

    .venv/bin/python bench/judge_wordings.py [--embedder torch] [--limit N]

Reads the replies `bench/squad2.py` kept for the llamacpp generator with the checks switched
off (every candidate sentence judged and recorded), asks the same local model the other wording
(`RESTATED` below: the question first, the answer's facts named) about every judged candidate,
and keeps the scores in
`bench/results/squad2/judge-restated[-<embedder>].jsonl` (a second run only adds what is missing).

Then, for the recorded wording alone, the other alone, and both (the mean of their log-odds),
it prints the ROC AUC over all candidates (label: the sentence is of the question's own paragraph
and holds a gold answer) and, as `bench/squad2.py --fit` does, the threshold chosen on one half of
the questions with the held-out half's has-answer and no-answer rates, both ways round, and the
seconds the second judgement costs.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import squad2  # noqa: E402 - the benchmark's own loading and scoring

RESTATED = """Question: {question}
Sentence: {sentence}
Is the answer to this question stated in the sentence, about the same people, things and times? \
Reply yes or no."""


def logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def judged_candidates(replies: list[dict]):
    for reply in replies:
        for candidate in squad2.candidates_of(reply):
            if candidate.get("judge") is not None:
                yield reply["question"], candidate


def rejudge(replies: list[dict], path: Path) -> tuple[dict[tuple[str, str], float], float]:
    """The other wording's P(yes) for each judged candidate, by (question, sentence)."""
    from rag.models.judge import LlamaJudge
    from rag.models.llm import llamacpp_chat_model
    from rag.settings import load_settings

    scores: dict[tuple[str, str], float] = {}
    if path.exists():
        for line in path.read_text("utf-8").splitlines():
            item = json.loads(line)
            scores[(item["question"], item["sentence"])] = item["p_yes"]
    missing = [(q, c["text"]) for q, c in judged_candidates(replies) if (q, c["text"]) not in scores]
    missing = list(dict.fromkeys(missing))
    if not missing:
        return scores, float("nan")
    model = llamacpp_chat_model(load_settings())
    judge = LlamaJudge(wording=RESTATED)
    started = time.perf_counter()
    with path.open("a", encoding="utf-8") as out:
        for number, (question, sentence) in enumerate(missing, start=1):
            scores[(question, sentence)] = judge(model, question, sentence)
            out.write(json.dumps({"question": question, "sentence": sentence,
                                  "p_yes": round(scores[(question, sentence)], 6)}) + "\n")
            if number % 100 == 0:
                print(f"  judged {number}/{len(missing)}", flush=True)
    return scores, (time.perf_counter() - started) / len(missing)


def with_judge(replies: list[dict], score) -> list[dict]:
    """The replies with each judged candidate's `judge` replaced by `score(question, candidate)`."""
    changed = []
    for reply in replies:
        checks = reply.get("checks") or {}
        candidates = [
            {**c, "judge": score(reply["question"], c)} if c.get("judge") is not None else c
            for c in checks.get("candidates", [])
        ]
        changed.append({**reply, "checks": {**checks, "candidates": candidates}})
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embedder", choices=["torch", "onnx", "onnx-int8"], default="torch")
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    if not (squad2.DATA / "queries.json").exists():
        sys.exit(f"{squad2.DATA} is absent: nothing to measure")
    from sklearn.metrics import roc_auc_score

    from rag.answer.calibration import WITH_JUDGE

    queries, truth = squad2.load(args.limit, None)
    replies = squad2.kept_replies("llamacpp", args.embedder, queries)
    path = squad2.WORK / f"judge-restated{'-' + args.embedder if args.embedder != 'torch' else ''}.jsonl"
    restated, seconds = rejudge(replies, path)
    print(f"{len(restated)} candidate sentences judged in the other wording"
          + (f", {seconds:.2f} s each" if not math.isnan(seconds) else ""))

    combos = {
        "recorded wording": lambda q, c: c["judge"],
        "other wording": lambda q, c: restated[(q, c["text"])],
        "both (mean log-odds)": lambda q, c: 1 / (1 + math.exp(-(logit(c["judge"]) + logit(restated[(q, c["text"])])) / 2)),
    }
    by_question = {" ".join(q["question"].split()): q for q in queries}
    for name, score in combos.items():
        labels, values = [], []
        for question, candidate in judged_candidates(replies):
            labels.append(squad2.answers_in(by_question[question], truth, candidate))
            values.append(score(question, candidate))
        scored = with_judge(replies, score)
        held_out = []
        for direction, (qs, rs) in (("even -> odd", (queries, scored)),
                                    ("odd -> even", (queries[1:] + queries[:1], scored[1:] + scored[:1]))):
            threshold, row = squad2.choose_threshold(qs, truth, rs, WITH_JUDGE)
            held_out.append(row["odd"])
            print(f"  {name:>22}, {direction}: threshold {threshold:.3f} | held out: has-answer "
                  f"{row['odd'][0]:.3f} no-answer {row['odd'][1]:.3f}")
        has, none = (sum(rates[i] for rates in held_out) / 2 for i in (0, 1))
        print(f"  {name:>22}: AUC {roc_auc_score(labels, values):.3f} over {len(labels)} sentences; "
              f"mean held out: has-answer {has:.3f} no-answer {none:.3f}")


if __name__ == "__main__":
    main()
