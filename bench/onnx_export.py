"""The ONNX export's form of attention, measured: the encoder traced from attention's plain
matrix products (`eager`, shipped) against PyTorch's fused attention (`sdpa`, transformers'
default), each in 32 and 8 bits, beside raw torch, on the same passages in one run.

    .venv/bin/python bench/onnx_export.py [--articles N] [--rounds R]

Exports both forms into a temporary folder, then encodes the first N SciFact abstracts
(../shared/bench/scifact; the seed articles when it is absent) R times with each graph in
turn, and prints the fastest round of each, its speed against raw torch, and the mean and
lowest cosine of its vectors to sentence-transformers' on torch.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCIFACT = ROOT.parent / "shared" / "bench" / "scifact" / "corpus.jsonl"


def passages(count: int) -> tuple[str, list[str]]:
    if not SCIFACT.exists():
        return "the seed articles", [path.read_text("utf-8") for path in sorted((ROOT / "seeds").glob("*.txt"))]
    with SCIFACT.open(encoding="utf-8") as corpus:
        docs = [json.loads(line) for _, line in zip(range(count), corpus)]
    return f"{count} SciFact abstracts", [f"{doc['title']}\n\n{doc['text']}" for doc in docs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from rag.store.embedding import (
        OnnxEmbeddings,
        SentenceTransformerEmbeddings,
        default_model_path,
        export_onnx,
        quantize_onnx,
    )

    described, texts = passages(args.articles)
    torch = SentenceTransformerEmbeddings()
    torch.warm_up()
    reference = np.array(torch.embed_documents(texts))
    encoders = {"raw torch (sentence-transformers)": torch}
    with tempfile.TemporaryDirectory() as scratch:
        for attention in ("eager", "sdpa"):
            exported = Path(scratch) / f"{attention}.onnx"
            export_onnx(default_model_path(), exported, attention=attention)
            quantize_onnx(exported, exported.with_name(f"{attention}-int8.onnx"))
            for bits, graph in (("32-bit", exported), ("8-bit", exported.with_name(f"{attention}-int8.onnx"))):
                encoder = OnnxEmbeddings(Path(scratch), graph=graph)
                encoder.warm_up()
                encoders[f"ONNX, {attention} attention, {bits}"] = encoder
        seconds: dict[str, list[float]] = {name: [] for name in encoders}
        for _ in range(args.rounds):  # in turn, so a slower spell of the machine touches each
            for name, encoder in encoders.items():
                started = time.perf_counter()
                encoder.embed_documents(texts)
                seconds[name].append(time.perf_counter() - started)
        raw = min(seconds["raw torch (sentence-transformers)"])
        print(f"{described}, fastest of {args.rounds} rounds")
        print(f"{'':38} {'seconds':>8} {'x raw torch':>12} {'cosine mean':>12} {'lowest':>8}")
        for name, encoder in encoders.items():
            cosines = (np.array(encoder.embed_documents(texts)) * reference).sum(axis=1)
            print(f"{name:38} {min(seconds[name]):8.2f} {raw / min(seconds[name]):12.2f} {cosines.mean():12.5f} {cosines.min():8.5f}")


if __name__ == "__main__":
    main()
