# The few commands the README names. Every target sets up .venv first, so `.venv/bin/scrapy` is the
# project's Scrapy once any target has run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= data
SNAPSHOT ?= fixtures/snapshot

.PHONY: venv test check lint splash-ready demo crawl bench snapshot golden fields clean export browse deploy splash splash-install splash-stop splash-status bench-render

$(BIN)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

venv: $(BIN)/.installed

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The whole suite, in parallel (pytest-xdist): docs/testing.md has the markers, the servers the fixtures
# start and the measured times.
PYTEST_PARALLEL ?= -n 3 --dist loadfile --no-loadscope-reorder
test: lint splash-ready
	$(BIN)/pytest -q $(PYTEST_PARALLEL)

# The edit loop: lint, types, unit tests and doctests; no crawl, no server, no other process (-m "not slow").
check: lint
	$(BIN)/pytest -q -m "not slow"

# The rendering tests need Splash: installed here when this machine can (Debian, as root or with sudo);
# elsewhere they are skipped with the reason (under CI they fail instead).
splash-ready:
	@bash tools/splash.sh python >/dev/null 2>&1 \
	|| { command -v apt-get >/dev/null && { [ "$$(id -u)" -eq 0 ] || command -v sudo >/dev/null; } \
	     && bash tools/splash.sh install; } \
	|| echo "Splash cannot be installed on this machine: the rendering tests will be skipped"

# Crawl the bundled snapshot offline (replay) into $(DATA)/.
demo: venv
	mkdir -p $(DATA)
	NEWSCRAWL_REPLAY=$(SNAPSHOT) NEWSCRAWL_DATA_DIR=$(DATA) $(BIN)/scrapy crawl report_feed -a since=2000-01-01

# Crawl the live site (needs internet) into $(DATA)/.
crawl: venv
	mkdir -p $(DATA)
	NEWSCRAWL_DATA_DIR=$(DATA) $(BIN)/scrapy crawl report_feed

# Build the egg and deploy it to a Scrapyd target of scrapy.cfg: local (127.0.0.1:6800) or remote (URL and
# credentials from NEWSCRAWL_SCRAPYD_URL, NEWSCRAWL_SCRAPYD_USERNAME, NEWSCRAWL_SCRAPYD_PASSWORD).
TARGET ?= local
deploy: venv
	@if [ "$(TARGET)" != local ] && [ -z "$$NEWSCRAWL_SCRAPYD_URL" ]; then \
		echo "make deploy: set NEWSCRAWL_SCRAPYD_URL (and NEWSCRAWL_SCRAPYD_USERNAME, NEWSCRAWL_SCRAPYD_PASSWORD) for TARGET=$(TARGET)" >&2; \
		exit 2; fi
	$(BIN)/scrapyd-deploy $(TARGET)

bench: venv
	$(BIN)/python bench/parse.py
	$(BIN)/python bench/store.py
	$(BIN)/python bench/mutation.py
	$(BIN)/python bench/export.py

# Export the store in $(DATA)/ as a Parquet dataset in $(DATA)/dataset (see docs/datasets.md).
export: venv
	NEWSCRAWL_DATA_DIR=$(DATA) $(BIN)/scrapy export $(DATA)/dataset

# Browse the store in Datasette on http://127.0.0.1:$(BROWSE_PORT), with datasette/metadata.yml.
BROWSE_PORT ?= 8001
browse: venv
	@test -f $(DATA)/newscrawl.sqlite3 || { echo "no store at $(DATA)/newscrawl.sqlite3: run make demo (or make crawl) first"; exit 1; }
	$(BIN)/datasette serve $(DATA)/newscrawl.sqlite3 --metadata datasette/metadata.yml --host 127.0.0.1 --port $(BROWSE_PORT)
	$(BIN)/python bench/crawl.py
	$(BIN)/python bench/incremental.py
	$(BIN)/python bench/backfill.py

# Rendering cost: plain against Splash over the site simulator (needs `make splash-install`).
bench-render: venv
	$(BIN)/python bench/render.py

# Re-render fixtures/snapshot and fixtures/snapshot-next from fixtures/generator/.
snapshot: venv
	$(BIN)/python -m fixtures.generator

# Rewrite the golden JSON beside each snapshot page, for review with `git diff`.
golden: venv
	$(BIN)/python tools/regen_golden.py

# Rewrite the README's field tables and the Datasette column descriptions from newscrawl/schemas/.
fields: venv
	$(BIN)/python tools/sync_fields.py

# Splash 3.5, the JavaScript renderer behind `-a render=splash` (Debian 12; tools/splash.sh says how).
SPLASH_PORT ?= 8050
splash-install:
	bash tools/splash.sh install
splash:
	bash tools/splash.sh python >/dev/null || bash tools/splash.sh install
	bash tools/splash.sh start $(SPLASH_PORT)
splash-stop:
	bash tools/splash.sh stop $(SPLASH_PORT)
splash-status:
	bash tools/splash.sh status $(SPLASH_PORT)

clean:
	rm -rf $(VENV) $(DATA) .mypy_cache .ruff_cache
