"""Search latency and the cost of adding one article, as the index grows.

    .venv/bin/python bench/scale.py [--passages 100000] [--articles 1000 5000 10000]

Search: p50/p95 of `HybridRetriever.search` (question embedding, dense and BM25 search, fusion,
fetching the passages) in a warm process, over the development questions and the SciFact claims
when ../shared is present: first on the seed articles, then on a synthetic index of `--passages`
passages. Synthetic passages are five sentences drawn from the seeds (and SciFact) with the
mean of their sentence vectors as the passage vector; they are written straight into the
product's Chroma collection and BM25 table, since embedding 100,000 passages would take hours
on two cores and the search cost does not depend on how the vectors were made.

Adding one article: a real index of short synthetic articles built with `rag`'s own update, grown
to each size in `--articles`; at each size one seed article is dropped in and the update that
picks it up is timed (warm process, as the page's Update button runs it).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared"
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def queries() -> list[str]:
    found = []
    dev = SHARED / "eval" / "dev_qa.jsonl"
    if dev.exists():
        found += [json.loads(line)["question"] for line in dev.read_text("utf-8").splitlines() if line.strip()]
    claims = SHARED / "bench" / "scifact" / "queries.jsonl"
    if claims.exists():
        found += [json.loads(line)["text"] for line in claims.read_text("utf-8").splitlines() if line.strip()]
    return found or ["Which Russian foreign minister did Rubio meet?", "What did the study find?"]


def sentence_pool(limit: int) -> list[str]:
    texts = [path.read_text("utf-8") for path in sorted((ROOT / "seeds").glob("*.txt"))]
    corpus = SHARED / "bench" / "scifact" / "corpus.jsonl"
    if corpus.exists():
        with corpus.open(encoding="utf-8") as lines:
            texts += [json.loads(line)["text"] for _, line in zip(range(600), lines)]
    pool = [s.strip() for text in texts for s in SENTENCE.split(text) if 6 <= len(s.split()) <= 60]
    random.Random(7).shuffle(pool)
    return pool[:limit]


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def time_searches(service, asked: list[str]) -> tuple[float, float]:
    service.retriever.search("warm up", k=4)
    latencies = []
    for question in asked:
        started = time.perf_counter()
        service.retriever.search(question, k=service.settings.k)
        latencies.append(1000 * (time.perf_counter() - started))
    return percentiles(latencies)


def fill_synthetic(service, count: int, pool: list[str], pool_vectors: np.ndarray) -> None:
    from langchain_core.documents import Document

    rng = np.random.default_rng(7)
    collection = service.index.collection
    keywords = service.index.keywords
    batch = 5000
    for start in range(0, count, batch):
        ids, texts, metadatas, vectors = [], [], [], []
        for number in range(start, min(count, start + batch)):
            picks = rng.choice(len(pool), size=5, replace=False)
            text = " ".join(pool[i] for i in picks)
            vector = pool_vectors[picks].mean(axis=0)
            ids.append(f"synthetic-{number}")
            texts.append(text)
            vectors.append((vector / np.linalg.norm(vector)).tolist())
            metadatas.append({"source": f"synthetic-{number // 10}.txt", "title": f"Synthetic {number // 10}",
                              "start": 0, "end": len(text), "ordinal": number % 10, "body_offset": 0})
        collection.add(ids=ids, embeddings=vectors, documents=texts, metadatas=metadatas)
        keywords.upsert(ids, [Document(page_content=t, metadata=m) for t, m in zip(texts, metadatas)])
        print(f"  synthetic passages written: {min(count, start + batch):,}", end="\r", file=sys.stderr)
    print(file=sys.stderr)


def bench_search(scratch: Path, passages: int, asked: list[str]) -> None:
    from rag.service import RagService
    from rag.settings import load_settings

    seeds = RagService(load_settings(articles_dir=ROOT / "seeds", index_dir=scratch / "seeds-index"))
    seeds.update_index()
    p50, p95 = time_searches(seeds, asked)
    print(f"search, seeds ({seeds.index.keywords.count()} passages), {len(asked)} queries: "
          f"p50 {p50:.1f} ms, p95 {p95:.1f} ms")

    empty = scratch / "empty"
    empty.mkdir()
    big = RagService(load_settings(articles_dir=empty, index_dir=scratch / "big-index"), embedder=seeds.embedder)
    pool = sentence_pool(4000)
    started = time.perf_counter()
    pool_vectors = np.asarray(seeds.embedder.embed_many(pool))
    fill_synthetic(big, passages, pool, pool_vectors)
    print(f"  (synthetic index built in {time.perf_counter() - started:.0f} s)", file=sys.stderr)
    p50, p95 = time_searches(big, asked)
    print(f"search, synthetic ({big.index.keywords.count():,} passages), {len(asked)} queries: "
          f"p50 {p50:.1f} ms, p95 {p95:.1f} ms")


def short_article(number: int, pool: list[str], rng: random.Random) -> str:
    body = " ".join(rng.sample(pool, 3))
    return f"Bulletin {number}\n\n{body}\n"


def bench_add_one(scratch: Path, sizes: list[int]) -> None:
    from rag.service import RagService
    from rag.settings import load_settings

    folder = scratch / "many"
    folder.mkdir()
    service = RagService(load_settings(articles_dir=folder, index_dir=scratch / "many-index"))
    pool = sentence_pool(100_000)
    rng = random.Random(11)
    written = 0
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    for step, size in enumerate(sizes):
        while written < size:
            (folder / f"bulletin-{written:05d}.txt").write_text(short_article(written, pool, rng), "utf-8")
            written += 1
        started = time.perf_counter()
        service.update_index()
        grown = time.perf_counter() - started
        seed = seeds[step % len(seeds)]
        shutil.copy(seed, folder / f"added-{step}-{seed.name}")
        started = time.perf_counter()
        report = service.update_index()
        added = time.perf_counter() - started
        print(f"add one article to {size:,} articles: {added:.2f} s "
              f"({report.added} passages embedded; growing the index to this size took {grown:.0f} s)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--articles", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--skip-add", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        if not args.skip_search:
            bench_search(Path(scratch), args.passages, queries())
        if not args.skip_add:
            bench_add_one(Path(scratch), args.articles)


if __name__ == "__main__":
    main()
