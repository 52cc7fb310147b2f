"""Ingestion throughput of each embedder backend, against raw `SentenceTransformer.encode`.

    .venv/bin/python bench/ingest.py [--articles N] [--embedders torch onnx onnx-int8] [--one-step] [--rounds R]

For each backend, indexes the first N SciFact abstracts (../shared/bench/scifact; the seed
articles when it is absent) into a fresh temporary index in this process with the models already
loaded and the stores open (that start-up, the page's warm-up and opening the stores, is printed
on its own row), then encodes exactly the stored passage texts with that backend alone; the two
take turns R times (3 by default, each indexing into a new index with the line caches emptied,
the one going first alternating) and their medians are printed, with each round's rate. Last,
raw torch `SentenceTransformer.encode` encodes the same passages, and every rate is printed as a
multiple of it, all in one run. Everything `rag index` adds to encoding (reading, cleaning,
splitting, hashing, the record manager, Chroma and the BM25 table) is the gap between a
backend's two rows.
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
    parser.add_argument("--rounds", type=int, default=3, help="indexings and encodings taken in turn; medians printed")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    from rag.ingest.dates import parse_date
    from rag.language import nlp
    from rag.service import RagService
    from rag.settings import load_settings
    from rag.store.embedding import SentenceTransformerEmbeddings

    def forget_articles() -> None:
        """Empty the caches that remember lines already read, so each indexing reads them anew."""
        parse_date.cache_clear()
        nlp.parse.cache_clear()

    def opened(settings, embedder=None) -> RagService:
        service = RagService(settings, embedder=embedder)
        service.index.store, service.index.record_manager  # noqa: B018 - opened, not used
        return service

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "articles"
        described = write_corpus(folder, args.articles)
        rows = []
        notes: list[str] = []
        texts: list[str] = []
        for embedder in args.embedders:
            settings = load_settings(articles_dir=folder, index_dir=Path(scratch) / f"index-{embedder}", embedder=embedder)
            # Start-up is timed apart from indexing, as the encoder's model is loaded before it is
            # timed: the models the page warms up (the encoder, spaCy, WordNet), dateparser's
            # tables, then the stores (importing Chroma among them).
            started = time.perf_counter()
            service = opened(settings)
            service.warm_up()
            parse_date("1 March 2024")
            opening = time.perf_counter() - started
            service.embedder.embed_documents(["warm up the kernels"] * 8)
            if args.one_step:  # the same index built with no encoding ahead, for comparison
                one_step = opened(
                    settings.model_copy(update={"embed_ahead": False, "index_dir": Path(scratch) / f"one-step-{embedder}"}),
                    service.embedder,
                )
                forget_articles()
                started = time.perf_counter()
                report = one_step.update_index()
                rows.append(("  rag index, no encoding ahead", report.total, time.perf_counter() - started))
            # Indexing and encoding alone take turns, each round into a new index, so that a
            # slower spell of the machine falls on both; the medians are compared.
            # Which of the two goes first alternates (the first round must index first, to know
            # the passages), so neither always runs on a machine the other has just warmed.
            indexing, encoding = [], []

            def encode_alone() -> None:
                started = time.perf_counter()
                service.embedder.embed_documents(texts)
                encoding.append(time.perf_counter() - started)

            for round_ in range(args.rounds):
                if round_:
                    service = opened(settings.model_copy(update={"index_dir": Path(scratch) / f"index-{embedder}-{round_}"}),
                                     service.embedder)
                if round_ % 2:
                    encode_alone()
                forget_articles()
                started = time.perf_counter()
                report = service.update_index()
                indexing.append(time.perf_counter() - started)
                texts = texts or [doc.page_content for doc in service.index.keywords.get(service.index.keywords.ids()).values()]
                assert report.total == len(texts), "every indexing stores the same passages"
                if not round_ % 2:
                    encode_alone()
            rows.append((f"rag index, {service.embedder.name}", report.total, statistics.median(indexing)))
            rows.append(("  start-up before it (not in the rate)", None, opening))
            rows.append(("  its encoder alone", len(texts), statistics.median(encoding)))
            rates = [e / i for i, e in zip(indexing, encoding, strict=True)]
            notes.append(
                f"{service.embedder.name}: rate of rag index / its encoder's, round by round: "
                f"{', '.join(f'{rate:.2f}' for rate in rates)} (median {statistics.median(rates):.2f})"
            )

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
        if count is None:
            print(f"{label:40} {seconds:8.1f}")
        else:
            print(f"{label:40} {seconds:8.1f} {count / seconds:11.1f} {count / seconds / raw:12.2f}")
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
