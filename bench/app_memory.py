"""Peak memory of the chat page's process while it answers questions.

    .venv/bin/python bench/app_memory.py [--generator llamacpp] [--loop 200]

Starts `streamlit run ui/app.py` on a free port with a fresh index of `seeds/` in a temporary
folder, asks two questions through Debian's Chromium (Playwright), waits for each answer, and
prints the process's peak resident memory (VmHWM from /proc) and its resident memory at the end.

With `--loop N` it then asks N more, each from a freshly loaded page (a new session, as a new
reader would), and prints the resident memory every 20 questions: memory that keeps growing with
the questions asked would show there.

    .venv/bin/python bench/app_memory.py --first-question [--reading 5]

instead times the first question a freshly started server answers (until the checked answer and
its sources show, not the draft), asked `--reading` seconds after the chat box shows (a reader
reading the page, typing), with the model loaded when the first page opens
(`RAG_PRELOAD_MODEL=true`, the default) and only when the question comes, side by side: a fresh
server for each, taken in turn three times.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [  # each with a word its answer must show
    ("Which Russian foreign minister did Rubio meet?", "Lavrov"),
    ("Which treaty on nuclear arms was mentioned?", "START"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def memory_mib(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def start_page(port: int, env: dict[str, str]) -> subprocess.Popen:
    """`streamlit run ui/app.py` on `port`, once it answers its health check."""
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "streamlit"), "run", str(ROOT / "ui" / "app.py"),
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
            return server
        except OSError:
            if time.monotonic() > deadline:
                server.terminate()
                sys.exit("the page did not start")
            time.sleep(0.5)


@contextmanager
def served_page(generator: str, index: str, **settings: str):
    """A started server of the page (seeds, `index`, `generator` and other `RAG_*` settings) and a
    Chromium page on it: yields (server, page, url); the server is stopped after."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    env = {**os.environ, "RAG_ARTICLES_DIR": str(ROOT / "seeds"), "RAG_INDEX_DIR": index,
           "RAG_GENERATOR": generator, **{f"RAG_{key.upper()}": value for key, value in settings.items()}}
    server = start_page(port, env)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                      "--disable-component-update"],
            )
            yield server, browser.new_page(), f"http://127.0.0.1:{port}"
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


def chat_box(page, url: str):
    """The page at `url` loaded afresh (a new session), and its chat box once it shows."""
    page.goto(url)
    box = page.get_by_placeholder("Ask a question about the articles")
    box.wait_for(timeout=300_000)
    return box


def first_question(generator: str, preload: bool, reading: float, index: str) -> float:
    """Seconds from a fresh server's first question to its checked answer, asked `reading`
    seconds after the chat box shows; the server is started for it (on an index already built)
    and stopped."""
    with served_page(generator, index, preload_model=str(preload).lower()) as (_, page, url):
        box = chat_box(page, url)
        time.sleep(reading)
        question, expected = QUESTIONS[0]
        started = time.perf_counter()
        box.fill(question)
        box.press("Enter")
        page.get_by_text(expected, exact=False).first.wait_for(timeout=300_000)
        page.get_by_text("highlighted in", exact=False).first.wait_for(timeout=300_000)  # checked, not the draft
        return time.perf_counter() - started


def compare_first_questions(generator: str, reading: float, rounds: int = 3) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        index = f"{scratch}/index"
        first_question(generator, False, 0, index)  # builds the index, so every round finds it built
        times: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(rounds):
            for preload in (False, True):
                times[preload].append(first_question(generator, preload, reading, index))
    print(f"a fresh server's first question ({generator}), asked {reading:g} s after the chat box shows:")
    for preload, label in ((False, "model loaded at the question"), (True, "model loaded as the page opens")):
        rounded = ", ".join(f"{t:.1f}" for t in times[preload])
        print(f"  {label}: {rounded} s (median {statistics.median(times[preload]):.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generator", default="llamacpp")
    parser.add_argument("--loop", type=int, default=0, help="questions asked after the first two")
    parser.add_argument("--first-question", action="store_true",
                        help="time a fresh server's first question with the model loaded as the page opens and without")
    parser.add_argument("--reading", type=float, default=5.0,
                        help="with --first-question: seconds between the chat box showing and the question")
    args = parser.parse_args()
    if args.first_question:
        compare_first_questions(args.generator, args.reading)
        return

    with tempfile.TemporaryDirectory() as scratch, served_page(args.generator, f"{scratch}/index") as (server, page, url):
        box = chat_box(page, url)
        for question, expected in QUESTIONS:
            started = time.perf_counter()
            box.fill(question)
            box.press("Enter")
            page.get_by_text(expected, exact=False).first.wait_for(timeout=300_000)
            print(f"answered in {time.perf_counter() - started:.1f} s: {question}")
        if args.loop:
            after_two = memory_mib(server.pid)["VmRSS"]
            print(f"resident after 2 questions: {after_two:.0f} MiB")
            started = time.perf_counter()
            for number in range(1, args.loop + 1):
                question, expected = QUESTIONS[number % len(QUESTIONS)]
                box = chat_box(page, url)
                box.fill(question)
                box.press("Enter")
                # the answer, or an abstention: either ends the question
                finished = re.compile(f"{re.escape(expected)}|articles don't say")
                page.get_by_text(finished).first.wait_for(timeout=300_000)
                if number % 20 == 0:
                    rss = memory_mib(server.pid)["VmRSS"]
                    print(f"after {number + 2} questions: resident {rss:.0f} MiB "
                          f"({rss - after_two:+.0f} MiB), {(time.perf_counter() - started) / number:.1f} s a question",
                          flush=True)
        figures = memory_mib(server.pid)
        print(f"app process ({args.generator}): peak resident memory {figures['VmHWM']:.0f} MiB, "
              f"resident now {figures['VmRSS']:.0f} MiB")


if __name__ == "__main__":
    main()
