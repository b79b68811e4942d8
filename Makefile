# Two commands matter (see README): `make run` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup browser index run test check eval bench

setup: $(VENV)/.installed

# torch first, pinned: pip takes the CPU wheel from this machine's disk; an
# unpinned torch would pull a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	touch $@

# Debian's Chromium for the end-to-end browser test (Playwright drives it; no browser download).
browser:
	@dpkg -s chromium chromium-driver fonts-wqy-microhei >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-wqy-microhei)

index: setup
	$(VENV)/bin/rag build

# make run PORT=8000 HOST=0.0.0.0 (set RAG_ADMIN_PASSWORD before opening the app to other computers)
run: index
	$(PY) app.py $(if $(PORT),--port $(PORT)) $(if $(HOST),--host $(HOST))

# Regression gates on the development sets, read in place (never copied into the repository).
# Each set on its own small corpus first (the shipped plans plus that set's files), then all of them as
# deployed: ONE library of every development document — shipped + ../shared/newplans (short web pages) +
# ../shared/realpdfs (16 government PDFs) + ../shared/placedocs (12 more documents of the same places) —
# gating every question set on it, per set, held-out files apart, each printed beside its small-corpus
# figures (--versus).
NEWPLANS := ../shared/newplans
REALPDFS := ../shared/realpdfs
PLACEDOCS := ../shared/placedocs
TMP := $(or $(TMPDIR),/tmp)
WIDE := $(TMP)/rag-newplans-$(shell id -u)
REAL := $(TMP)/rag-realpdfs-$(shell id -u)
LIBRARY := $(TMP)/rag-library-$(shell id -u)
EVAL_FULL := $(VENV)/bin/rag eval --systems full

test: setup browser index
	$(PY) -m pytest -q
	$(VENV)/bin/rag eval-targets
	$(VENV)/bin/rag eval --baseline evals/baseline.json
	$(EVAL_FULL) --set evals/questions_types.jsonl --holdout evals/holdout_types.json --baseline evals/baseline_types.json
	rm -rf $(WIDE)/corpus && mkdir -p $(WIDE)/corpus && cp corpus/* $(NEWPLANS)/*.txt $(WIDE)/corpus/
	$(VENV)/bin/rag build --corpus $(WIDE)/corpus --index $(WIDE)/index --json > /dev/null
	$(EVAL_FULL) --corpus $(WIDE)/corpus --index $(WIDE)/index --set $(NEWPLANS)/questions.jsonl --baseline evals/baseline_newplans.json
	cp evals/reports/latest.json $(WIDE)/report.json
	rm -rf $(REAL)/corpus && mkdir -p $(REAL)/corpus && cp corpus/* $(REAL)/corpus/ && ln -s $(abspath $(REALPDFS))/*.pdf $(REAL)/corpus/
	$(VENV)/bin/rag build --corpus $(REAL)/corpus --index $(REAL)/index --json > /dev/null
	$(EVAL_FULL) --corpus $(REAL)/corpus --index $(REAL)/index --set $(REALPDFS)/questions.jsonl --holdout evals/holdout_realpdfs.json --baseline evals/baseline_realpdfs.json
	cp evals/reports/latest.json $(REAL)/report.json
	rm -rf $(LIBRARY)/corpus && mkdir -p $(LIBRARY)/corpus && cp corpus/* $(NEWPLANS)/*.txt $(LIBRARY)/corpus/ \
		&& ln -s $(abspath $(REALPDFS))/*.pdf $(abspath $(PLACEDOCS))/*.pdf $(LIBRARY)/corpus/
	$(VENV)/bin/rag build --corpus $(LIBRARY)/corpus --index $(LIBRARY)/index --json > /dev/null
	$(EVAL_FULL) --corpus $(LIBRARY)/corpus --index $(LIBRARY)/index --set $(NEWPLANS)/questions.jsonl \
		--versus $(WIDE)/report.json --baseline evals/baseline_library_newplans.json
	$(EVAL_FULL) --corpus $(LIBRARY)/corpus --index $(LIBRARY)/index --set $(REALPDFS)/questions.jsonl --holdout evals/holdout_realpdfs.json \
		--meta $(REALPDFS)/meta.json --versus $(REAL)/report.json --baseline evals/baseline_library_realpdfs.json
	$(EVAL_FULL) --corpus $(LIBRARY)/corpus --index $(LIBRARY)/index --set evals/questions_placedocs.jsonl --holdout evals/holdout_placedocs.json \
		--meta evals/meta_placedocs.json --baseline evals/baseline_library_placedocs.json

# The fast layer: tests that need no model and no index (normalisation, saved web pages, document
# metadata and places on written documents, export cells), in well under a minute.
check: setup
	$(PY) -m pytest -q tests/test_normalize.py tests/test_html.py tests/test_library.py tests/test_grammar.py tests/test_layout.py tests/test_exports.py::test_safe_cell_table

eval: index
	$(VENV)/bin/rag eval
