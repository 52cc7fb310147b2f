"""The `rag` command as a user runs it: real processes, real index in a temporary folder."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SEEDS

RAG = str(Path(sys.executable).parent / "rag")


def run(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "RAG_GENERATOR": "extractive"}
    return subprocess.run(
        [RAG, *args], input=stdin, capture_output=True, text=True, timeout=300, cwd=cwd, env=env
    )


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    base = tmp_path_factory.mktemp("cli")
    shutil.copytree(SEEDS, base / "articles")
    return base / "articles", base / "index"


def test_index_json_counts_then_nothing_new(folders):
    articles, index = folders
    first = run("index", "--articles", str(articles), "--index", str(index), "--json")
    assert first.returncode == 0, first.stderr
    counts = json.loads(first.stdout)
    assert {"added", "updated", "skipped", "deleted", "total"} <= counts.keys()
    assert counts["added"] == counts["total"] > 20
    second = json.loads(run("index", "--articles", str(articles), "--index", str(index), "--json").stdout)
    assert (second["added"], second["deleted"], second["total"]) == (0, 0, counts["total"])


def test_ask_json_contract(folders):
    articles, index = folders
    result = run("ask", "Which Russian foreign minister did Rubio meet?", "--json",
                 "--articles", str(articles), "--index", str(index))
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert {"question", "answer", "abstained", "citations", "timings"} <= answer.keys()
    assert answer["abstained"] is False and "Lavrov" in answer["answer"]
    citation = answer["citations"][0]
    assert {"marker", "source", "title", "published", "text", "start", "end"} <= citation.keys()
    original = (articles / citation["source"]).read_text("utf-8")
    assert original[citation["start"] : citation["end"]] == citation["text"]


def test_ask_jsonl_answers_each_line(folders):
    articles, index = folders
    questions = "Which Russian foreign minister did Rubio meet?\nWhat is the capital of Australia?\n"
    result = run("ask", "--jsonl", "--articles", str(articles), "--index", str(index), stdin=questions)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["abstained"] for line in lines] == [False, True]
    assert lines[1]["citations"] == []


def test_search_json_is_best_first(folders):
    articles, index = folders
    result = run("search", "Lavrov", "--k", "3", "--json", "--articles", str(articles), "--index", str(index))
    found = json.loads(result.stdout)
    assert found["query"] == "Lavrov"
    assert len(found["results"]) == 3
    assert {"source", "text", "score", "start", "end"} <= found["results"][0].keys()
    scores = [r["score"] for r in found["results"]]
    assert scores == sorted(scores, reverse=True)


def test_ask_updates_a_stale_index_first(folders, tmp_path):
    articles, index = folders
    (articles / "harbour.txt").write_text(
        "Harbour Bridge Reopens\n\nThe Harbour Bridge in Velmora reopened after engineers replaced 120 steel cables.\n",
        encoding="utf-8",
    )
    try:
        result = run("ask", "How many steel cables did engineers replace on the Harbour Bridge?", "--json",
                     "--articles", str(articles), "--index", str(index))
        assert "updating the index" in result.stderr
        answer = json.loads(result.stdout)
        assert "120" in answer["answer"]
        assert answer["citations"][0]["source"] == "harbour.txt"
    finally:
        (articles / "harbour.txt").unlink()
        run("index", "--articles", str(articles), "--index", str(index))


def test_errors_are_one_line_without_traceback(folders):
    articles, index = folders
    empty = run("ask", "   ", "--articles", str(articles), "--index", str(index))
    assert empty.returncode != 0
    assert empty.stderr.strip().count("\n") == 0 and "Traceback" not in empty.stderr
    assert "question" in empty.stderr
    neither = run("search", "--articles", str(articles), "--index", str(index))
    assert neither.returncode != 0 and "Traceback" not in neither.stderr


def test_index_names_skipped_files_on_stderr(tmp_path):
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "story.txt").write_text("Quiet Day In Town\n\nNothing much happened in the town of Arlen today.\n", "utf-8")
    (articles / "blank.txt").write_text("", "utf-8")
    result = run("index", "--articles", str(articles), "--index", str(tmp_path / "index"), "--json")
    assert result.returncode == 0, result.stderr
    assert "skipped blank.txt: empty file" in result.stderr
    assert json.loads(result.stdout)["skipped_files"] == [{"source": "blank.txt", "reason": "empty file"}]
