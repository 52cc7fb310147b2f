"""Search latency and the cost of adding one article, as the index grows.

    .venv/bin/python bench/scale.py [--passages 10000 100000 300000] [--articles 1000 5000 10000]

Search: p50/p95 of `HybridRetriever.search` (question embedding, dense and BM25 search, fusion,
fetching the passages) in a warm process, over the development questions and the SciFact claims
when ../shared is present: first on the seed articles, then on a synthetic index grown through
each size in `--passages`. At each size the BM25 search is also timed alone, beside an SQLite
FTS5 table of the same passages (the keyword search used before), with the disk size of each
and the process's resident memory. Synthetic passages are five sentences drawn from the seeds (and SciFact) with the
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


def time_calls(call, asked: list[str]) -> tuple[float, float]:
    call("warm up")
    latencies = []
    for question in asked:
        started = time.perf_counter()
        call(question)
        latencies.append(1000 * (time.perf_counter() - started))
    return percentiles(latencies)


def time_searches(service, asked: list[str]) -> tuple[float, float]:
    return time_calls(lambda question: service.retriever.search(question, k=service.settings.k), asked)


class Fts5Table:
    """The keyword search this project used before tantivy (SQLite FTS5, Porter stemming, BM25
    over every passage holding a query word), filled with the same passages for a side-by-side
    figure; it is not part of the product."""

    def __init__(self, path: Path) -> None:
        import sqlite3

        self.connection = sqlite3.connect(path, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute(
            "CREATE VIRTUAL TABLE passages USING fts5(id UNINDEXED, content, "
            "tokenize='porter unicode61 remove_diacritics 2')"
        )

    def add(self, ids: list[str], texts: list[str]) -> None:
        with self.connection:
            self.connection.execute("BEGIN")
            self.connection.executemany("INSERT INTO passages(id, content) VALUES (?, ?)", zip(ids, texts))

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        from rag.store.keywords import query_terms

        terms = query_terms(query)
        if not terms:
            return []
        match = " OR ".join('"' + term + '"' for term in terms)
        rows = self.connection.execute(
            "SELECT id, -rank FROM passages WHERE passages MATCH ? ORDER BY rank LIMIT ?", (match, k)
        )
        return list(rows)


def fill_synthetic(service, start: int, count: int, pool: list[str], pool_vectors: np.ndarray, fts: Fts5Table) -> None:
    from langchain_core.documents import Document

    from rag.store.passages import filtered_metadata

    rng = np.random.default_rng(7 + start)
    collection = service.index.collection
    keywords = service.index.keywords
    batch = 5000
    for first in range(start, count, batch):
        ids, texts, metadatas, vectors = [], [], [], []
        for number in range(first, min(count, first + batch)):
            picks = rng.choice(len(pool), size=5, replace=False)
            text = " ".join(pool[i] for i in picks)
            vector = pool_vectors[picks].mean(axis=0)
            ids.append(f"synthetic-{number}")
            texts.append(text)
            vectors.append((vector / np.linalg.norm(vector)).tolist())
            metadatas.append({"source": f"synthetic-{number // 10}.txt", "title": f"Synthetic {number // 10}",
                              "start": 0, "end": len(text), "ordinal": number % 10, "body_offset": 0})
        # texts and most metadata in the keyword table, as indexing stores them
        collection.add(ids=ids, embeddings=vectors, metadatas=[filtered_metadata(m) for m in metadatas])
        keywords.upsert(ids, [Document(page_content=t, metadata=m) for t, m in zip(texts, metadatas)])
        fts.add(ids, texts)
        print(f"  synthetic passages written: {min(count, first + batch):,}", end="\r", file=sys.stderr)
    print(file=sys.stderr)


def folder_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def table_mib(path: Path) -> float:
    """An SQLite file with its write-ahead log."""
    return sum(p.stat().st_size for p in [path, path.with_name(path.name + "-wal")] if p.exists()) / 2**20


def resident_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_search(scratch: Path, sizes: list[int], asked: list[str]) -> None:
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
    fts = Fts5Table(scratch / "fts5-side-by-side.sqlite")
    pool = sentence_pool(4000)
    pool_vectors = np.asarray(seeds.embedder.embed_many(pool))
    keywords = big.index.keywords
    k = big.retriever.candidates
    print(f"{len(asked)} queries, {k} keyword candidates each, warm; memory is this process's resident set")
    print("| passages | BM25 (tantivy) p50 / p95 | FTS5, same passages, p50 / p95 | whole search p50 / p95 "
          "| BM25 index on disk | keyword table on disk | resident memory |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    written = 0
    for size in sorted(sizes):
        started = time.perf_counter()
        fill_synthetic(big, written, size, pool, pool_vectors, fts)
        written = size
        print(f"  (grown to {size:,} passages in {time.perf_counter() - started:.0f} s)", file=sys.stderr)
        bm25 = time_calls(lambda question: keywords.search(question, k), asked)
        side = time_calls(lambda question: fts.search(question, k), asked)
        whole = time_searches(big, asked)
        print(f"| {keywords.count():,} | {bm25[0]:.1f} / {bm25[1]:.1f} ms | {side[0]:.1f} / {side[1]:.1f} ms "
              f"| {whole[0]:.1f} / {whole[1]:.1f} ms | {folder_mib(keywords.bm25_path):.0f} MiB "
              f"| {table_mib(keywords.path):.0f} MiB | {resident_mib():.0f} MiB |", flush=True)


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
    parser.add_argument("--passages", type=int, nargs="+", default=[10_000, 100_000, 300_000])
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
