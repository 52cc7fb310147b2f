"""The language model's own view of (question, sentence) pairs: its final hidden state at the
position that says yes or no, for a linear probe (`training/train_probe.py`).

    .venv/bin/python training/probe_features.py --split train   # SQuAD 2.0 training pairs
    .venv/bin/python training/probe_features.py --split bench   # the benchmark sample's pairs

Both read the judge's prompt exactly as the product builds it (`rag.models.judge`). Rows are
appended to `training/runs/probe/<split>.npz` every few hundred pairs, so a stopped run resumes
(the first N of the shuffled pairs are a random sample of them).

- train: pairs from `../shared/train/squad2` made as the reader's training pairs are
  (`training/train_reader.py`): the answering sentence, the unanswerable question's
  `plausible_answers` sentence, a rule-made near miss and another sentence, sampled per kind.
- bench: for every question of `../shared/bench/squad2`, the sentence the reader scores highest
  (for an answerable question, the highest among those holding a gold answer). Used only to
  measure, never to fit.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.models.judge import LlamaJudge  # noqa: E402

RUNS = ROOT / "training" / "runs" / "probe"
TRAIN = ROOT.parent / "shared" / "train" / "squad2" / "train.json.gz"
PER_KIND = {"answer": 900, "plausible": 900, "swapped": 300, "other": 300}


def train_pairs(seed: int = 0) -> list[dict]:
    from training.train_reader import build_examples

    data = json.loads(gzip.open(TRAIN, "rt", encoding="utf-8").read())["data"]
    rng = random.Random(seed)
    examples = build_examples(data, rng, others=1)
    rows = []
    for kind, budget in PER_KIND.items():
        of_kind = [e for e in examples if e.kind == kind]
        for e in rng.sample(of_kind, min(budget, len(of_kind))):
            rows.append({"question": e.item.question, "sentence": e.item.sentence, "label": int(e.answers),
                         "kind": kind, "article": e.article, "id": e.question_id})
    rng.shuffle(rows)
    return rows


def bench_pairs() -> list[dict]:
    sys.path.insert(0, str(ROOT / "bench"))
    from reader import questions  # bench/reader.py

    from rag.models.reader import Reader

    reader = Reader()
    rows = []
    for number, row in enumerate(questions()):
        scores = [r.probability for r in reader.read(row["inputs"])]
        allowed = [i for i, a in enumerate(row["answering"]) if a or row["impossible"]]
        if not allowed:
            continue
        best = max(allowed, key=lambda i: scores[i])
        rows.append({"question": row["inputs"][best].question, "sentence": row["inputs"][best].sentence,
                     "label": int(not row["impossible"]), "kind": "bench", "article": "", "id": str(number),
                     "reader": scores[best]})
    return rows


def load_llama():
    import llama_cpp

    from rag.models.llm import ensure_gguf
    from rag.settings import load_settings

    settings = load_settings()
    return llama_cpp.Llama(
        model_path=str(ensure_gguf(Path(settings.model_cache_dir))), n_ctx=2048, n_threads=settings.llm_threads,
        n_batch=512, embedding=True, pooling_type=llama_cpp.LLAMA_POOLING_TYPE_NONE, verbose=False,
        rope_freq_base=0.0, rope_freq_scale=0.0, seed=0,
    )


class Chat:
    """What `rag.models.judge.LlamaJudge` needs of LangChain's wrapper: the llama-cpp `client`."""

    def __init__(self, client) -> None:
        self.client = client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["train", "bench"], required=True)
    parser.add_argument("--every", type=int, default=200)
    args = parser.parse_args()
    RUNS.mkdir(parents=True, exist_ok=True)
    target = RUNS / f"{args.split}.npz"
    pairs_file = RUNS / f"{args.split}.pairs.json"
    if pairs_file.exists():
        pairs = json.loads(pairs_file.read_text("utf-8"))
    else:
        pairs = train_pairs() if args.split == "train" else bench_pairs()
        pairs_file.write_text(json.dumps(pairs), "utf-8")
    hidden = list(np.load(target)["hidden"]) if target.exists() else []
    llama = load_llama()
    chat, judge = Chat(llama), LlamaJudge()
    import llama_cpp

    started, done_before = time.perf_counter(), len(hidden)
    for number in range(len(hidden), len(pairs)):
        pair = pairs[number]
        judge(chat, pair["question"], pair["sentence"])  # evaluates the prompt; its P(yes) is read later from h
        vector = llama_cpp.llama_get_embeddings_ith(llama._ctx.ctx, -1)
        hidden.append(np.ctypeslib.as_array(vector, shape=(llama.n_embd(),)).astype(np.float32).copy())
        if (number + 1) % args.every == 0 or number + 1 == len(pairs):
            np.savez(target, hidden=np.asarray(hidden, dtype=np.float32))
            rate = (number + 1 - done_before) / (time.perf_counter() - started)
            print(f"{number + 1}/{len(pairs)} pairs, {rate:.2f} pairs/s", flush=True)


if __name__ == "__main__":
    main()
