# Daogou: `make run` starts everything, `make test` runs the whole suite, `make shell` talks to it.
SHELL := /bin/bash
# Rasa 3.6 needs Python 3.10; pyenv machines have it outside PATH's working shims.
PY311 ?= $(shell for c in python3.11 $$(pyenv root 2>/dev/null)/versions/3.11*/bin/python3.11; do $$c -c '' 2>/dev/null && { echo $$c; break; }; done)
PY310 ?= $(shell for c in python3.10 $$(pyenv root 2>/dev/null)/versions/3.10*/bin/python3.10; do $$c -c '' 2>/dev/null && { echo $$c; break; }; done)

.PHONY: setup run run-production test shell clean browser vendor
# The browser tests (tests/web/test_widget.py) drive Debian's Chromium headless through Playwright.
CHROMIUM ?= /usr/bin/chromium

# The two virtualenvs install side by side (about 40 % of a fresh clone's first run).
setup:
	@$(MAKE) --no-print-directory -j2 --output-sync=target .venv/.installed .venv-rasa/.installed

.venv/.installed: requirements/app.lock pyproject.toml
	@test -n "$(PY311)" || { echo "Python 3.11 is required (python3.11 not found)"; exit 1; }
	test -x .venv/bin/python || $(PY311) -m venv .venv
	.venv/bin/pip install --quiet --upgrade pip
	# The CPU build of torch first, or pip pulls a multi-GB CUDA build.
	.venv/bin/pip install --quiet torch==2.13.0
	.venv/bin/pip install --quiet -r requirements/app.lock
	.venv/bin/pip install --quiet --no-deps -e .
	touch $@

.venv-rasa/.installed: requirements/rasa.lock
	@test -n "$(PY310)" || { echo "Python 3.10 is required for Rasa 3.6 (python3.10 not found)"; exit 1; }
	test -x .venv-rasa/bin/python || $(PY310) -m venv .venv-rasa
	.venv-rasa/bin/pip install --quiet --upgrade pip
	.venv-rasa/bin/pip install --quiet -r requirements/rasa.lock
	touch $@

run: setup
	.venv/bin/shopbot run

# PostgreSQL, Redis and RabbitMQ on loopback (docs/production.md); two Rasa, two action workers.
run-production: setup
	SHOPBOT_PROFILE=production .venv/bin/shopbot run

test: setup browser
	.venv/bin/shopbot setup
	.venv/bin/python -m pytest

# The inner loop, under 5 minutes on 2 cores: everything not marked slow — no Rasa server, Rasa
# training, browser, Spark or production stack (pyproject.toml's markers). CI runs `make test`.
.PHONY: test-fast
test-fast: setup
	.venv/bin/python -m pytest -m "not slow"

# Debian's Chromium and a CJK font (Chinese in screenshots), installed when missing and root.
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium and fonts-noto-cjk for the browser tests"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk >/dev/null || \
	    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk >/dev/null; }; \
	  else echo "note: no Chromium at $(CHROMIUM): browser tests will skip (sudo apt-get install chromium fonts-noto-cjk)"; fi; \
	fi

# Refresh web/static/vendor/ from package-lock.json (needs node + npm; not needed to run).
vendor:
	npm ci --no-audit --no-fund
	npm run vendor

shell: setup
	.venv/bin/shopbot setup
	.venv/bin/shopbot shell

clean:
	rm -rf var models .rasa data/generated
