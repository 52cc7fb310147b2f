"""Open-book question answering on the SQuAD 2.0 sample: has-answer accuracy and abstention.

    .venv/bin/python bench/squad2.py [--generators extractive llamacpp] [--limit N] [--half even|odd]

Each of the 411 distinct paragraphs of `../shared/bench/squad2/queries.json` is written as one
plain-text article (no title line) into `bench/results/squad2/articles/`, indexed by `rag index`,
and every question is asked through `rag ask --jsonl`, as a user of the command line would. The
paragraph must be found among all 411.

Scoring (the data set's README): an answerable question is right when the reply does not
abstain, contains one of the gold answers (case-folded, white space normalised) and cites a
passage of the question's own paragraph; an unanswerable one is right when the reply abstains
and cites nothing. Both rates are printed apart, per generator, with seconds per question.
Raw replies are kept in `bench/results/squad2/answers-<generator>.jsonl`.

`--half even` / `--half odd` takes every other question (by position), so a setting chosen on
one half can be reported on the other.

Fitting the answer model (`--fit`, `rag.answer.calibration`): run once with the checks switched off,
so every candidate sentence's signals (judge score, coverage, rank, ...) are recorded in the kept
replies,

    RAG_MIN_COVERAGE_UNJUDGED=0 RAG_ANSWER_THRESHOLD_UNJUDGED=0 .venv/bin/python bench/squad2.py --generators extractive
    RAG_MIN_COVERAGE=0 RAG_ANSWER_THRESHOLD=1 .venv/bin/python bench/squad2.py --generators llamacpp

then `--fit` fits a logistic model on the even half's candidates (label: the sentence is of the
question's own paragraph and holds a gold answer), replays the recorded replies through the
library's own decision rule (`rag.answer.decision.first_answering`, `rag.answer.composition.reply_text`) for each
threshold, picks the one that maximises the smaller of the two rates on the even half, and
reports it on the odd half, beside the single signal it replaces and a set without the
sentence's own word match, chosen the same way; then the same the other way round.
A paragraph that `rag index` keeps once as a near copy of another counts the other as its own.

Comparing embedders (`--embedder onnx-int8`): the index and the kept replies get the embedder's
name (`index-onnx-int8/`, `answers-<generator>-onnx-int8.jsonl`). Run the extractive generator
first; then `--reuse-from torch` asks a model-backed generator only the questions whose retrieved
passages differ from those the other embedder's extractive run recorded, and takes that
embedder's kept reply for the rest (the generator sees nothing else, and decodes greedily).
It prints how many questions retrieved the same passages.

Asking again after a change (`--remember`): the questions are asked in this process, through the
same library `rag ask` uses, and every reply of the model (its sentence choices, each judgement,
each short answer) is kept in `model-replies-<generator>.jsonl` under its whole input. The model
decodes greedily, so the same input gives the same reply: only inputs never seen before are put
to it, and a change to retrieval or to the checks is measured in minutes instead of an hour.
`--budgets 2 3 4 --thresholds 0.5 0.525 0.55` sweeps the judge budget and the answer threshold
together (`sweep`) and picks the pair on the even half.
`--selection judge` measures `RAG_SELECTION=judge` the same way, and `--without-wordnet` the
checks with the asked kind read from names alone (spaCy), as they were before WordNet typed
common nouns (`rag/language/lexicon.py`).

What the judge allows at best (`--ceiling`, asking nothing) is read from a run that judges
every candidate meeting the checks (`--judge-every`: no answer or quick threshold is ever met,
and up to ten candidates are judged; kept apart, in `answers-<generator>-judged-every-*.jsonl`):

    .venv/bin/python bench/squad2.py --generators llamacpp --embedder onnx-int8 --remember --judge-every
    .venv/bin/python bench/squad2.py --generators llamacpp --embedder onnx-int8 --ceiling

For each threshold on the judge's P(yes): has-answer if a stage always picked, when there is
one, a judged candidate of the question's own paragraph holding a gold answer (right when it
reaches the threshold), so no choice among these candidates gets more sentences holding a gold
answer accepted; and no-answer for a stage reading every candidate (an unanswerable question is
answered when any of its candidates reaches the threshold; a stage reading fewer, as the shipped
one does, abstains a little more often). Also printed, over the questions that have both: the
best answering sentence's P(yes) against an unanswerable question's best near miss (medians and
the ROC AUC between the two).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "bench" / "squad2"
WORK = ROOT / "bench" / "results" / "squad2"
RAG = ROOT / ".venv" / "bin" / "rag"
sys.path.insert(0, str(ROOT))

from rag.answer.generators import Generator, Selection, parse_selection  # noqa: E402
from rag.models import prompts  # noqa: E402

# `--judge-every`: no threshold is ever met, so every candidate meeting the checks is judged
EVERY_CANDIDATE = {"answer_threshold": 1.0, "quick_threshold": 1.0, "judge_budget": 10, "fallback_sentences": 10}
JUDGED_EVERY = "-judged-every"


def normalise(text: str) -> str:
    return " ".join(text.casefold().split())


def article_name(context: str) -> str:
    return "p_" + hashlib.sha1(context.encode("utf-8")).hexdigest()[:12] + ".txt"


def load(limit: int | None, half: str | None, start: int = 0) -> tuple[list[dict], dict]:
    queries = json.loads((DATA / "queries.json").read_text("utf-8"))["queries"][start:]
    truth = json.loads((DATA / "ground_truth.json").read_text("utf-8"))
    if half:
        queries = queries[0 if half == "even" else 1 :: 2]
    if limit:
        queries = queries[:limit]
    return queries, truth


def write_articles(queries: list[dict], folder: Path) -> None:
    """All 411 paragraphs, whatever subset of questions is asked."""
    folder.mkdir(parents=True, exist_ok=True)
    every = json.loads((DATA / "queries.json").read_text("utf-8"))["queries"]
    for item in every:
        path = folder / article_name(item["context"])
        if not path.exists():
            path.write_text(item["context"].strip() + "\n", "utf-8")


def is_right(item: dict, truth: dict, reply: dict) -> bool:
    gold = truth[item["id"]]
    if gold["is_impossible"]:
        return bool(reply.get("abstained")) and not reply.get("citations")
    if reply.get("abstained") or "answer" not in reply:
        return False
    own = own_sources(item)
    return holds_gold(gold, reply["answer"]) and any(
        c["source"] in own for c in reply.get("citations", [])
    )


def holds_gold(gold: dict, text: str) -> bool:
    """One of the gold answers is in `text` (case-folded, white space normalised)."""
    text = normalise(text)
    return any(normalise(a) in text for a in gold["answers"] if a.strip())


@functools.cache
def copies() -> dict[str, str]:
    """Paragraphs indexed once as the same story as another (`rag index` names them): copy -> kept."""
    path = WORK / "copies.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


def own_sources(item: dict) -> set[str]:
    """The question's paragraph, and the paragraph indexed in its place if it is a near copy."""
    own = article_name(item["context"])
    return {own} | ({copies()[own]} if own in copies() else set())


