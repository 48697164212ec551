# Two set-up commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NATIVE := $(wildcard src/shoal/*/*.c src/shoal/*/*/*.c src/shoal/*/*.h)
# Reinstall (which rebuilds the C kernels) whenever packaging or C sources change.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml setup.py $(NATIVE) | sha1sum | cut -c1-12)
WEB_STAMP := web/node_modules/.installed-$(shell cat web/package-lock.json 2>/dev/null | sha1sum | cut -c1-12)
# The built web app lives in the Python package, which serves it at `/`.
WEB_APP := src/shoal/server/_webapp/index.html
WEB_SOURCES := web/index.html web/vite.config.ts web/tsconfig.json web/package-lock.json \
	web/openapi.json web/scripts/schema-types.mjs \
	$(shell find web/src -type f -not -name '*.test.ts' -not -name '*.test.tsx' \
		-not -path 'web/src/fixtures/*' -not -path 'web/src/test/*' 2>/dev/null)
# Browser tests drive Debian's chromium (Playwright's own browser download is not used).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test test-python test-web web web-types chromium lint typecheck bench bench-web clean

$(STAMP): pyproject.toml setup.py $(NATIVE)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

$(WEB_STAMP): web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	rm -f web/node_modules/.installed-*
	touch $(WEB_STAMP)

$(WEB_APP): $(WEB_STAMP) $(WEB_SOURCES)
	cd web && npm run --silent build -- --logLevel warn

web: $(WEB_APP)

# The web app's API types: the server's OpenAPI schema (web/openapi.json), then
# web/src/api/schema.ts from it (openapi-typescript). Both are committed; tests fail when
# either is stale.
web-types: $(STAMP) $(WEB_STAMP)
	$(BIN)/python -m shoal.server._openapi web/openapi.json
	cd web && npm run --silent gen:types

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

# Builds the demo projects when the store lacks them, then serves the web app on them.
demo: $(STAMP) $(WEB_APP)
	$(BIN)/shoal demo --serve --host $(HOST) --port $(PORT)

test: test-web test-python

test-web: $(WEB_STAMP)
	cd web && npm run --silent typecheck && npm test --silent

test-python: $(STAMP) $(WEB_APP) chromium
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

# The peer evaluators of the `bench` extra, installed without reinstalling (and so
# rebuilding) Shoal. `make bench BENCH_SIZES="S M L"` runs more sizes.
BENCH_STAMP := $(VENV)/.bench-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
BENCH_SIZES ?= M

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['bench'], sep='\n')" \
		| xargs $(BIN)/pip install --quiet
	rm -f $(VENV)/.bench-*
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	for size in $(BENCH_SIZES); do \
		$(BIN)/python benchmarks/coco_eval.py --size $$size --stages \
			--out benchmarks/results/coco-$$size.md || exit 1; \
	done

# The web app in chromium at M and L (benchmarks/results/web-M.md, web-L.md).
WEB_BENCH_SIZES ?= M L

bench-web: $(STAMP) $(WEB_APP) chromium
	for size in $(WEB_BENCH_SIZES); do \
		$(BIN)/python benchmarks/web_speed.py --size $$size \
			--out benchmarks/results/web-$$size.md || exit 1; \
	done

clean:
	rm -rf $(VENV) build src/*.egg-info src/shoal/server/_webapp
