# Two commands matter (see README): `make run` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup browser index run test eval bench

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

# Regression gates on the development sets, each built in a temporary folder and read in place
# (never copied into the repository): the shipped plans plus ../shared/newplans (short web pages),
# and the shipped plans plus the 16 real government PDFs of ../shared/realpdfs.
NEWPLANS := ../shared/newplans
REALPDFS := ../shared/realpdfs
WIDE := $(or $(TMPDIR),/tmp)/rag-newplans-$(shell id -u)
REAL := $(or $(TMPDIR),/tmp)/rag-realpdfs-$(shell id -u)

test: setup browser index
	$(PY) -m pytest -q
	$(VENV)/bin/rag eval-targets
	$(VENV)/bin/rag eval --baseline evals/baseline.json
	$(VENV)/bin/rag eval --set evals/questions_types.jsonl --systems full --holdout evals/holdout_types.json --baseline evals/baseline_types.json
	rm -rf $(WIDE)/corpus && mkdir -p $(WIDE)/corpus && cp corpus/* $(NEWPLANS)/*.txt $(WIDE)/corpus/
	$(VENV)/bin/rag build --corpus $(WIDE)/corpus --index $(WIDE)/index --json > /dev/null
	$(VENV)/bin/rag eval --corpus $(WIDE)/corpus --index $(WIDE)/index --set $(NEWPLANS)/questions.jsonl --systems full --baseline evals/baseline_newplans.json
	rm -rf $(REAL)/corpus && mkdir -p $(REAL)/corpus && cp corpus/* $(REAL)/corpus/ && ln -s $(abspath $(REALPDFS))/*.pdf $(REAL)/corpus/
	$(VENV)/bin/rag build --corpus $(REAL)/corpus --index $(REAL)/index --json > /dev/null
	$(VENV)/bin/rag eval --corpus $(REAL)/corpus --index $(REAL)/index --set $(REALPDFS)/questions.jsonl --systems full --holdout evals/holdout_realpdfs.json --baseline evals/baseline_realpdfs.json

eval: index
	$(VENV)/bin/rag eval