def ask_all(
    generator: str, queries: list[dict], articles: Path, index: Path, env: dict[str, str]
) -> tuple[list[dict], float]:
    if not queries:
        return [], 0.0
    questions = "".join(" ".join(item["question"].split()) + "\n" for item in queries)
    started = time.perf_counter()
    done = subprocess.run(
        [str(RAG), "ask", "--jsonl", "--generator", generator, "--articles", str(articles), "--index", str(index)],
        input=questions, capture_output=True, text=True, check=False, env=env,
    )
    elapsed = time.perf_counter() - started
    replies = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if len(replies) != len(queries):
        sys.exit(f"rag ask gave {len(replies)} replies of {len(queries)} (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    if done.returncode != 0:  # every reply arrived; the process failed on its way out
        print(f"warning: rag ask exited with {done.returncode} after its last reply: {done.stderr.strip()[-300:]}")
    return replies, elapsed


def report(generator: str, queries: list[dict], truth: dict, replies: list[dict], elapsed: float) -> None:
    answerable = [(q, r) for q, r in zip(queries, replies, strict=True) if not truth[q["id"]]["is_impossible"]]
    impossible = [(q, r) for q, r in zip(queries, replies, strict=True) if truth[q["id"]]["is_impossible"]]
    has = sum(is_right(q, truth, r) for q, r in answerable)
    none = sum(is_right(q, truth, r) for q, r in impossible)
    abstained_answerable = sum(bool(r.get("abstained")) for _, r in answerable)
    print(
        f"{generator:>10}: has-answer {has}/{len(answerable)} = {has / max(1, len(answerable)):.3f}  "
        f"no-answer {none}/{len(impossible)} = {none / max(1, len(impossible)):.3f}  "
        f"({abstained_answerable} answerable abstained)  "
        f"{elapsed / max(1, len(queries)):.2f} s/question"
    )
    for half, start in (("even", 0), ("odd", 1)):
        has_rate, none_rate = rates(queries[start::2], truth, replies[start::2])
        print(f"{'':>10}  {half} half: has-answer {has_rate:.3f}  no-answer {none_rate:.3f}")
    totals = sorted(r.get("timings", {}).get("total_ms", 0) / 1000 for r in replies)
    if totals:
        print(f"{'':>10}  full answer p50 {totals[len(totals) // 2]:.2f} s, "
              f"p95 {totals[min(len(totals) - 1, int(0.95 * len(totals)))]:.2f} s")


def kept_replies(generator: str, embedder: str | None, queries: list[dict]) -> list[dict]:
    """The recorded replies of a run, in the order of `queries`."""
    path = WORK / answers_name(generator, embedder)
    by_question = {line["question"]: line for line in map(json.loads, path.read_text("utf-8").splitlines())}
    return [by_question[" ".join(q["question"].split())] for q in queries]


def answers_name(generator: str, embedder: str | None) -> str:
    return f"answers-{generator}{'-' + embedder if embedder else ''}.jsonl"


def retrieved(reply: dict) -> list[str] | None:
    return (reply.get("checks") or {}).get("passages")


def ask_changed(
    generator: str, queries: list[dict], embedder: str, base: str, ask
) -> tuple[list[dict], float]:
    """Ask only the questions whose retrieval differs between the two embedders' extractive runs;
    the base embedder's replies stand for the rest."""
    mine, theirs = kept_replies("extractive", embedder, queries), kept_replies("extractive", base, queries)
    if any(retrieved(r) is None for r in mine + theirs):
        sys.exit("the extractive runs recorded no passages: run both again")
    changed = [i for i, (a, b) in enumerate(zip(mine, theirs, strict=True)) if retrieved(a) != retrieved(b)]
    same_set = sum(set(retrieved(a)) == set(retrieved(b)) for a, b in zip(mine, theirs, strict=True))
    print(f"{embedder} against {base}: {len(queries) - len(changed)}/{len(queries)} questions retrieved the same "
          f"passages in the same order ({same_set} the same set); asking the other {len(changed)}")
    replies = kept_replies(generator, base, queries)
    asked, elapsed = ask([queries[i] for i in changed])
    for i, reply in zip(changed, asked, strict=True):
        replies[i] = reply
    return replies, elapsed / max(1, len(changed)) * len(queries)


class RememberingGenerator(Generator):
    """Wraps a real generator; keeps each reply under its whole input (`--remember`)."""

    def __init__(self, inner: Generator, path: Path) -> None:
        self.inner, self.path = inner, path
        self.name, self.judges = inner.name, inner.judges
        self.kept: dict[str, object] = {}
        if path.exists():
            for line in path.read_text("utf-8").splitlines():
                item = json.loads(line)
                self.kept[item["input"]] = item["reply"]
        self.asked = self.reused = 0

    def _reply(self, key: list, ask):
        text = json.dumps(key, ensure_ascii=False)
        if text in self.kept:
            self.reused += 1
            return self.kept[text]
        self.asked += 1
        reply = ask()
        self.kept[text] = reply
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"input": text, "reply": reply}, ensure_ascii=False) + "\n")
        return reply

    def busy(self) -> int:
        return 0

    def select(self, question, evidence, titles):
        def ask() -> str:
            return next(item for item in self.inner.select(question, evidence, titles) if isinstance(item, Selection)).raw

        yield parse_selection(self._reply(["select", question, [e.text for e in evidence], list(titles)], ask), evidence)

    def judge(self, question, sentence):
        return self._reply(["judge", question, sentence], lambda: self.inner.judge(question, sentence))

    def affirms(self, question, sentence):
        return self._reply(["affirms", question, sentence], lambda: self.inner.affirms(question, sentence))

    def write(self, question, sentences, after=""):
        # keyed by the prompt itself, so a reworded prompt is asked again
        prompt = prompts.writing_prompt(question, sentences, after)
        yield self._reply(["write", prompt], lambda: "".join(self.inner.write(question, sentences, after)))

    def split_sides(self, question, sides):
        return self._reply(["split", question, list(sides)], lambda: self.inner.split_sides(question, sides))

    def rewrite_question(self, question, history):
        return None


