# Two commands: `make demo` (set up, then run the main job) and `make test`.
# `make setup` is idempotent: a stamp file makes it instant when nothing changed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.setup-stamp
LLAMA_VERSION := 0.3.36
LLAMA_CMAKE_ARGS := $(shell bash scripts/llama_cmake_args.sh)
# Built wheels are kept per CPU feature set, so a new clone on the same machine reuses them.
WHEEL_DIR := $(HOME)/.cache/workbench/wheels/$(shell echo "$(LLAMA_VERSION) $(LLAMA_CMAKE_ARGS)" | sha256sum | cut -c1-12)
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: setup demo test lint lab bench clean browser notebooks mlflow

setup: $(STAMP) data/demo.duckdb

$(STAMP): pyproject.toml scripts/llama_cmake_args.sh
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -c 'import sys; assert sys.version_info[:2] == (3, 11), "workbench needs Python 3.11, found " + sys.version'
	$(PIP) install -q --upgrade pip
	# torch first, from the CPU wheel, so nothing later pulls a multi-GB CUDA build.
	$(PIP) install -q torch==2.13.0
	# llama-cpp-python builds from source (about 6.5 min, once per machine); see scripts/llama_cmake_args.sh.
	@if ! $(PY) -c 'import llama_cpp, sys; sys.exit(llama_cpp.__version__ != "$(LLAMA_VERSION)")' 2>/dev/null; then \
	  if ! ls $(WHEEL_DIR)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1; then \
	    echo "building llama-cpp-python $(LLAMA_VERSION) into $(WHEEL_DIR)"; \
	    CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) wheel -q --no-deps --no-cache-dir \
	      llama-cpp-python==$(LLAMA_VERSION) -w $(WHEEL_DIR); \
	  fi; \
	  $(PIP) install -q --force-reinstall --no-deps $(WHEEL_DIR)/llama_cpp_python-$(LLAMA_VERSION)-*.whl; \
	fi
	$(PIP) install -q -e '.[dev]'
	touch $(STAMP)

data/demo.duckdb: scripts/build_demo_db.py $(STAMP)
	$(PY) scripts/build_demo_db.py $@

demo: setup
	$(VENV)/bin/workbench demo

test: setup browser
	$(VENV)/bin/ruff check workbench tests scripts docs
	$(VENV)/bin/mypy
	$(PY) -m pytest

# Debian's Chromium for the JupyterLab browser test (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 || \
	    { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; }; } } || \
	  echo "chromium is not installed and cannot be installed here: the browser test will be skipped"

lint: setup
	$(VENV)/bin/ruff check workbench tests scripts docs
	$(VENV)/bin/mypy
	$(VENV)/bin/ruff format --check workbench tests scripts

lab: setup
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 --no-browser $(ROOT_FLAG) --notebook-dir=notebooks \
	  --LabApp.default_url=/lab/tree/01_quickstart.ipynb

bench: setup
	$(VENV)/bin/workbench bench lm
	$(VENV)/bin/workbench bench retrieval --out outputs/bench-retrieval
	$(VENV)/bin/workbench bench supervisor --out outputs/bench-supervisor
	$(VENV)/bin/workbench bench answer --questions demo --repeat 3 --out outputs/bench-answer

# The MLflow UI on 127.0.0.1:5000 over the project's store, offline (litellm must not fetch its cost map).
mlflow: setup
	LITELLM_LOCAL_MODEL_COST_MAP=True HF_HUB_OFFLINE=1 $(VENV)/bin/mlflow ui \
	  --backend-store-uri sqlite:///$(CURDIR)/mlflow.db --host 127.0.0.1 --port 5000

notebooks: setup
	$(VENV)/bin/workbench notebooks run --params ci

clean:
	rm -rf $(VENV) data/demo.duckdb .pytest_cache .ruff_cache
