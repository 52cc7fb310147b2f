"""Measure a linear probe on the language model's own final hidden state against its judge.

    .venv/bin/python training/probe_features.py --split train   # the hidden states (about 1 pair/s)
    .venv/bin/python training/probe_features.py --split bench   # the benchmark sample's, to measure
    .venv/bin/python training/train_probe.py

The judge (`rag.models.judge`) asks the model "Does the sentence answer exactly this question?"
and reads P(yes): one fixed direction in the model's last hidden state (logits = W h). A probe
learns the direction instead, from SQuAD 2.0 pairs: answering sentences against the near misses
people wrote (`plausible_answers`), rule-made near misses and other sentences. Its inputs are the
final hidden state at the position that would say yes or no (1,536 numbers) and the judge's own
log-odds, so it starts from what the judge knows; the judge's log-odds are recomputed from the
hidden state and the output matrix W read from the GGUF file.

Regularisation and thresholds are chosen on the training pairs, cross-validated by article (no
article's pairs are scored by a probe fitted on them); the benchmark sample's pairs are only
scored. Printed: the judge's and the probe's AUC (answering vs near miss, and vs every other
pair), each one's balanced threshold (where the smaller of "answering accepted" and "near miss
refused" is highest), and both AUCs on the benchmark sample. The product does not use the probe:
it measured no better than the judge (docs/answers.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.models.judge import ANSWER_WORDS  # noqa: E402

RUNS = ROOT / "training" / "runs" / "probe"
CS = (0.0003, 0.001, 0.003, 0.01, 0.03)


def gguf_path() -> Path:
    from rag.models.llm import ensure_gguf
    from rag.settings import load_settings

    return ensure_gguf(Path(load_settings().model_cache_dir))


def output_matrix() -> np.ndarray:
    """The model's output matrix (vocabulary x hidden), dequantised from the GGUF file."""
    import gguf
    from gguf.quants import dequantize

    reader = gguf.GGUFReader(str(gguf_path()))
    tensor = next(t for t in reader.tensors if t.name == "output.weight")
    return dequantize(tensor.data, tensor.tensor_type).astype(np.float32)


def answer_token_ids() -> list[int]:
    import llama_cpp

    vocab = llama_cpp.Llama(model_path=str(gguf_path()), vocab_only=True, verbose=False)
    return [vocab.tokenize(w.encode(), add_bos=False, special=False)[0] for w in ANSWER_WORDS]


def judge_log_odds(chosen: np.ndarray) -> np.ndarray:
    """The judge's log-odds of yes from the logits of `ANSWER_WORDS` (rows), as `rag.models.judge`
    reads them."""
    top = chosen.max(axis=1, keepdims=True)
    e = np.exp(chosen - top)
    yes = np.clip((e[:, 0] + e[:, 1]) / e.sum(axis=1), 1e-4, 1 - 1e-4)
    return np.log(yes / (1 - yes))


def load(split: str, rows_of_answers: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """Hidden states with the judge's log-odds as a last column, labels and pairs of one split;
    `rows_of_answers`: the output matrix's rows of `ANSWER_WORDS`."""
    held = np.load(RUNS / f"{split}.npz")
    pairs = json.loads((RUNS / f"{split}.pairs.json").read_text("utf-8"))[: len(held["hidden"])]
    hidden = held["hidden"].astype(np.float64)
    judge = judge_log_odds(hidden @ rows_of_answers.T)
    return np.column_stack([hidden, judge]), np.array([p["label"] for p in pairs]), pairs


def auc(y: np.ndarray, s: np.ndarray) -> float:
    from training.train_reader import auc as auc_of

    return auc_of(list(s[y == 1]), list(s[y == 0]))


def near_miss_auc(y, s, pairs) -> float:
    keep = np.array([p["kind"] in ("answer", "plausible") for p in pairs])
    return auc(y[keep], s[keep])


class Probe:
    """Logistic regression on the standardised hidden state plus the judge's log-odds. The judge's
    column is scaled up so that the penalty barely touches its weight: regularisation pulls the
    probe towards the judge, not towards knowing nothing."""

    JUDGE_SCALE = 10.0

    def __init__(self, c: float) -> None:
        self.c = c

    def _inputs(self, x: np.ndarray) -> np.ndarray:
        return np.column_stack([(x[:, :-1] - self.mean) / self.scale, x[:, -1] * self.JUDGE_SCALE])

    def fit(self, x: np.ndarray, y: np.ndarray) -> Probe:
        from sklearn.linear_model import LogisticRegression

        self.mean, self.scale = x[:, :-1].mean(axis=0), x[:, :-1].std(axis=0) + 1e-6
        self.model = LogisticRegression(C=self.c, max_iter=5000).fit(self._inputs(x), y)
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(self._inputs(x))


def out_of_fold(x, y, groups, c: float, folds: int = 5) -> np.ndarray:
    from sklearn.model_selection import GroupKFold

    scores = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=folds).split(x, y, groups):
        scores[test] = Probe(c).fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    return scores