def remembering_assistant(
    generator: str, articles: Path, index: Path, embedder: str | None, selection: str, **settings: Any
):
    """An assistant over the benchmark's index whose model replies are kept by input (see above);
    `settings` override the defaults."""
    from rag.answer.assistant import Assistant
    from rag.answer.evidence import SentenceRanker
    from rag.service import RagService
    from rag.settings import load_settings

    overrides = {"embedder": embedder, **settings} if embedder else settings
    service = RagService(load_settings(articles_dir=articles, index_dir=index, selection=selection, **overrides))
    remembering = RememberingGenerator(service.generator(generator), WORK / f"model-replies-{generator}.jsonl")
    return Assistant(service.retriever, remembering, service.settings, SentenceRanker(service.embedder))


def ask_remembering(
    generator: str, queries: list[dict], articles: Path, index: Path, embedder: str | None, selection: str,
    **settings: Any,
) -> tuple[list[dict], float]:
    """Every question asked in this process, the model's replies kept by input (see above)."""
    assistant = remembering_assistant(generator, articles, index, embedder, selection, **settings)
    started = time.perf_counter()
    replies = [assistant.ask(" ".join(item["question"].split())).as_dict() for item in queries]
    elapsed = time.perf_counter() - started
    remembering = assistant.generator
    print(f"{generator}: {remembering.asked} model calls made, {remembering.reused} replies reused")
    return replies, elapsed


