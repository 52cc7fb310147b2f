"""The frozen news questions (`bench/news/`): 80 questions written by a reader who had not seen
the code, over 7 wire-style articles and the 5 seed articles. Nothing is designed on them.

    .venv/bin/python bench/news.py [--generators extractive llamacpp] [--wrong]

Indexes `bench/news/articles/` and `seeds/` together in a temporary folder, asks every question
with each generator, and prints answerable right (every fact stated, only the
right articles cited), unanswerable declined (abstained, nothing cited), and the time to the
first token and to the full answer (median and p95). `--wrong` lists the questions missed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seeds import percentile  # noqa: E402 - bench/seeds.py, beside this script

NEWS = ROOT / "bench" / "news"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generators", nargs="+", default=["extractive", "llamacpp"])
    parser.add_argument("--wrong", action="store_true", help="print the ids of the questions missed")
    args = parser.parse_args()

    from rag.answer.replies import Finished, Token
    from rag.evaluation import dev_answer_is_right
    from rag.service import RagService
    from rag.settings import load_settings

    items = [json.loads(line) for line in (NEWS / "questions.jsonl").read_text("utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "articles"
        folder.mkdir()
        for path in [*sorted((NEWS / "articles").glob("*.txt")), *sorted((ROOT / "seeds").glob("*.txt"))]:
            shutil.copy(path, folder / path.name)
        service = RagService(load_settings(articles_dir=folder, index_dir=Path(scratch) / "index"))
        service.warm_up()
        report = service.update_index()
        print(f"{report.articles} articles, {report.total} passages; {len(items)} questions")
        print(f"{'generator':<26} {'answerable':>10} {'declined':>9} {'all':>6} "
              f"{'first token p50/p95':>20} {'full answer p50/p95':>20}")
        for name in args.generators:
            service.generator(name).warm_up()
            assistant = service.assistant(name)
            right, first_tokens, totals, wrong = [], [], [], []
            for item in items:
                begin = time.perf_counter()
                first = None
                for event in assistant.stream(item["question"]):
                    if isinstance(event, Token) and first is None:
                        first = time.perf_counter() - begin
                    elif isinstance(event, Finished):
                        total = time.perf_counter() - begin
                        totals.append(total)
                        first_tokens.append(first if first is not None else total)
                        ok = dev_answer_is_right(item, event.answer)
                        ok = ok and (item["answerable"] or not event.answer.citations)
                        right.append(ok)
                        if not ok:
                            wrong.append(item["id"])
            answerable = sum(ok for ok, item in zip(right, items) if item["answerable"])
            declined = sum(ok for ok, item in zip(right, items) if not item["answerable"])
            n_answerable = sum(item["answerable"] for item in items)
            print(f"{name:<26} {answerable:>5}/{n_answerable:<4} {declined:>5}/{len(items) - n_answerable:<3} "
                  f"{sum(right):>3}/{len(items):<3} "
                  f"{statistics.median(first_tokens):>9.2f}/{percentile(first_tokens, 0.95):<10.2f}"
                  f"{statistics.median(totals):>9.2f}/{percentile(totals, 0.95):<10.2f}")
            if args.wrong:
                print(f"{'':<26} missed: {' '.join(wrong)}")


if __name__ == "__main__":
    main()
