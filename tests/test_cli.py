"""The `rag` command as a user runs it: real processes, real index in a temporary folder."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import NEWS

RAG = str(Path(sys.executable).parent / "rag")
WHO_LEADS = "Who did the board choose to lead the Kessel Observatory?"  # Ottilie Brennand, 01_kessel_observatory.txt


def run(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "RAG_GENERATOR": "extractive"}
    return subprocess.run(
        [RAG, *args], input=stdin, capture_output=True, text=True, timeout=300, cwd=cwd, env=env
    )


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    base = tmp_path_factory.mktemp("cli")
    shutil.copytree(NEWS, base / "articles")
    return base / "articles", base / "index"


def test_index_json_counts_then_nothing_new(folders):
    articles, index = folders
    first = run("index", "--articles", str(articles), "--index", str(index), "--json")
    assert first.returncode == 0, first.stderr
    counts = json.loads(first.stdout)
    assert {"added", "updated", "unchanged", "deleted", "total", "files_skipped"} <= counts.keys()
    assert counts["added"] == counts["total"] > 20
    second = json.loads(run("index", "--articles", str(articles), "--index", str(index), "--json").stdout)
    assert (second["added"], second["deleted"], second["total"]) == (0, 0, counts["total"])


def test_ask_json_contract(folders):
    articles, index = folders
    result = run("ask", WHO_LEADS, "--json",
                 "--articles", str(articles), "--index", str(index))
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert {"question", "answer", "abstained", "citations", "timings"} <= answer.keys()
    assert answer["abstained"] is False and "Ottilie Brennand" in answer["answer"]
    citation = answer["citations"][0]
    assert {"marker", "source", "title", "published", "text", "start", "end"} <= citation.keys()
    original = (articles / citation["source"]).read_text("utf-8")
    assert original[citation["start"] : citation["end"]] == citation["text"]


def test_ask_jsonl_answers_each_line(folders):
    articles, index = folders
    questions = f"{WHO_LEADS}\nWhat is the boiling point of mercury?\n"
    result = run("ask", "--jsonl", "--articles", str(articles), "--index", str(index), stdin=questions)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["abstained"] for line in lines] == [False, True]
    assert lines[1]["citations"] == []


def test_search_json_is_best_first(folders):
    articles, index = folders
    result = run("search", "Brennand", "--k", "3", "--json", "--articles", str(articles), "--index", str(index))
    found = json.loads(result.stdout)
    assert found["query"] == "Brennand"
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


def test_index_keeps_going_past_bad_files_and_names_each(tmp_path):
    articles = tmp_path / "articles"
    articles.mkdir()
    story = "Quiet Day In Town\n\nNothing much happened in the town of Arlen today, said the mayor.\n"
    (articles / "story.txt").write_text(story, "utf-8")
    (articles / "story2.txt").write_text(story, "utf-8")
    (articles / "blank.txt").write_text("", "utf-8")
    (articles / "image.txt").write_bytes(bytes(range(256)) * 4)
    (articles / "huge.txt").write_text("Big News\n\n" + "word " * 30_000, "utf-8")
    (articles / "feed.txt").write_bytes("Café Reopens\n\nThe café in Sète reopened on Monday, its owner said.\n".encode("latin-1"))
    env_limit = {"RAG_MAX_ARTICLE_BYTES": "100000"}
    result = subprocess.run(
        [RAG, "index", "--articles", str(articles), "--index", str(tmp_path / "index"), "--json"],
        capture_output=True, text=True, timeout=300, env={**os.environ, **env_limit},
    )
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    reasons = {item["source"]: item["reason"] for item in counts["skipped_files"]}
    assert set(reasons) == {"story2.txt", "blank.txt", "image.txt", "huge.txt"}
    assert reasons["blank.txt"] == "empty file"
    assert "binary" in reasons["image.txt"]
    assert "limit" in reasons["huge.txt"]
    assert reasons["story2.txt"] == "duplicate of story.txt"
    assert counts["files_skipped"] == 4
    for name, reason in reasons.items():
        assert f"skipped {name}: {reason}" in result.stderr
    found = json.loads(run("search", "café Sète", "--articles", str(articles), "--index", str(tmp_path / "index"), "--json").stdout)
    assert found["results"][0]["source"] == "feed.txt"  # Latin-1 decoded, not dropped
    assert "café in Sète" in found["results"][0]["text"]


def test_ask_with_an_endpoint_that_is_down_prints_one_line_and_fails(folders, dead_endpoint):
    articles, index = folders
    env = {**os.environ, "RAG_GENERATOR": "openai", "RAG_OPENAI_BASE_URL": dead_endpoint}
    result = subprocess.run(
        [RAG, "ask", WHO_LEADS, "--articles", str(articles), "--index", str(index)],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert result.returncode == 3
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("rag: ") and f"OpenAI-compatible endpoint at {dead_endpoint} failed" in last, result.stderr


def test_ask_outside_the_project_folder_says_where_it_looked(tmp_path):
    result = run("ask", WHO_LEADS, cwd=tmp_path)
    assert result.returncode == 2
    assert "no articles folder at" in result.stderr and "--articles" in result.stderr
    assert not (tmp_path / "index").exists()  # nothing made up in the wrong place


def test_index_with_its_folder_gone_keeps_every_passage(folders, tmp_path):
    articles, index = folders
    copy = tmp_path / "index"
    shutil.copytree(index, copy)
    before = json.loads(run("search", "Brennand", "--json", "--articles", str(articles), "--index", str(copy)).stdout)
    missing = tmp_path / "gone"
    result = run("index", "--articles", str(missing), "--index", str(copy))
    assert result.returncode == 2 and "does not exist" in result.stderr
    after = run("search", "Brennand", "--json", "--articles", str(missing), "--index", str(copy))
    assert after.returncode == 0, after.stderr
    assert "is missing; answering from the index as it stands" in after.stderr
    assert json.loads(after.stdout)["results"] == before["results"]


def test_ask_within_dates_searches_only_articles_published_then(folders):
    articles, index = folders
    question = WHO_LEADS
    # 02_… is the one story with a date (18 February 2025); the answer is in an undated one
    within = run("ask", question, "--json", "--since", "2025-02-01", "--until", "2025-02-28",
                 "--articles", str(articles), "--index", str(index))
    assert within.returncode == 0, within.stderr
    answer = json.loads(within.stdout)
    assert {c["source"] for c in answer["citations"]} <= {"02_tarrow_tunnel.txt"}
    assert any("chosen dates (1 February 2025 to 28 February 2025)" in note for note in answer["notes"])
    empty = json.loads(run("ask", question, "--json", "--since", "2030-01-01",
                           "--articles", str(articles), "--index", str(index)).stdout)
    assert empty["abstained"] and any("No indexed article was published" in note for note in empty["notes"])
    wrong = run("ask", question, "--since", "March 2025", "--articles", str(articles), "--index", str(index))
    assert wrong.returncode != 0 and "YYYY-MM-DD" in wrong.stderr and "Traceback" not in wrong.stderr