def sweep(
    generator: str, queries: list[dict], truth: dict, articles: Path, index: Path, embedder: str | None,
    budgets: list[int] | None, thresholds: list[float] | None, selection: str = "generator",
    quick: list[float] | None = None,
    quick_budgets: list[int] | None = None,
) -> None:
    """`--budgets`/`--thresholds`: every pair of judge budget and answer threshold, asked through
    the library with the kept model replies; the pair maximising the smaller of the two rates on
    the even half (ties: the larger sum) is chosen there and reported on the odd half. A list not
    given is the shipped setting alone. Judging first (`--selection judge`), a budget of b judges
    up to b of the system's own candidates. `--quick` sweeps the quick threshold (1: off) the same
    way, and `--quick-budgets` how many of the system's candidates are judged before the model
    chooses; the share of questions answered without the model choosing is printed beside them."""
    assistant = remembering_assistant(generator, articles, index, embedder, selection)
    shipped = assistant.settings
    table = []
    for budget in budgets or [shipped.judge_budget]:
        for threshold in thresholds or [shipped.answer_threshold]:
            for sure, quick_budget in itertools.product(quick or [shipped.quick_threshold],
                                                        quick_budgets or [shipped.quick_budget]):
                update = {"judge_budget": budget, "answer_threshold": threshold, "quick_threshold": sure,
                          "quick_budget": quick_budget}
                if selection == "judge":
                    update["fallback_sentences"] = budget
                assistant.settings = shipped.model_copy(update=update)
                replies = [assistant.ask(" ".join(item["question"].split())).as_dict() for item in queries]
                even, odd = rates(queries[0::2], truth, replies[0::2]), rates(queries[1::2], truth, replies[1::2])
                quickly = sum(bool((reply.get("checks") or {}).get("quick")) for reply in replies) / len(replies)
                table.append(((budget, threshold, sure, quick_budget), even, odd))
                print(f"  budget {budget}, threshold {threshold:.4f}, quick at {sure:.4f} over {quick_budget} candidates "
                      f"({quickly:.2f} of questions): "
                      f"even half has-answer {even[0]:.3f} no-answer {even[1]:.3f} | "
                      f"odd half has-answer {odd[0]:.3f} no-answer {odd[1]:.3f}", flush=True)
    # ties: the larger sum, then the lower quick threshold and the larger quick budget (more
    # questions answered quickly)
    (budget, threshold, sure, quick_budget), even, odd = max(
        table, key=lambda row: (min(row[1]), sum(row[1]), -row[0][2], row[0][3]))
    print(f"chosen on the even half: budget {budget}, threshold {threshold:.4f}, quick at {sure:.4f} over "
          f"{quick_budget} (shipped: {shipped.judge_budget}, {shipped.answer_threshold}, {shipped.quick_threshold} over "
          f"{shipped.quick_budget}); "
          f"held-out odd half: has-answer {odd[0]:.3f} no-answer {odd[1]:.3f}")


