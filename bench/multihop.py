"""Questions that need several news articles at once: the MultiHop-RAG sample (`../shared/bench/multihop/`).

    .venv/bin/python bench/multihop.py [--generator extractive|llamacpp] [--limit N]
                                       [--kinds inference comparison temporal null] [--jsonl OUT] [--fresh]

The 326 articles of `articles/` (title, `Published:`, author, `Source:`, text) are indexed as
they are, by the product's own `RagService.update_index`, into a throwaway folder under the
system's temporary directory named by a hash of the articles' names and contents
(`rag-multihop-<hash>/index`): a rerun finds it and only checks it is in step (`--fresh`
deletes it and builds it again). Every question of `queries.json` (or the first N of the kinds
asked) is then put through the product's default answer path, `RagService.assistant(generator).ask`,
with the generator given (default: the product's, `RAG_GENERATOR` / `rag.settings`).
The generator's model is loaded before the first question; its load time is printed apart.

Scoring, as the data set's README defines it, one rule per gold answer (not per question type):

- null (`question_type` null_query, gold "Insufficient information."): right when the reply
  abstains (`Answer.abstained`) and cites nothing.
- yes/no (gold "Yes" or "No", in any case; comparison and temporal questions): right when the
  reply does not abstain and its first word is the gold one. The first word is the reply's first
  run of letters, case-folded, after any leading quotes, brackets or markup ("**Yes**," -> yes).
  Nothing else counts: "The articles agree, so yes" is wrong, and so is every abstention, even
  one whose wording starts with "No".
- bridge/entity (every other gold: the inference questions' bridge entity, and the few
  comparison and temporal questions whose gold is a word such as "Consistent" or "True"): right
  when the reply does not abstain and holds the gold answer as a substring, both case-folded with
  white space collapsed, and the gold's own surrounding full stops and spaces dropped
  ("Companies." -> "companies").

The three rates are printed apart (right/asked), then by question type, overall, and seconds a
question (the whole `ask`, p50 and mean), each beside the target it is held to. `--jsonl OUT`
writes one line a question: id, type, rule, gold, right, seconds and the reply (`Answer.as_dict`).
Nothing here is tuned to these questions: the script only measures. The paper's best reported
figure with retrieved chunks was GPT-4 at 0.56 accuracy overall.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# helpers of the benchmarks beside this one: bench/squad2.py (case-folded, white space
# collapsed) and bench/seeds.py
from squad2 import normalise

from seeds import percentile

DATA = ROOT.parent / "shared" / "bench" / "multihop"
KINDS = ("inference", "comparison", "temporal", "null")
RULES = ("bridge/entity", "yes/no", "null")
TARGETS = {"bridge/entity": 0.60, "yes/no": 0.60, "null": 0.90}
SECONDS_TARGET = 10.0
FIRST_WORD = re.compile(r"[^\W\d_]+")  # a run of letters


def kind(item: dict) -> str:
    return item["question_type"].removesuffix("_query")


def rule(item: dict, gold: str) -> str:
    """Which scoring rule a question falls under, by its gold answer."""
    if kind(item) == "null":
        return "null"
    if normalise(gold) in ("yes", "no"):
        return "yes/no"
    return "bridge/entity"


def first_word(text: str) -> str:
    found = FIRST_WORD.search(text)
    return found.group(0).casefold() if found else ""


def is_right(which: str, gold: str, answer) -> bool:
    if which == "null":
        return bool(answer.abstained) and not answer.citations
    if answer.abstained:
        return False
    if which == "yes/no":
        return first_word(answer.answer) == normalise(gold)
    wanted = normalise(gold).strip(" .")
    return bool(wanted) and wanted in normalise(answer.answer)


def load(kinds: list[str], limit: int | None) -> tuple[list[dict], dict]:
    queries = json.loads((DATA / "queries.json").read_text("utf-8"))["queries"]
    truth = json.loads((DATA / "ground_truth.json").read_text("utf-8"))
    queries = [item for item in queries if kind(item) in kinds]
    return (queries[:limit] if limit else queries), truth


def articles_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.txt")):
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def rate(right: int, asked: int) -> str:
    return f"{right}/{asked} = {right / asked:.3f}" if asked else "0/0 =   -  "


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generator", choices=["extractive", "llamacpp", "openai"],
                        help="default: the product's (RAG_GENERATOR, rag.settings)")
    parser.add_argument("--limit", type=int, help="ask only the first N questions (of the kinds asked)")
    parser.add_argument("--kinds", nargs="+", default=list(KINDS),
                        type=lambda name: name.removesuffix("_query"), choices=KINDS)
    parser.add_argument("--jsonl", type=Path, help="write each question's reply and score here")
    parser.add_argument("--fresh", action="store_true", help="delete the cached index and build it again")
    args = parser.parse_args()
    if not (DATA / "queries.json").exists():
        sys.exit(f"{DATA} is absent: nothing to measure")

    from rag.service import RagService
    from rag.settings import load_settings

    queries, truth = load(args.kinds, args.limit)
    articles = DATA / "articles"
    cache = Path(tempfile.gettempdir()) / f"rag-multihop-{articles_hash(articles)}"
    if args.fresh and cache.exists():
        shutil.rmtree(cache)
    service = RagService(load_settings(articles_dir=articles, index_dir=cache / "index"))
    generator = args.generator or service.settings.generator

    started = time.perf_counter()
    service.warm_up()
    report = service.update_index()
    print(f"index {cache / 'index'}: {report.articles} articles, {report.total} passages "
          f"(added {report.added}, unchanged {report.unchanged}) in {time.perf_counter() - started:.1f} s "
          "with the embedder's load")
    started = time.perf_counter()
    service.generator(generator).warm_up()
    print(f"generator {generator}: loaded in {time.perf_counter() - started:.1f} s (not counted below)")
    assistant = service.assistant(generator)

    out = args.jsonl.open("w", encoding="utf-8") if args.jsonl else None
    rows = []
    try:
        for number, item in enumerate(queries, 1):
            gold = truth[item["id"]]["answer"]
            which = rule(item, gold)
            begin = time.perf_counter()
            answer = assistant.ask(item["question"])
            seconds = time.perf_counter() - begin
            right = is_right(which, gold, answer)
            rows.append((item, which, right, seconds))
            print(f"[{number}/{len(queries)}] {item['id']:>4} {kind(item):<10} {which:<13} "
                  f"{'right' if right else 'wrong'} {seconds:5.1f} s  gold {gold!r}  "
                  f"reply {' '.join(answer.answer.split())[:90]!r}", flush=True)
            if out:
                line = {"id": item["id"], "question_type": item["question_type"], "rule": which, "gold": gold,
                        "right": right, "seconds": round(seconds, 3), "reply": answer.as_dict()}
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
                out.flush()
    finally:
        if out:
            out.close()
    if not rows:
        sys.exit("no questions of the kinds asked")

    print(f"\n{generator}: {len(rows)} questions")
    for which in RULES:
        mine = [right for _, r, right, _ in rows if r == which]
        print(f"  {which:<14} {rate(sum(mine), len(mine)):<18} target >= {TARGETS[which]:.2f}")
    for name in KINDS:
        mine = [right for item, _, right, _ in rows if kind(item) == name]
        if mine:
            print(f"    {name + ' questions':<20} {rate(sum(mine), len(mine))}")
    print(f"  {'overall':<14} {rate(sum(right for *_, right, _ in rows), len(rows))}")
    seconds = [s for *_, s in rows]
    print(f"  seconds/question p50 {statistics.median(seconds):.2f}, mean {statistics.fmean(seconds):.2f}, "
          f"p95 {percentile(seconds, 0.95):.2f}  target < {SECONDS_TARGET:g} s")
    if args.jsonl:
        print(f"  replies: {args.jsonl}")


if __name__ == "__main__":
    main()
