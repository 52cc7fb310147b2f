"""Ingestion throughput of each embedder backend, against raw `SentenceTransformer.encode`.

    .venv/bin/python bench/ingest.py [--articles N] [--embedders torch onnx onnx-int8] [--one-step]

For each backend, indexes the first N SciFact abstracts (../shared/bench/scifact; the seed
articles when it is absent) into a fresh temporary index in this process with the model already
loaded, then encodes exactly the stored passage texts with that backend alone. Last, raw torch
`SentenceTransformer.encode` encodes the same passages, and every rate is printed as a multiple
of it, all in one run. Everything `rag index` adds to encoding (reading, cleaning, splitting,
hashing, the record manager, Chroma and the BM25 table) is the gap between a backend's two rows.
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
    parser.add_argument("--embedders", nargs="+", default=["torch", "onnx", "onnx-int8"])
    parser.add_argument("--one-step", action="store_true", help="also index with no encoding ahead (RAG_EMBED_AHEAD=false)")
    args = parser.parse_args()

    from rag.embedding import SentenceTransformerEmbeddings
    from rag.service import RagService
    from rag.settings import load_settings

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "articles"
        described = write_corpus(folder, args.articles)
        rows = []
        texts: list[str] = []
        for embedder in args.embedders:
            settings = load_settings(articles_dir=folder, index_dir=Path(scratch) / f"index-{embedder}", embedder=embedder)
            service = RagService(settings)
            service.embedder.warm_up()
            service.embedder.embed_documents(["warm up the kernels"] * 8)
            if args.one_step:  # the same index built with no encoding ahead, for comparison
                one_step = RagService(
                    settings.model_copy(update={"embed_ahead": False, "index_dir": Path(scratch) / f"one-step-{embedder}"}),
                    embedder=service.embedder,
                )
                started = time.perf_counter()
                report = one_step.update_index()
                rows.append(("  rag index, no encoding ahead", report.total, time.perf_counter() - started))
            started = time.perf_counter()
            report = service.update_index()
            rows.append((f"rag index, {service.embedder.name}", report.total, time.perf_counter() - started))
            texts = texts or [doc.page_content for doc in service.index.keywords.get(service.index.keywords.ids()).values()]
            started = time.perf_counter()
            service.embedder.embed_documents(texts)
            rows.append(("  its encoder alone", len(texts), time.perf_counter() - started))

        torch = SentenceTransformerEmbeddings()
        torch.warm_up()
        torch.model.encode(["warm up the kernels"] * 8)
        started = time.perf_counter()
        torch.model.encode(texts, batch_size=torch.batch_size, normalize_embeddings=True)
        raw = len(texts) / (time.perf_counter() - started)

    print(f"corpus: {described}, {len(texts)} passages")
    print(f"{'':40} {'seconds':>8} {'passages/s':>11} {'x raw torch':>12}")
    print(f"{'SentenceTransformer.encode (raw torch)':40} {len(texts) / raw:8.1f} {raw:11.1f} {1.0:12.2f}")
    for label, count, seconds in rows:
        print(f"{label:40} {seconds:8.1f} {count / seconds:11.1f} {count / seconds / raw:12.2f}")


if __name__ == "__main__":
    main()