def replay(reply: dict, question: str, model, threshold: float) -> dict:
    """The reply the assistant would have given with this answer model and threshold (`--fit`)."""
    from rag.answer.calibration import Signals
    from rag.answer.composition import reply_text
    from rag.answer.decision import first_answering
    from rag.answer.question import analyse
    from rag.answer.replies import ABSTENTION

    checks = reply.get("checks") or {}
    candidates = checks.get("candidates", [])
    if not candidates:
        return {"abstained": True, "answer": ABSTENTION, "citations": []}
    by_number = {c["number"]: c for c in candidates}
    chosen = [n for n in checks.get("chosen", []) if n in by_number]
    # as live: a judged run scores candidates in order and stops at one never judged
    judged = any(c["judge"] is not None for c in candidates)
    probabilities = {
        c["number"]: model.probability(Signals.from_record(with_choice(c, checks)))
        for c in candidates
        if not judged or c["judge"] is not None
    }
    accepted = first_answering([c["number"] for c in candidates], chosen, probabilities, threshold)
    if not accepted:
        return {"abstained": True, "answer": ABSTENTION, "citations": []}
    cited = [by_number[n] for n in accepted]
    text, used, _ = reply_text(analyse(question), checks.get("candidate_answer", ""), [c["text"] for c in cited])
    return {"abstained": False, "answer": text, "citations": [{"source": c["source"]} for c in cited[:used]]}


def with_choice(candidate: dict, checks: dict) -> dict:
    """A recorded candidate with `chosen` set (runs recorded before it was kept per candidate)."""
    return {"chosen": candidate["number"] in checks.get("selected", []), **candidate}


def rates(queries: list[dict], truth: dict, replies: list[dict]) -> tuple[float, float]:
    pairs = list(zip(queries, replies, strict=True))
    answerable = [(q, r) for q, r in pairs if not truth[q["id"]]["is_impossible"]]
    impossible = [(q, r) for q, r in pairs if truth[q["id"]]["is_impossible"]]
    has = sum(is_right(q, truth, r) for q, r in answerable) / max(1, len(answerable))
    none = sum(is_right(q, truth, r) for q, r in impossible) / max(1, len(impossible))
    return has, none


def answers_in(item: dict, truth: dict, candidate: dict) -> bool:
    """The training label: this candidate sentence, of the question's own paragraph, holds a gold answer."""
    gold = truth[item["id"]]
    if gold["is_impossible"] or candidate["source"] not in own_sources(item):
        return False
    return holds_gold(gold, candidate["text"])


def fit_model(queries: list[dict], truth: dict, replies: list[dict], inputs: tuple[str, ...]):
    """A logistic model over the recorded candidates' signals named in `inputs` (scikit-learn)."""
    from sklearn.linear_model import LogisticRegression

    from rag.answer.calibration import FEATURES, AnswerModel, Signals

    judged = "judge" in inputs
    rows, labels = [], []
    for item, reply in zip(queries, replies, strict=True):
        checks = reply.get("checks") or {}
        for candidate in checks.get("candidates", []):
            if judged and candidate["judge"] is None:
                continue  # never judged (the run stopped at an earlier one): nothing to learn from
            rows.append(Signals.from_record(with_choice(candidate, checks)).vector())
            labels.append(answers_in(item, truth, candidate))
    used = [FEATURES.index(name) for name in inputs]
    fitted = LogisticRegression(C=1.0, max_iter=1000).fit([[row[i] for i in used] for row in rows], labels)
    weights = [0.0] * len(FEATURES)
    for i, weight in zip(used, fitted.coef_[0], strict=True):
        weights[i] = round(float(weight), 4)
    return AnswerModel(bias=round(float(fitted.intercept_[0]), 4), weights=tuple(weights)), len(rows), sum(labels)


