"""Index time and answer latency on the seed articles.

    .venv/bin/python bench/seeds.py [--generators extractive llamacpp] [--selections generator judge]
                                    [--quick 1 0.65] [--questions FILE]

Builds a fresh index of `seeds/` in a temporary folder (cold: model load excluded and shown
apart), re-runs it unchanged, then asks every question of the development set (or FILE, one
question a line) with each generator and prints time to sources, to first token and to the
full answer. A generator with a model runs once per selection mode (`RAG_SELECTION`): picking
sentences as JSON first, or judging the system's candidates first; the first once per quick
threshold given (`RAG_QUICK_THRESHOLD`, 1 is off; by default off and the shipped one).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.answer.assistant import Assistant  # noqa: E402
from rag.answer.evidence import SentenceRanker  # noqa: E402
from rag.answer.replies import Finished, Retrieved, Token  # noqa: E402
from rag.evaluation import dev_answer_is_right  # noqa: E402
from rag.service import RagService  # noqa: E402
from rag.settings import load_settings  # noqa: E402

DEV_QA = ROOT.parent / "shared" / "eval" / "dev_qa.jsonl"


def questions(path: Path | None) -> list[dict]:
    """The questions to ask, as dev-set items (scored) or plain questions (timed only)."""
    if path:
        return [{"question": line.strip()} for line in path.read_text("utf-8").splitlines() if line.strip()]
    if DEV_QA.exists():
        return [json.loads(line) for line in DEV_QA.read_text("utf-8").splitlines() if line.strip()]
    return [{"question": "Which Russian foreign minister did Rubio meet?"}, {"question": "What is the capital of Australia?"}]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generators", nargs="+", default=["extractive", "llamacpp"])
    parser.add_argument("--selections", nargs="+", default=["generator", "judge"], choices=["generator", "judge"])
    parser.add_argument("--quick", nargs="+", type=float, help="quick thresholds for picking first")
    parser.add_argument("--questions", type=Path)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        service = RagService(load_settings(articles_dir=ROOT / "seeds", index_dir=Path(scratch) / "index"))
        started = time.perf_counter()
        service.warm_up()
        print(f"embedder load: {time.perf_counter() - started:.2f} s")

        started = time.perf_counter()
        report = service.update_index()
        built = time.perf_counter() - started
        print(f"index build: {report.articles} articles, {report.total} passages in {built:.2f} s "
              f"({report.total / built:.1f} passages/s)")
        started = time.perf_counter()
        again = service.update_index()
        print(f"unchanged re-run: added {again.added} in {time.perf_counter() - started:.2f} s")

        asked = questions(args.questions)
        print(f"\n{len(asked)} questions; times in seconds (median / p95 / max)")
        print(f"{'generator':<30} {'warm-up':>8} {'sources':>20} {'first token':>20} {'full answer':>20} abstained")
        quick = args.quick or sorted({1.0, service.settings.quick_threshold}, reverse=True)
        runs = [
            (name, mode, sure)
            for name in args.generators
            for mode in (args.selections if name != "extractive" else ["-"])
            for sure in (quick if mode == "generator" else [None])
        ]
        for name, mode, sure in runs:
            started = time.perf_counter()
            service.generator(name).warm_up()
            warm = time.perf_counter() - started
            update = {} if mode == "-" else {"selection": mode} | ({} if sure is None else {"quick_threshold": sure})
            settings = service.settings.model_copy(update=update)
            assistant = Assistant(service.retriever, service.generator(name), settings, SentenceRanker(service.embedder))
            label = name if mode == "-" else f"{name}, {mode}" + ("" if sure is None else f", quick {sure:g}")
            to_sources, to_first, to_full, abstained, right, wrong = [], [], [], 0, 0, []
            for item in asked:
                begin = time.perf_counter()
                first = None
                for event in assistant.stream(item["question"]):
                    now = time.perf_counter() - begin
                    if isinstance(event, Retrieved):
                        to_sources.append(now)
                    elif isinstance(event, Token) and first is None:
                        first = now
                    elif isinstance(event, Finished):
                        to_full.append(now)
                        to_first.append(first if first is not None else now)
                        abstained += event.answer.abstained
                        if "answerable" in item:
                            if dev_answer_is_right(item, event.answer):
                                right += 1
                            else:
                                wrong.append(item["id"])

            def row(values: list[float]) -> str:
                return f"{statistics.median(values):.2f}/{percentile(values, 0.95):.2f}/{max(values):.2f}"

            print(f"{label:<30} {warm:>8.2f} {row(to_sources):>20} {row(to_first):>20} {row(to_full):>20} "
                  f"{abstained}/{len(asked)}")
            scored = [item for item in asked if "answerable" in item]
            if scored:
                unanswerable = [item for item in scored if not item["answerable"]]
                held = sum(item["id"] not in wrong for item in unanswerable)
                print(f"{'':<30} development set: {right}/{len(scored)} right; "
                      f"{held}/{len(unanswerable)} unanswerable abstained; wrong: {wrong}")


if __name__ == "__main__":
    main()
