"""The development set's scoring rule (`../shared/eval/dev_qa.jsonl`), shared by tests and benchmarks."""

from __future__ import annotations

from typing import Any


def dev_answer_is_right(item: dict[str, Any], answer: Any) -> bool:
    """Every fact stated, and only gold articles cited (all of them if asked); an unanswerable
    question is right when the reply abstains."""
    if not item["answerable"]:
        return bool(answer.abstained)
    text = answer.answer.lower()
    facts = all(any(option.lower() in text for option in fact) for fact in item["facts"])
    cited = {c.source for c in answer.citations}
    sources_ok = bool(cited) and cited <= set(item["sources"])
    if item.get("all_sources"):
        sources_ok = sources_ok and cited == set(item["sources"])
    return facts and sources_ok and not answer.abstained