def choose_threshold(queries: list[dict], truth: dict, replies: list[dict], model) -> tuple[float, dict]:
    """The threshold maximising the smaller rate on the even half, and both halves' rates with it."""
    halves = {"even": (queries[0::2], replies[0::2]), "odd": (queries[1::2], replies[1::2])}
    table = []
    for step in range(1, 40):
        threshold = step / 40
        row = {}
        for half, (qs, rs) in halves.items():
            replayed = [replay(r, " ".join(q["question"].split()), model, threshold) for q, r in zip(qs, rs, strict=True)]
            row[half] = rates(qs, truth, replayed)
        table.append((threshold, row))
    return max(table, key=lambda item: (min(item[1]["even"]), sum(item[1]["even"])))


def candidates_of(reply: dict) -> list[dict]:
    return (reply.get("checks") or {}).get("candidates", [])


def best_scores(queries: list[dict], truth: dict, replies: list[dict]) -> tuple[list[float], list[float]]:
    """Per answerable question, the best judged candidate holding a gold answer (-inf when none);
    per unanswerable one, the best judged candidate (-inf when none was judged)."""
    answerable: list[float] = []
    impossible: list[float] = []
    for item, reply in zip(queries, replies, strict=True):
        judged = [c for c in candidates_of(reply) if c.get("judge") is not None]
        if truth[item["id"]]["is_impossible"]:
            impossible.append(max((c["judge"] for c in judged), default=float("-inf")))
        else:
            answerable.append(max((c["judge"] for c in judged if answers_in(item, truth, c)), default=float("-inf")))
    return answerable, impossible


def ceiling(queries: list[dict], truth: dict, replies: list[dict], thresholds: list[float]) -> list[tuple[float, float, float]]:
    """(threshold, has-answer, no-answer) with the best sentence picked every time (see above)."""
    answerable, impossible = best_scores(queries, truth, replies)
    return [
        (threshold,
         sum(score >= threshold for score in answerable) / max(1, len(answerable)),
         sum(score < threshold for score in impossible) / max(1, len(impossible)))
        for threshold in thresholds
    ]


def print_ceiling(generator: str, queries: list[dict], truth: dict, replies: list[dict]) -> None:
    import statistics

    from sklearn.metrics import roc_auc_score

    from rag.settings import Settings

    shipped = Settings.model_fields["answer_threshold"].default
    thresholds = sorted({step / 40 for step in range(12, 33)} | {shipped})
    answerable, impossible = best_scores(queries, truth, replies)
    offered = sum(
        any(answers_in(q, truth, c) for c in candidates_of(r))
        for q, r in zip(queries, replies, strict=True) if not truth[q["id"]]["is_impossible"]
    )
    sentences = [c for r in replies for c in candidates_of(r)]
    print(f"{generator}: {offered} of {len(answerable)} answerable questions have a candidate holding a gold "
          f"answer; {sum(c.get('judge') is not None for c in sentences)} of {len(sentences)} candidates judged")
    rows = {half: ceiling(queries[i::2], truth, replies[i::2], thresholds) for i, half in enumerate(("even", "odd"))}
    rows["all"] = ceiling(queries, truth, replies, thresholds)
    print(f"  {'threshold':>9} | {f'all {len(queries)}: has / no':>18} | {'even half':>13} | {'odd half':>13}")
    for i, threshold in enumerate(thresholds):
        cells = [f"{rows[h][i][1]:.3f} / {rows[h][i][2]:.3f}" for h in ("all", "even", "odd")]
        mark = " (shipped)" if threshold == shipped else ""
        print(f"  {threshold:>9.4f} | {cells[0]:>18} | {cells[1]:>13} | {cells[2]:>13}{mark}")
    best = max(rows["all"], key=lambda row: (min(row[1:]), sum(row[1:])))
    print(f"  threshold maximising the smaller rate: {best[0]:.4f} (has-answer {best[1]:.3f}, no-answer {best[2]:.3f})")
    found = [score for score in answerable if score > float("-inf")]
    missed = [score for score in impossible if score > float("-inf")]
    if found and missed:
        auc = roc_auc_score([1] * len(found) + [0] * len(missed), found + missed)
        print(f"  best answering sentence's P(yes), median {statistics.median(found):.2f} over {len(found)} questions; "
              f"best near miss of an unanswerable question, median {statistics.median(missed):.2f} over "
              f"{len(missed)}; AUC between them {auc:.3f}")


