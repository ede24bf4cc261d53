# pkiviz: two commands. `make book` opens the book; `make test` runs every test, chapters included.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP_BOOK := $(VENV)/.stamp-book
STAMP_TEST := $(VENV)/.stamp-test

.PHONY: book test lint typecheck pytest fuzz bench clean site other-openssl hub classroom-load

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
	$(BIN)/jupyter lab $(ALLOW_ROOT) book/00-tour.ipynb

lint: $(STAMP_TEST)
	$(BIN)/ruff check pkiviz tests benchmarks
	$(BIN)/ruff format --check pkiviz tests benchmarks

typecheck: $(STAMP_TEST)
	$(BIN)/mypy

pytest: $(STAMP_TEST)
	$(BIN)/pytest -p no:cacheprovider --nbval --nbval-sanitize-with book/sanitize.cfg tests book

test: lint typecheck pytest

# The chapters that run openssl and curl, once more on today's Debian OpenSSL (the openssl
# command and libssl3, unpacked beside the system's and used by the whole kernel: openssl,
# curl and Python's ssl): what those tools print may change between builds, the facts the
# book asserts must not. Needs apt-get (Debian); .ci/run runs it after make test.
OTHER_OPENSSL := .cache/other-openssl
other-openssl: $(STAMP_TEST)
	rm -rf $(OTHER_OPENSSL) && mkdir -p $(OTHER_OPENSSL)/debs
	cd $(OTHER_OPENSSL)/debs && apt-get download -qq openssl libssl3
	for deb in $(OTHER_OPENSSL)/debs/*.deb; do dpkg -x $$deb $(OTHER_OPENSSL)/root || exit 1; done
	LD_LIBRARY_PATH=$$(dirname $(OTHER_OPENSSL)/root/usr/lib/*/libssl.so.3) $(OTHER_OPENSSL)/root/usr/bin/openssl version
	PKIVIZ_OTHER_OPENSSL=$(abspath $(OTHER_OPENSSL))/root $(BIN)/pytest -p no:cacheprovider \
		-k real_other_openssl tests/test_book_tools.py

# The property tests with fresh random examples (make test replays fixed ones).
FUZZ_TESTS := $(shell grep -l '@given' tests/*.py)
fuzz: $(STAMP_TEST)
	HYPOTHESIS_PROFILE=explore $(BIN)/pytest -p no:cacheprovider $(FUZZ_TESTS)

# The book as static HTML for reading offline (chapters as saved, contents, glossary).
site: $(STAMP_BOOK)
	$(BIN)/python -m pkiviz.site build site/
	$(BIN)/python -m pkiviz.site.launch site/

# A classroom on this machine: a real JupyterHub on 127.0.0.1 (test users, any name, password
# 'pkiviz'; a local process and a copy of the book per student), in a venv of its own with
# configurable-http-proxy from npm. classroom-load: STUDENTS simulated students at once execute
# every chapter through real kernels and compare the outputs (minutes; not part of make test).
HUB_VENV ?= .cache/hub-venv
HUB_NPM  ?= .cache/hub-npm
CHP      := $(abspath $(HUB_NPM))/node_modules/.bin/configurable-http-proxy
STUDENTS ?= 1,2,4,8

$(HUB_VENV)/.stamp: pyproject.toml
	$(PYTHON) -m venv $(HUB_VENV)
	$(HUB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(HUB_VENV)/bin/python -m pip install --quiet -e '.[book,hub]'
	touch $@

$(CHP):
	mkdir -p $(HUB_NPM) && cd $(HUB_NPM) && npm install --silent --no-fund --no-audit configurable-http-proxy

hub: $(HUB_VENV)/.stamp $(CHP)
	$(HUB_VENV)/bin/python -m pkiviz.classroom hub --proxy $(CHP)

classroom-load: $(HUB_VENV)/.stamp $(CHP)
	$(HUB_VENV)/bin/python -m pkiviz.classroom load --students $(STUDENTS) --proxy $(CHP) \
		--out benchmarks/classroom.json

bench: $(STAMP_TEST)
	for f in benchmarks/*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
