# dlref: `make serve` to read the site, `make test` to verify everything.
# Both set up what they need on a fresh machine (see README.md).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
KATEX := overrides/assets/katex
export NO_MKDOCS_2_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup system-deps execute site html serve preview test lint unit doctest site-test bench compat clean

setup: $(VENV)/.installed $(KATEX)/katex.min.js

$(VENV)/.installed: requirements/site.txt requirements/lint.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements/site.txt -r requirements/lint.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

# KaTeX is served by the site itself (no CDN): taken from the npm registry.
$(KATEX)/katex.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	rm -rf $(KATEX) && mkdir -p $(KATEX)
	cp -r node_modules/katex/dist/katex.min.js node_modules/katex/dist/katex.min.css \
	      node_modules/katex/dist/fonts node_modules/katex/dist/contrib $(KATEX)/
	touch $@

system-deps:
	@scripts/install-system-deps.sh

# Execute every page of both languages (two at a time); cached pages are skipped.
execute: setup system-deps
	$(PY) -m sitegen --jobs 2

# Both languages, built in parallel from the executed pages, each into its own
# folder (a build cleans its folder), then assembled: English in site/, Chinese in site/zh/.
# The library's wheel and sdist are built first (sitegen/dist.py) and published
# with each language (site/dist/, site/zh/dist/), where the pages link to them.
site: execute
	@$(MAKE) --no-print-directory html

# No -q: MkDocs' quiet mode drops warnings before strict mode can count them.
html: setup
	rm -rf .cache/build site
	$(PY) -m sitegen.dist
	$(PY) -m mkdocs build -f mkdocs.yml -d .cache/build/en & en=$$!; \
	$(PY) -m mkdocs build -f mkdocs.zh.yml -d .cache/build/zh & zh=$$!; \
	wait $$en; en_status=$$?; wait $$zh; zh_status=$$?; \
	test $$en_status -eq 0 && test $$zh_status -eq 0
	mv .cache/build/en site && mv .cache/build/zh site/zh
	@echo "site built: site/ (English), site/zh/ (Chinese)"

serve: site
	@echo "serving http://$(HOST):$(PORT)/ (English) and http://$(HOST):$(PORT)/zh/ (Chinese)"
	$(PY) -m http.server $(PORT) --bind $(HOST) --directory site

# Live preview for authors: both languages at / and /zh/, rebuilt on every save
# and reloaded in the browser; only changed code executes (sitegen/preview.py).
preview: execute
	$(PY) -m sitegen.dist
	$(PY) -m sitegen.preview --host $(HOST) --port $(PORT)

lint: setup
	$(PY) -m ruff check src sitegen tests
	$(PY) -m ruff format --check src sitegen tests
	$(PY) -m mypy
	$(VENV)/bin/actionlint .github/workflows/*.yml

unit: setup system-deps
	$(PY) -m pytest -m "not site" -n 2 -q

site-test: site
	$(PY) -m pytest -m site -q

# The examples in the library's docstrings, and the Python fences of the top-level
# Markdown files, each run on its own by pytest-markdown-docs (conftest.py shows it the
# fences under a docstring's Examples: heading). Chapter pages run in the build instead.
doctest: setup
	$(PY) -m pytest --markdown-docs -m markdown-docs -q src/dlref README.md CONTRIBUTING.md DESIGN.md

test: lint unit doctest site-test

bench: setup system-deps
	$(PY) -m sitegen.bench

# The version ranges pyproject.toml claims, checked in throwaway environments
# (sitegen/compat.py): the oldest releases they admit and the newest on the
# registry, each running the library's tests, the docstring examples and every
# English page; results in compat/results.json, shown on the verification page.
# Minutes and GB per environment, so not part of `make test` (sitegen/compat.py says why).
# One environment: make compat COMPAT_ARGS="--env oldest-libs"
compat: setup
	$(PY) -m sitegen.compat $(COMPAT_ARGS)

clean:
	rm -rf site .cache $(KATEX) node_modules
