# Two commands: `make run` (set up, build the index, serve the chat page) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8501
# llama.cpp is compiled for this machine's CPU (its vector instructions make the model about a
# quarter faster here than a build for any AVX2 CPU; docs/operations.md). pip's cache
# does not tell builds apart by their flags, and a wheel built for one CPU stops with "Illegal
# instruction" on another that shares the cache, so the wheel is kept in a folder named after
# the CPU's instruction sets, built when it is missing, and installed again when the CPU changes.
LLAMA_VERSION := 0.3.36
LLAMA         := llama-cpp-python==$(LLAMA_VERSION)
CPU_KEY       := $(shell (grep -m1 -E '^(flags|Features)' /proc/cpuinfo 2>/dev/null || \
                   sysctl -n machdep.cpu.brand_string machdep.cpu.features 2>/dev/null || uname -m) | cksum | cut -d' ' -f1)
WHEELHOUSE    := $(HOME)/.cache/rag/wheels/llama-cpp-$(CPU_KEY)
LLAMA_STAMP   := $(VENV)/.llama-$(CPU_KEY)

.PHONY: setup run index test test-fast browser servers bench clean train-reader

$(LLAMA_STAMP):
	test -x $(BIN)/pip || $(PYTHON) -m venv $(VENV)
	ls $(WHEELHOUSE)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || \
		CMAKE_ARGS="-DGGML_NATIVE=ON" $(BIN)/pip wheel --quiet --no-cache-dir --no-deps $(LLAMA) -w $(WHEELHOUSE)
	$(BIN)/pip install --quiet --no-deps --force-reinstall --no-index --find-links $(WHEELHOUSE) $(LLAMA)
	rm -f $(VENV)/.llama-*
	touch $@

$(STAMP): pyproject.toml $(LLAMA_STAMP)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch comes from the machine's wheel folder; pin it before anything pulls CUDA.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

index: setup
	$(BIN)/rag index

run: setup
	$(BIN)/rag index
	$(BIN)/streamlit run ui/app.py --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false

# Debian's Chromium for the browser tests (Playwright's own browser download is not used).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

# Debian's PostgreSQL for the scale-out tests (a shared record manager); the tests start their own server.
servers:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq postgresql >/dev/null)

test: setup browser servers
	$(BIN)/python -m pytest -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not llm and not browser"

# Every benchmark in bench/, printing its figures (SciFact needs ../shared and about 10 minutes
# for its first index; SQuAD 2.0 about 10 s a question with the default generator).
bench: setup browser
	$(BIN)/python bench/seeds.py
	$(BIN)/python bench/dev_retrieval.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/app_memory.py
	$(BIN)/python bench/scifact.py --levers
	$(BIN)/python bench/corruptions.py
	$(BIN)/python bench/reader.py
	$(BIN)/python bench/squad2.py
	$(BIN)/python bench/news.py
	$(BIN)/python bench/follow.py

# Train the reader on ../shared/train/squad2 and export it into rag/models/weights/reader (48 minutes
# on 2 cores; never part of the install). It runs in the background, checkpointing as it goes, and
# resumes from its last checkpoint when started again; follow training/runs/reader.log.
train-reader: setup
	mkdir -p training/runs
	nohup $(BIN)/python training/train_reader.py --epochs 3 --others 1 > training/runs/reader.log 2>&1 &
	@echo "training in the background: tail -f training/runs/reader.log"

clean:
	rm -rf index
