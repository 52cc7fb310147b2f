"""The reader alone on the SQuAD 2.0 benchmark sample's sentences, no retrieval.

    .venv/bin/python bench/reader.py [--graphs reader-int8.onnx reader-fp32.onnx]

Each question is read against every sentence of its own paragraph (split by the product's
splitter, each with the sentence before it). Printed per graph:
- AUC, answering sentence against near miss: an answerable question's best-scored sentence
  holding a gold answer against an unanswerable question's best-scored sentence (the sentence
  that would be quoted if anything were); the earlier yes/no judge (the language model) reached
  0.82 on this measure over the previous sample;
- AUC against the other sentences of answerable questions' paragraphs;
- with the model's threshold (`reader.json`, chosen on held-out training articles): has-answer
  (the best sentence holds a gold answer and reaches the threshold) and no-answer (no sentence
  reaches it), the span's exact match when the sentence is right, and sentences read a second.
Nothing here is used to choose anything.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = ROOT.parent / "shared" / "bench" / "squad2"


def normalise(text: str) -> str:
    return " ".join(text.casefold().split())


def auc(positives: list[float], negatives: list[float]) -> float:
    """The share of (positive, negative) pairs ranked the right way, ties counting a half."""
    if not positives or not negatives:
        return float("nan")
    pos = np.asarray(positives)[:, None]
    neg = np.asarray(negatives)[None, :]
    return float(((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (pos.size * neg.size))


def questions() -> list[dict]:
    from rag.ingest.chunking import sentence_spans
    from rag.models.reader import ReaderInput

    queries = json.loads((DATA / "queries.json").read_text("utf-8"))["queries"]
    truth = json.loads((DATA / "ground_truth.json").read_text("utf-8"))
    rows = []
    for item in queries:
        context = item["context"]
        spans = [(s, e) for s, e in sentence_spans(context) if context[s:e].strip()]
        gold = truth[item["id"]]
        answers = [normalise(a) for a in gold["answers"] if a.strip()]
        inputs, answering = [], []
        for number, (start, end) in enumerate(spans):
            before = context[spans[number - 1][0] : spans[number - 1][1]] if number else ""
            inputs.append(ReaderInput(item["question"], context[start:end], before))
            answering.append(any(a in normalise(context[start:end]) for a in answers))
        rows.append({"impossible": gold["is_impossible"], "inputs": inputs, "answering": answering, "answers": answers})
    return rows


def measure(graph: str, rows: list[dict]) -> dict:
    from rag.models.reader import Reader

    reader = Reader(graph=graph)
    threshold = reader.threshold
    reader.warm_up()
    flat = [x for row in rows for x in row["inputs"]]
    started = time.perf_counter()
    readings = reader.read(flat)
    seconds = time.perf_counter() - started
    at = 0
    best_answering, best_impossible, others = [], [], []
    has = none = exact = right_sentence = answerable = impossible = 0
    for row in rows:
        mine = readings[at : at + len(row["inputs"])]
        at += len(row["inputs"])
        scores = [r.probability for r in mine]
        if not scores:
            continue
        top = int(np.argmax(scores))
        if row["impossible"]:
            impossible += 1
            best_impossible.append(max(scores))
            none += max(scores) < threshold
            continue
        answerable += 1
        holding = [s for s, a in zip(scores, row["answering"]) if a]
        if holding:
            best_answering.append(max(holding))
        others.extend(s for s, a in zip(scores, row["answering"]) if not a)
        if row["answering"][top]:
            right_sentence += 1
            has += scores[top] >= threshold
            short = normalise(mine[top].short_answer(row["inputs"][top].sentence))
            exact += short in row["answers"]
    return {
        "graph": graph,
        "auc_near_miss": auc(best_answering, best_impossible),
        "auc_other": auc(best_answering, others),
        "threshold": threshold,
        "has_answer": has / max(answerable, 1),
        "no_answer": none / max(impossible, 1),
        "top_sentence_right": right_sentence / max(answerable, 1),
        "span_exact": exact / max(right_sentence, 1),
        "sentences_per_second": len(flat) / seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--graphs", nargs="+", default=["reader-int8.onnx", "reader-fp32.onnx"])
    args = parser.parse_args()
    if not (DATA / "queries.json").exists():
        sys.exit(f"{DATA} is absent: nothing to measure")
    rows = questions()
    print(f"{len(rows)} questions, {sum(not r['impossible'] for r in rows)} answerable, "
          f"{sum(len(r['inputs']) for r in rows)} sentences")
    print(f"{'graph':18} {'AUC near miss':>13} {'AUC other':>10} {'threshold':>9} {'has-answer':>10} "
          f"{'no-answer':>9} {'top right':>9} {'span exact':>10} {'sent/s':>7}")
    from rag.models.reader import default_model_dir

    for graph in args.graphs:
        if not (default_model_dir() / graph).exists():
            print(f"{graph:18} absent (the 32-bit graph is not committed: `make train-reader` writes it)")
            continue
        m = measure(graph, rows)
        print(f"{m['graph']:18} {m['auc_near_miss']:13.3f} {m['auc_other']:10.3f} {m['threshold']:9.2f} "
              f"{m['has_answer']:10.3f} {m['no_answer']:9.3f} {m['top_sentence_right']:9.3f} "
              f"{m['span_exact']:10.3f} {m['sentences_per_second']:7.1f}")


if __name__ == "__main__":
    main()