def fit(generator: str, queries: list[dict], truth: dict, replies: list[dict]) -> None:
    """For the single signal the answer model replaces (the judge; coverage without one) and for
    two sets of inputs: fit on one half, choose the threshold there, report the other half; then
    the same the other way round, and the mean of the two held-out halves."""
    from rag.answer.calibration import FEATURES, WITH_JUDGE, WITHOUT_JUDGE, AnswerModel
    from rag.settings import Settings

    judged = generator != "extractive"
    single = [0.0] * len(FEATURES)
    single[FEATURES.index("judge" if judged else "coverage")] = 1.0
    every = tuple(name for name in FEATURES if judged or name != "judge")
    # SQuAD's questions were written while reading the answer's sentence, so they share its words
    # far more than a reader's question shares a news sentence's (where the story's names are often
    # in the headline or an earlier sentence); hence a set without the sentence's own word match.
    sets = {
        "judge alone" if judged else "coverage alone": None,
        "all signals": every,
        "without sentence wording": tuple(name for name in every if name not in ("sentence_coverage", "score")),
    }
    swapped = (queries[1:] + queries[:1], replies[1:] + replies[:1])
    print(f"{generator}: {len(queries)} questions")
    shipped = WITH_JUDGE if judged else WITHOUT_JUDGE
    threshold = Settings.model_fields["answer_threshold" if judged else "answer_threshold_unjudged"].default
    replayed = [replay(r, " ".join(q["question"].split()), shipped, threshold) for q, r in zip(queries, replies, strict=True)]
    has, none = rates(queries, truth, replayed)
    print(f"  {'shipped model':>24}, threshold {threshold}: has-answer {has:.3f} no-answer {none:.3f}")
    for name, inputs in sets.items():
        held_out = []
        for direction, (qs, rs) in (("even -> odd", (queries, replies)), ("odd -> even", swapped)):
            if inputs is None:
                model = AnswerModel(bias=0.0, weights=tuple(single))
            else:
                model, rows, positives = fit_model(qs[0::2], truth, rs[0::2], inputs)
            threshold, row = choose_threshold(qs, truth, rs, model)
            held_out.append(row["odd"])
            print(f"  {name:>24}, {direction}: threshold {threshold:.3f}; fitted half has-answer {row['even'][0]:.3f} "
                  f"no-answer {row['even'][1]:.3f} | held out: has-answer {row['odd'][0]:.3f} "
                  f"no-answer {row['odd'][1]:.3f}")
            if inputs is not None and direction == "even -> odd":
                print(f"  {'':>24}  AnswerModel(bias={model.bias}, weights={model.weights})  "
                      f"# {', '.join(FEATURES)}; {rows} sentences, {positives} hold the answer")
        has, none = (sum(rates[i] for rates in held_out) / 2 for i in (0, 1))
        print(f"  {name:>24}, mean held out: has-answer {has:.3f} no-answer {none:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generators", nargs="+", default=["extractive", "llamacpp"])
    parser.add_argument("--limit", type=int, help="ask only the first N questions")
    parser.add_argument("--start", type=int, default=0, help="skip the first N questions")
    parser.add_argument("--half", choices=["even", "odd"], help="every other question")
    parser.add_argument("--rescore", action="store_true", help="score the kept replies again, asking nothing")
    parser.add_argument("--fit", action="store_true", help="fit the answer model on the kept replies (see above)")
    parser.add_argument("--ceiling", action="store_true",
                        help="the best each judge threshold allows, from a --judge-every run (see above)")
    parser.add_argument("--judge-every", action="store_true",
                        help="with --remember: judge every candidate meeting the checks, kept apart (see above)")
    parser.add_argument("--embedder", choices=["torch", "onnx", "onnx-int8"],
                        help="the embedder (RAG_EMBEDDER); its index and replies are kept apart")
    parser.add_argument("--remember", action="store_true",
                        help="ask in this process, putting to the model only inputs never seen (see above)")
    parser.add_argument("--selection", choices=["generator", "judge"], default="generator",
                        help="RAG_SELECTION, with --remember")
    parser.add_argument("--without-wordnet", action="store_true",
                        help="with --remember: common nouns never count as the asked kind (see above)")
    parser.add_argument("--budgets", nargs="+", type=int,
                        help="with --remember: judge budgets to sweep with --thresholds (see `sweep`)")
    parser.add_argument("--thresholds", nargs="+", type=float, help="answer thresholds to sweep")
    parser.add_argument("--quick", nargs="+", type=float,
                        help="with --remember: quick thresholds to sweep (see `sweep`; 1 is off)")
    parser.add_argument("--quick-budgets", nargs="+", type=int,
                        help="with --remember: the system's candidates judged before the model chooses, to sweep")
    parser.add_argument("--reuse-from", choices=["torch", "onnx", "onnx-int8"],
                        help="with --embedder: ask only questions whose retrieval differs from this embedder's")
    args = parser.parse_args()
    if not (DATA / "queries.json").exists():
        sys.exit(f"{DATA} is absent: nothing to measure")

    queries, truth = load(args.limit, args.half, args.start)
    articles = WORK / "articles"
    index = WORK / (f"index-{args.embedder}" if args.embedder else "index")
    env = dict(os.environ, **({"RAG_EMBEDDER": args.embedder} if args.embedder else {}))
    if args.fit:
        for generator in args.generators:
            fit(generator, queries, truth, kept_replies(generator, args.embedder, queries))
        return
    if args.ceiling:
        for generator in args.generators:
            if not (WORK / answers_name(generator + JUDGED_EVERY, args.embedder)).exists():
                sys.exit(f"no {generator} run with every candidate judged: run it with --remember --judge-every first")
            print_ceiling(generator, queries, truth, kept_replies(generator + JUDGED_EVERY, args.embedder, queries))
        return
    if not args.rescore:
        write_articles(queries, articles)
        built = subprocess.run(
            [str(RAG), "index", "--json", "--articles", str(articles), "--index", str(index)],
            capture_output=True, text=True, check=False, env=env,
        )
        if built.returncode != 0:
            sys.exit(f"rag index failed: {built.stderr.strip()}")
        print(f"index: {built.stdout.strip()}")
        skipped = json.loads(built.stdout)["skipped_files"]
        kept = {s["source"]: s["copy_of"] for s in skipped if s.get("copy_of")}
        (WORK / "copies.json").write_text(json.dumps(kept, indent=1), "utf-8")
        copies.cache_clear()
    print(f"{len(queries)} questions, {sum(not truth[q['id']]['is_impossible'] for q in queries)} answerable")
    for generator in args.generators:
        kept = WORK / answers_name(generator, args.embedder)
        if args.rescore:
            replies = kept_replies(generator, args.embedder, queries)
            elapsed = sum(r.get("timings", {}).get("total_ms", 0) for r in replies) / 1000
        elif args.remember and generator != "extractive" and (args.budgets or args.thresholds or args.quick
                                                                 or args.quick_budgets):
            sweep(generator, queries, truth, articles, index, args.embedder, args.budgets, args.thresholds,
                  args.selection, args.quick, args.quick_budgets)
            continue
        elif args.remember and generator != "extractive":
            if args.without_wordnet:
                import rag.answer.verification

                rag.answer.verification._NOUN_KINDS = {}
            replies, elapsed = ask_remembering(generator, queries, articles, index, args.embedder, args.selection,
                                               **(EVERY_CANDIDATE if args.judge_every else {}))
            variant = "".join(["" if args.selection == "generator" else f"-{args.selection}",
                               "-without-wordnet" if args.without_wordnet else "",
                               JUDGED_EVERY if args.judge_every else ""])
            kept = WORK / answers_name(generator + variant, args.embedder)
            kept.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in replies), "utf-8")
        elif args.reuse_from and generator != "extractive":
            replies, elapsed = ask_changed(
                generator, queries, args.embedder, args.reuse_from,
                lambda asked, generator=generator: ask_all(generator, asked, articles, index, env),
            )
            kept.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in replies), "utf-8")
        else:
            replies, elapsed = ask_all(generator, queries, articles, index, env)
            kept.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in replies), "utf-8")
        report(generator, queries, truth, replies, elapsed)


if __name__ == "__main__":
    main()
