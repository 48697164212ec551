# Two set-up commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NATIVE := $(wildcard src/shoal/*/*.c src/shoal/*/*/*.c)
# Reinstall (which rebuilds the C kernels) whenever packaging or C sources change.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml setup.py $(NATIVE) | sha1sum | cut -c1-12)

.PHONY: demo test test-python test-web lint typecheck bench clean
WEB_STAMP := web/node_modules/.installed-$(shell cat web/package-lock.json 2>/dev/null | sha1sum | cut -c1-12)

$(STAMP): pyproject.toml setup.py $(NATIVE)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/shoal demo --build
	$(BIN)/shoal demo

test: test-python test-web

$(WEB_STAMP): web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	rm -f web/node_modules/.installed-*
	touch $(WEB_STAMP)

test-web: $(WEB_STAMP)
	cd web && npm run --silent typecheck && npm test --silent

test-python: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/coco_eval.py --size M

clean:
	rm -rf $(VENV) build src/*.egg-info
