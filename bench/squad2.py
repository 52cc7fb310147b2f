"""Open-book question answering on the SQuAD 2.0 sample: has-answer accuracy and abstention.

    .venv/bin/python bench/squad2.py [--generators extractive llamacpp] [--limit N] [--half even|odd]

Each of the 411 distinct paragraphs of `../shared/bench/squad2/queries.json` is written as one
plain-text article (no title line) into `bench/results/squad2/articles/`, indexed by `rag index`,
and every question is asked through `rag ask --jsonl`, as a user of the command line would. The
paragraph must be found among all 411.

Scoring (the data set's README): an answerable question is right when the reply does not
abstain, contains one of the gold answers (case-folded, white space normalised) and cites a
passage of the question's own paragraph; an unanswerable one is right when the reply abstains
and cites nothing. Both rates are printed apart, per generator, with seconds per question.
Raw replies are kept in `bench/results/squad2/answers-<generator>.jsonl`.

`--half even` / `--half odd` takes every other question (by position), so a setting chosen on
one half can be reported on the other.

Choosing thresholds (`--sweep`): run once with the threshold switched off, so every candidate
sentence's coverage and judge score is recorded in the kept replies,

    RAG_MIN_COVERAGE_UNJUDGED=0 .venv/bin/python bench/squad2.py --generators extractive
    RAG_MIN_COVERAGE=0 RAG_JUDGE_THRESHOLD=1 .venv/bin/python bench/squad2.py --generators llamacpp

then `--sweep` replays the recorded replies through the library's own decision rule
(`rag.answer.first_answering`, `rag.answer.reply_text`) for each threshold, picks the one that
maximises the smaller of the two rates on the even half, and reports it on the odd half.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "bench" / "squad2"
WORK = ROOT / "bench" / "results" / "squad2"
RAG = ROOT / ".venv" / "bin" / "rag"


def normalise(text: str) -> str:
    return " ".join(text.casefold().split())


def article_name(context: str) -> str:
    return "p_" + hashlib.sha1(context.encode("utf-8")).hexdigest()[:12] + ".txt"


def load(limit: int | None, half: str | None) -> tuple[list[dict], dict]:
    queries = json.loads((DATA / "queries.json").read_text("utf-8"))["queries"]
    truth = json.loads((DATA / "ground_truth.json").read_text("utf-8"))
    if half:
        queries = queries[0 if half == "even" else 1 :: 2]
    if limit:
        queries = queries[:limit]
    return queries, truth


def write_articles(queries: list[dict], folder: Path) -> None:
    """All 411 paragraphs, whatever subset of questions is asked."""
    folder.mkdir(parents=True, exist_ok=True)
    every = json.loads((DATA / "queries.json").read_text("utf-8"))["queries"]
    for item in every:
        path = folder / article_name(item["context"])
        if not path.exists():
            path.write_text(item["context"].strip() + "\n", "utf-8")


def is_right(item: dict, truth: dict, reply: dict) -> bool:
    gold = truth[item["id"]]
    if gold["is_impossible"]:
        return bool(reply.get("abstained")) and not reply.get("citations")
    if reply.get("abstained") or "answer" not in reply:
        return False
    text = normalise(reply["answer"])
    own = article_name(item["context"])
    return any(normalise(a) in text for a in gold["answers"] if a.strip()) and any(
        c["source"] == own for c in reply.get("citations", [])
    )


def ask_all(generator: str, queries: list[dict], articles: Path, index: Path) -> tuple[list[dict], float]:
    questions = "".join(" ".join(item["question"].split()) + "\n" for item in queries)
    started = time.perf_counter()
    done = subprocess.run(
        [str(RAG), "ask", "--jsonl", "--generator", generator, "--articles", str(articles), "--index", str(index)],
        input=questions, capture_output=True, text=True, check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"rag ask failed: {done.stderr.strip()}")
    replies = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if len(replies) != len(queries):
        sys.exit(f"expected {len(queries)} replies, got {len(replies)}")
    return replies, elapsed


def report(generator: str, queries: list[dict], truth: dict, replies: list[dict], elapsed: float) -> None:
    answerable = [(q, r) for q, r in zip(queries, replies, strict=True) if not truth[q["id"]]["is_impossible"]]
    impossible = [(q, r) for q, r in zip(queries, replies, strict=True) if truth[q["id"]]["is_impossible"]]
    has = sum(is_right(q, truth, r) for q, r in answerable)
    none = sum(is_right(q, truth, r) for q, r in impossible)
    abstained_answerable = sum(bool(r.get("abstained")) for _, r in answerable)
    print(
        f"{generator:>10}: has-answer {has}/{len(answerable)} = {has / max(1, len(answerable)):.3f}  "
        f"no-answer {none}/{len(impossible)} = {none / max(1, len(impossible)):.3f}  "
        f"({abstained_answerable} answerable abstained)  "
        f"{elapsed / max(1, len(queries)):.2f} s/question"
    )
    for half, start in (("even", 0), ("odd", 1)):
        has_rate, none_rate = rates(queries[start::2], truth, replies[start::2])
        print(f"{'':>10}  {half} half: has-answer {has_rate:.3f}  no-answer {none_rate:.3f}")
    totals = sorted(r.get("timings", {}).get("total_ms", 0) / 1000 for r in replies)
    if totals:
        print(f"{'':>10}  full answer p50 {totals[len(totals) // 2]:.2f} s, "
              f"p95 {totals[min(len(totals) - 1, int(0.95 * len(totals)))]:.2f} s")


def replay(reply: dict, question: str, coverage: float, threshold: float) -> dict:
    """The reply the assistant would have given with these thresholds (see `--sweep`)."""
    from rag.answer import ABSTENTION, first_answering, reply_text
    from rag.question import analyse

    checks = reply.get("checks") or {}
    candidates = [c for c in checks.get("candidates", []) if c["coverage"] >= coverage]
    if not candidates:
        return {"abstained": True, "answer": ABSTENTION, "citations": []}
    by_number = {c["number"]: c for c in candidates}
    chosen = [n for n in checks.get("chosen", []) if n in by_number]
    # without a judge every candidate stands; with one, only the sentences it scored can pass
    has_judge = any(c["judge"] is not None for c in checks.get("candidates", []))
    judged = {c["number"]: c["judge"] for c in candidates if not has_judge or c["judge"] is not None}
    accepted = first_answering([c["number"] for c in candidates], chosen, judged, threshold)
    if not accepted:
        return {"abstained": True, "answer": ABSTENTION, "citations": []}
    cited = [by_number[n] for n in accepted]
    text, used, _ = reply_text(analyse(question), checks.get("candidate_answer", ""), [c["text"] for c in cited])
    return {"abstained": False, "answer": text, "citations": [{"source": c["source"]} for c in cited[:used]]}


def rates(queries: list[dict], truth: dict, replies: list[dict]) -> tuple[float, float]:
    pairs = list(zip(queries, replies, strict=True))
    answerable = [(q, r) for q, r in pairs if not truth[q["id"]]["is_impossible"]]
    impossible = [(q, r) for q, r in pairs if truth[q["id"]]["is_impossible"]]
    has = sum(is_right(q, truth, r) for q, r in answerable) / max(1, len(answerable))
    none = sum(is_right(q, truth, r) for q, r in impossible) / max(1, len(impossible))
    return has, none


def sweep(generator: str, queries: list[dict], truth: dict, replies: list[dict]) -> None:
    """Choose the threshold on the even half, report it on the odd half."""
    if generator == "extractive":
        grid = [(c / 20, 0.0) for c in range(0, 21)]
        name = "min_coverage"
    else:
        grid = [(c, t / 20) for c in (0.0, 0.3, 0.5, 0.6, 0.7) for t in range(0, 21)]
        name = "min_coverage, judge_threshold"
    halves = {"even": (queries[0::2], replies[0::2]), "odd": (queries[1::2], replies[1::2])}
    table = []
    for coverage, threshold in grid:
        row = {}
        for half, (qs, rs) in halves.items():
            replayed = [replay(r, " ".join(q["question"].split()), coverage, threshold) for q, r in zip(qs, rs, strict=True)]
            row[half] = rates(qs, truth, replayed)
        table.append(((coverage, threshold), row))
        value = f"{coverage:.2f}" if generator == "extractive" else f"{coverage:.2f}, {threshold:.2f}"
        print(f"  {name} {value}: even has {row['even'][0]:.3f} no {row['even'][1]:.3f} | "
              f"odd has {row['odd'][0]:.3f} no {row['odd'][1]:.3f}")
    best = max(table, key=lambda item: min(item[1]["even"]))
    value = f"{best[0][0]:.2f}" if generator == "extractive" else f"{best[0][0]:.2f}, {best[0][1]:.2f}"
    print(f"{generator}: chosen on the even half {name} = {value}; held-out odd half: "
          f"has-answer {best[1]['odd'][0]:.3f}, no-answer {best[1]['odd'][1]:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generators", nargs="+", default=["extractive", "llamacpp"])
    parser.add_argument("--limit", type=int, help="ask only the first N questions")
    parser.add_argument("--half", choices=["even", "odd"], help="every other question")
    parser.add_argument("--rescore", action="store_true", help="score the kept replies again, asking nothing")
    parser.add_argument("--sweep", action="store_true", help="choose thresholds on the kept replies (see above)")
    args = parser.parse_args()
    if not (DATA / "queries.json").exists():
        sys.exit(f"{DATA} is absent: nothing to measure")

    queries, truth = load(args.limit, args.half)
    articles, index = WORK / "articles", WORK / "index"
    if args.sweep:
        for generator in args.generators:
            kept = [json.loads(line) for line in (WORK / f"answers-{generator}.jsonl").read_text("utf-8").splitlines()]
            by_question = {line["question"]: line for line in kept}
            replies = [by_question[" ".join(q["question"].split())] for q in queries]
            sweep(generator, queries, truth, replies)
        return
    if not args.rescore:
        write_articles(queries, articles)
        built = subprocess.run(
            [str(RAG), "index", "--json", "--articles", str(articles), "--index", str(index)],
            capture_output=True, text=True, check=False,
        )
        if built.returncode != 0:
            sys.exit(f"rag index failed: {built.stderr.strip()}")
        print(f"index: {built.stdout.strip()}")
    print(f"{len(queries)} questions, {sum(not truth[q['id']]['is_impossible'] for q in queries)} answerable")
    for generator in args.generators:
        kept = WORK / f"answers-{generator}.jsonl"
        if args.rescore:
            lines = [json.loads(line) for line in kept.read_text("utf-8").splitlines()]
            by_question = {line["question"]: line for line in lines}
            replies = [by_question[" ".join(q["question"].split())] for q in queries]
            elapsed = sum(r.get("timings", {}).get("total_ms", 0) for r in replies) / 1000
        else:
            replies, elapsed = ask_all(generator, queries, articles, index)
            kept.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in replies), "utf-8")
        report(generator, queries, truth, replies, elapsed)


if __name__ == "__main__":
    main()
