"""Peak memory of the chat page's process while it answers questions.

    .venv/bin/python bench/app_memory.py [--generator llamacpp] [--loop 200]

Starts `streamlit run ui/app.py` on a free port with a fresh index of `seeds/` in a temporary
folder, asks two questions through Debian's Chromium (Playwright), waits for each answer, and
prints the process's peak resident memory (VmHWM from /proc) and its resident memory at the end.

With `--loop N` it then asks N more, each from a freshly loaded page (a new session, as a new
reader would), and prints the resident memory every 20 questions: memory that keeps growing with
the questions asked would show there.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generator", default="llamacpp")
    parser.add_argument("--loop", type=int, default=0, help="questions asked after the first two")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    port = free_port()
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "RAG_ARTICLES_DIR": str(ROOT / "seeds"), "RAG_INDEX_DIR": f"{scratch}/index",
               "RAG_GENERATOR": args.generator}
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "streamlit"), "run", str(ROOT / "ui" / "app.py"),
             "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        sys.exit("the page did not start")
                    time.sleep(0.5)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium",
                    args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                          "--disable-component-update"],
                )
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{port}")
                box = page.get_by_placeholder("Ask a question about the articles")
                box.wait_for(timeout=300_000)
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
                        page.goto(f"http://127.0.0.1:{port}")
                        box = page.get_by_placeholder("Ask a question about the articles")
                        box.wait_for(timeout=300_000)
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
                browser.close()
            figures = memory_mib(server.pid)
            print(f"app process ({args.generator}): peak resident memory {figures['VmHWM']:.0f} MiB, "
                  f"resident now {figures['VmRSS']:.0f} MiB")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
