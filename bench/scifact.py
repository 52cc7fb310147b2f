"""Retrieval quality on BEIR SciFact (test split), measured with the product's own index.

    .venv/bin/python bench/scifact.py [--work DIR] [--levers] [--embedder torch|onnx|onnx-int8]

Writes each of the 5,183 abstracts as one article (title, blank line, text) into
`<work>/articles`, builds the index with `rag index` (a separate process, as a user would),
then runs the 300 test claims through the product's retriever and prints nDCG@10 over distinct
articles (a passage counts for the abstract it came from, first occurrence only), recall@100,
and the published rows beside ours. With `--levers` it also scores the alternatives that were
tried, on the same index. The benchmark is read from ../shared/bench/scifact and never copied
into the repository.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = ROOT.parent / "shared" / "bench" / "scifact"
PUBLISHED = [
    ("BM25 (BEIR paper)", 0.665),
    ("all-MiniLM-L6-v2 dense (MTEB)", 0.645),
    ("BM25 + MiniLM cross-encoder re-ranking (BEIR paper)", 0.688),
]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    for line in path.read_text("utf-8").splitlines()[1:]:
        query_id, doc_id, score = line.split("\t")
        if int(score) > 0:
            qrels.setdefault(query_id, {})[doc_id] = int(score)
    return qrels


def write_articles(corpus: list[dict], folder: Path) -> None:
    """One file per abstract, named by its id; files already written are left alone."""
    folder.mkdir(parents=True, exist_ok=True)
    for doc in corpus:
        path = folder / f"{doc['_id']}.txt"
        if not path.exists():
            path.write_text(f"{doc['title'].strip()}\n\n{doc['text'].strip()}\n", "utf-8")


def ndcg_at(ranked: list[str], relevant: dict[str, int], cutoff: int = 10) -> float:
    dcg = sum(relevant.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranked[:cutoff]))
    ideal = sorted(relevant.values(), reverse=True)[:cutoff]
    idcg = sum(score / math.log2(rank + 2) for rank, score in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def distinct_articles(sources: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for source in sources:
        seen.setdefault(Path(source).stem, None)
    return list(seen)


def score(search: Callable[[str], list[str]], queries: list[dict], qrels) -> dict[str, float]:
    ndcg, recall, latencies = [], [], []
    for query in queries:
        relevant = qrels[query["_id"]]
        started = time.perf_counter()
        ranked = distinct_articles(search(query["text"]))
        latencies.append(time.perf_counter() - started)
        ndcg.append(ndcg_at(ranked, relevant))
        recall.append(len(set(ranked[:100]) & set(relevant)) / len(relevant))
    latencies.sort()
    return {
        "ndcg@10": sum(ndcg) / len(ndcg),
        "recall@100": sum(recall) / len(recall),
        "p50_ms": 1000 * latencies[len(latencies) // 2],
    }


def build_index(articles: Path, index: Path, extra_env: dict[str, str]) -> dict:
    env = {**os.environ, "RAG_ARTICLES_DIR": str(articles), "RAG_INDEX_DIR": str(index), **extra_env}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "rag.cli", "index", "--json"],
        env=env, cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True,
    )
    report = json.loads(done.stdout)
    report["seconds"] = time.perf_counter() - started
    return report


def retriever_for(service, **changes):
    from rag.retrieve.retrieval import HybridRetriever

    settings = service.settings
    options = {"k": settings.k, "candidates": settings.candidates, "dense_weight": settings.dense_weight,
               "fusion": settings.fusion, "rrf_k": settings.rrf_k, **changes}
    return HybridRetriever(index=service.index, **options)


def mpnet_rescorer(retriever, model_dir: Path, depth: int = 20):
    """Re-score the top `depth` passages with all-mpnet-base-v2, mixed half and half."""
    import numpy as np
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu")

    def search(query: str) -> list[str]:
        found = retriever.search(query, k=100)
        top, rest = found[:depth], found[depth:]
        vectors = model.encode([query] + [p.document.page_content for p in top], normalize_embeddings=True)
        mpnet = vectors[1:] @ vectors[0]
        fused = np.array([p.score for p in top])
        mixed = 0.5 * mpnet / mpnet.max() + 0.5 * fused / fused.max()
        order = np.argsort(-mixed)
        return [top[i].source for i in order] + [p.source for p in rest]

    return search


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "results" / "scifact")
    parser.add_argument("--levers", action="store_true", help="also score the retrieval alternatives tried")
    parser.add_argument("--chunk-size", type=int, help="build a separate index with this passage size")
    parser.add_argument("--no-title", action="store_true", help="build a separate index without titles in passages")
    parser.add_argument("--embedder", choices=["torch", "onnx", "onnx-int8"], help="build a separate index with this embedder")
    parser.add_argument("--mpnet", type=Path, metavar="DIR", help="also re-score with all-mpnet-base-v2 from DIR")
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"SciFact not found at {DATA}")

    from rag.service import RagService
    from rag.settings import load_settings

    corpus = read_jsonl(DATA / "corpus.jsonl")
    qrels = read_qrels(DATA / "qrels" / "test.tsv")
    queries = [q for q in read_jsonl(DATA / "queries.jsonl") if q["_id"] in qrels]
    articles = args.work / "articles"
    write_articles(corpus, articles)

    overrides: dict[str, object] = {}
    if args.chunk_size:
        overrides["chunk_size"] = args.chunk_size
    if args.no_title:
        overrides["title_in_passage"] = False
    if args.embedder:
        overrides["embedder"] = args.embedder
    tag = "-".join(f"{key}={value}" for key, value in overrides.items())
    index_dir = args.work / (f"index-{tag}" if tag else "index")
    env = {f"RAG_{key.upper()}": str(value) for key, value in overrides.items()}
    report = build_index(articles, index_dir, env)
    print(f"rag index: {report['total']} passages from {len(corpus)} abstracts; "
          f"{report['added']} embedded in {report['seconds']:.1f} s")

    settings = load_settings(articles_dir=articles, index_dir=index_dir, **overrides)
    service = RagService(settings)
    service.retriever.search("warm up", k=1)

    def ranked_sources(retriever):
        return lambda query: [p.source for p in retriever.search(query, k=100)]

    name = "ours: default (standardised scores 0.5/0.5, 100 candidates" + (f", {tag})" if tag else ")")
    systems = [(name, ranked_sources(service.retriever))]
    if args.levers:
        systems += [
            ("  BM25 only (tantivy, Porter stemming, accents folded)", ranked_sources(retriever_for(service, dense_weight=0.0))),
            ("  dense only (all-MiniLM-L6-v2, title in passage)", ranked_sources(retriever_for(service, dense_weight=1.0))),
            ("  scores divided by the best of their kind, 0.5/0.5", ranked_sources(retriever_for(service, fusion="scores"))),
            ("  reciprocal rank fusion, k=60, 100 candidates", ranked_sources(retriever_for(service, fusion="rrf"))),
            ("  reciprocal rank fusion, k=60, 40 candidates", ranked_sources(retriever_for(service, fusion="rrf", candidates=40))),
            ("  standardised scores, 40 candidates", ranked_sources(retriever_for(service, candidates=40))),
            ("  standardised scores, dense weight 0.3", ranked_sources(retriever_for(service, dense_weight=0.3))),
            ("  standardised scores, dense weight 0.7", ranked_sources(retriever_for(service, dense_weight=0.7))),
        ]
    if args.mpnet:
        systems.append(("  + all-mpnet-base-v2 re-scoring of the top 20", mpnet_rescorer(service.retriever, args.mpnet)))

    print()
    print(f"{'system':60} {'nDCG@10':>8} {'R@100':>7} {'p50 ms':>7}")
    for label, value in PUBLISHED:
        print(f"{label:60} {value:8.3f} {'':>7} {'':>7}")
    for label, search in systems:
        result = score(search, queries, qrels)
        print(f"{label:60} {result['ndcg@10']:8.3f} {result['recall@100']:7.3f} {result['p50_ms']:7.1f}", flush=True)


if __name__ == "__main__":
    main()
