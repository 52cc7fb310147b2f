"""Retrieval on the development questions: recall@5 of the gold articles, and MRR.

    .venv/bin/python bench/dev_retrieval.py

Indexes `seeds/` into a temporary folder and runs every answerable question of
../shared/eval/dev_qa.jsonl through the product's retriever. Recall@5: the share of a question's
gold articles that have a passage among the first five. MRR: the mean of 1/rank of the first
passage from a gold article.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEV_QA = ROOT.parent / "shared" / "eval" / "dev_qa.jsonl"


def main() -> None:
    if not DEV_QA.exists():
        sys.exit(f"development set not found at {DEV_QA}")
    from rag.service import RagService
    from rag.settings import load_settings

    items = [json.loads(line) for line in DEV_QA.read_text("utf-8").splitlines() if line.strip()]
    items = [item for item in items if item["answerable"]]
    with tempfile.TemporaryDirectory() as scratch:
        service = RagService(load_settings(articles_dir=ROOT / "seeds", index_dir=Path(scratch) / "index"))
        service.update_index()
        recall, reciprocal = [], []
        for item in items:
            sources = [p.source for p in service.retriever.search(item["question"], k=20)]
            gold = set(item["sources"])
            recall.append(len(gold & set(sources[:5])) / len(gold))
            reciprocal.append(next((1 / rank for rank, s in enumerate(sources, start=1) if s in gold), 0.0))
    print(f"{len(items)} answerable development questions: recall@5 {statistics.mean(recall):.3f}, "
          f"MRR {statistics.mean(reciprocal):.3f}")


if __name__ == "__main__":
    main()
