# pkiviz: two commands. `make book` opens the book; `make test` runs every test, chapters included.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP_BOOK := $(VENV)/.stamp-book
STAMP_TEST := $(VENV)/.stamp-test

.PHONY: book test lint typecheck pytest fuzz bench clean site

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_BOOK): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[book]'
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP_BOOK)

# JupyterLab refuses to run as root without --allow-root (containers often run as root).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

book: $(STAMP_BOOK)
	$(BIN)/jupyter lab $(ALLOW_ROOT) book/00-welcome.ipynb

lint: $(STAMP_TEST)
	$(BIN)/ruff check pkiviz tests benchmarks
	$(BIN)/ruff format --check pkiviz tests benchmarks

typecheck: $(STAMP_TEST)
	$(BIN)/mypy

pytest: $(STAMP_TEST)
	$(BIN)/pytest -p no:cacheprovider --nbval --nbval-sanitize-with book/sanitize.cfg tests book

test: lint typecheck pytest

# The property tests with fresh random examples (make test replays fixed ones).
FUZZ_TESTS := $(shell grep -l '@given' tests/*.py)
fuzz: $(STAMP_TEST)
	HYPOTHESIS_PROFILE=explore $(BIN)/pytest -p no:cacheprovider $(FUZZ_TESTS)

# The book as static HTML for reading offline (chapters as saved, contents, glossary).
site: $(STAMP_BOOK)
	$(BIN)/python -m pkiviz.site build site/

bench: $(STAMP_TEST)
	for f in benchmarks/*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
