# Chokepoint — `make play` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
VENV := .venv

# A Python >= 3.12: $PYTHON if set, else the first of python3.14/3.13/3.12/python3 that runs
# and is new enough, else one installed by pyenv.
define FIND_PYTHON
ok() { "$$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }; \
if [ -n "$$PYTHON" ]; then \
  if ok "$$PYTHON"; then echo "$$PYTHON"; exit 0; fi; \
  echo "PYTHON=$$PYTHON is not a Python 3.12 or newer" >&2; exit 1; fi; \
for c in python3.14 python3.13 python3.12 python3; do \
  if command -v $$c >/dev/null 2>&1 && ok $$c; then command -v $$c; exit 0; fi; done; \
root=$$(pyenv root 2>/dev/null || echo "$$HOME/.pyenv"); \
for c in $$(ls -d "$$root"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
  if ok "$$c"; then echo "$$c"; exit 0; fi; done; \
echo "Chokepoint needs Python 3.12 or newer: install it (python.org, your package manager or pyenv) or set PYTHON=/path/to/python3.12" >&2; exit 1
endef

.PHONY: play test lint bench docs clean venv

PORT ?= 8765
HOST ?= 127.0.0.1
PLAY_STAMP := $(VENV)/.installed-play
DEV_STAMP := $(VENV)/.installed-dev

# the virtual environment itself, with a Python found as above
$(VENV)/bin/python:
	@py=$$( $(FIND_PYTHON) ) || exit 1; \
	  echo "creating $(VENV) with $$py"; "$$py" -m venv $(VENV) || exit 1
	$(VENV)/bin/python -m pip install --quiet --upgrade pip

# playing needs only the package and its dependencies
$(PLAY_STAMP): pyproject.toml setup.py | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install --quiet -e .
	@touch $(PLAY_STAMP)

# tests, lint and benchmarks also need the dev tools (pytest, mypy, ruff, Playwright, Dask)
$(DEV_STAMP): pyproject.toml setup.py | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]'
	@touch $(DEV_STAMP) $(PLAY_STAMP)

# the package alone in .venv (what playing and teaching a class need)
venv: $(PLAY_STAMP)

# make play PORT=8800 HOST=0.0.0.0 to serve elsewhere than 127.0.0.1:8765
play: $(PLAY_STAMP)
	$(VENV)/bin/chokepoint play hikvision_2019 --port $(PORT) --host $(HOST)

test: $(DEV_STAMP)
	$(VENV)/bin/python -m pytest -q

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# speed and memory figures, each a ratio against a baseline measured in the same run (~10 min)
bench: $(DEV_STAMP)
	$(VENV)/bin/python benchmarks/engine.py
	$(VENV)/bin/python benchmarks/sweep.py
	$(VENV)/bin/python benchmarks/play.py
	$(VENV)/bin/python benchmarks/classroom.py

# the scenario reference, generated from the validator's models and the registries
docs: $(DEV_STAMP)
	$(VENV)/bin/python -m sim.scenario.docs > docs/scenarios.md
	$(VENV)/bin/python -m sim.calibration > docs/calibration.md

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
