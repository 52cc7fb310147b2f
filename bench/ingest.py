"""Ingestion throughput: `rag index` against raw `SentenceTransformer.encode` on the same passages.

    .venv/bin/python bench/ingest.py [--articles N]

Indexes the first N SciFact abstracts (../shared/bench/scifact; the seed articles when it is
absent) into a fresh temporary index in this process with the model already loaded, then encodes
exactly the stored passage texts with the same model and batch size, and prints both rates and
their ratio. Everything `rag index` adds to encoding (reading, cleaning, splitting, hashing, the
record manager, Chroma and the BM25 table) is in the gap between the two.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCIFACT = ROOT.parent / "shared" / "bench" / "scifact" / "corpus.jsonl"


def write_corpus(folder: Path, count: int) -> str:
    folder.mkdir(parents=True)
    if not SCIFACT.exists():
        for path in (ROOT / "seeds").glob("*.txt"):
            shutil.copy(path, folder / path.name)
        return "the seed articles"
    with SCIFACT.open(encoding="utf-8") as corpus:
        for _, line in zip(range(count), corpus):
            doc = json.loads(line)
            (folder / f"{doc['_id']}.txt").write_text(f"{doc['title']}\n\n{doc['text']}\n", "utf-8")
    return f"{count} SciFact abstracts"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    args = parser.parse_args()

    from rag.service import RagService
    from rag.settings import load_settings

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "articles"
        described = write_corpus(folder, args.articles)
        service = RagService(load_settings(articles_dir=folder, index_dir=Path(scratch) / "index"))
        service.embedder.warm_up()
        service.embedder.embed_documents(["warm up the kernels"] * 8)

        started = time.perf_counter()
        report = service.update_index()
        indexed = time.perf_counter() - started
        texts = [doc.page_content for doc in service.index.keywords.get(service.index.keywords.ids()).values()]

        started = time.perf_counter()
        service.embedder.model.encode(texts, batch_size=service.embedder.batch_size, normalize_embeddings=True)
        encoded = time.perf_counter() - started

    index_rate = report.total / indexed
    raw_rate = len(texts) / encoded
    print(f"corpus: {described}, {report.total} passages")
    print(f"rag index (model loaded):    {indexed:7.1f} s  {index_rate:6.1f} passages/s")
    print(f"SentenceTransformer.encode:  {encoded:7.1f} s  {raw_rate:6.1f} passages/s")
    print(f"ratio: {index_rate / raw_rate:.2f}")


if __name__ == "__main__":
    main()