def balanced_threshold(p, pairs) -> tuple[float, float, float]:
    """The threshold where min(answering accepted, near miss refused) is highest."""
    kinds = np.array([q["kind"] for q in pairs])
    answering, near = p[(kinds == "answer")], p[(kinds == "plausible")]
    best = (0.5, 0.0, 0.0)
    for t in np.arange(0.05, 0.96, 0.01):
        accepted, refused = float((answering >= t).mean()), float((near < t).mean())
        if min(accepted, refused) > min(best[1], best[2]):
            best = (round(float(t), 2), accepted, refused)
    return best


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    matrix = output_matrix()
    ids = answer_token_ids()
    x, y, pairs = load("train", matrix[ids])
    groups = np.array([p["article"] for p in pairs])
    print(f"{len(y)} training pairs from {len(set(groups))} articles; {int(y.sum())} answering")
    judge = x[:, -1]
    print(f"judge alone, out of the box: AUC answering vs near miss {near_miss_auc(y, judge, pairs):.3f}, "
          f"vs all {auc(y, judge):.3f}")
    results = {}
    for c in CS:
        oof = out_of_fold(x, y, groups, c)
        results[c] = oof
        print(f"probe C={c:<6} cross-validated by article: AUC near miss {near_miss_auc(y, oof, pairs):.3f}, "
              f"vs all {auc(y, oof):.3f}")
    c = max(CS, key=lambda k: near_miss_auc(y, results[k], pairs))
    threshold, accepted, refused = balanced_threshold(results[c], pairs)
    print(f"chosen C={c}; threshold {threshold} (cross-validated: answering accepted {accepted:.3f}, "
          f"near miss refused {refused:.3f})")
    yes, kinds = 1 / (1 + np.exp(-judge)), np.array([q["kind"] for q in pairs])
    print("the judge's P(yes) at least: answering accepted, and each kind of near miss refused")
    for level in (0.45, 0.5, 0.5375, 0.56, 0.6, 0.65, 0.7, 0.75):
        accepted = (yes[kinds == "answer"] >= level).mean()
        refused = "  ".join(f"{kind} {(yes[kinds == kind] < level).mean():.3f}" for kind in ("plausible", "swapped", "other"))
        print(f"  {level:<6} answering {accepted:.3f}  {refused}")
    judge_threshold = balanced_threshold(yes, pairs)
    print(f"the judge alone at its own balanced threshold {judge_threshold[0]}: accepted {judge_threshold[1]:.3f}, "
          f"refused {judge_threshold[2]:.3f}")
    model = Probe(c).fit(x, y)
    if (RUNS / "bench.npz").exists():
        xb, yb, _ = load("bench", matrix[ids])
        pb = model.predict_proba(xb)[:, 1]
        print(f"benchmark sample (reader's best sentence per question, measured only): judge AUC "
              f"{auc(yb, xb[:, -1]):.3f}, probe AUC {auc(yb, pb):.3f}")


if __name__ == "__main__":
    main()
