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

# The new-plans regression gate: the shipped plans plus ../shared/newplans, built in a temporary
# folder (the development set is read in place, never copied into the repository).
NEWPLANS := ../shared/newplans
WIDE := $(or $(TMPDIR),/tmp)/rag-newplans-$(shell id -u)

test: setup browser index
	$(PY) -m pytest -q
	$(VENV)/bin/rag eval-targets
	$(VENV)/bin/rag eval --baseline evals/baseline.json
	rm -rf $(WIDE)/corpus && mkdir -p $(WIDE)/corpus && cp corpus/* $(NEWPLANS)/*.txt $(WIDE)/corpus/
	$(VENV)/bin/rag build --corpus $(WIDE)/corpus --index $(WIDE)/index --json > /dev/null
	$(VENV)/bin/rag eval --corpus $(WIDE)/corpus --index $(WIDE)/index --set $(NEWPLANS)/questions.jsonl --systems full --baseline evals/baseline_newplans.json

eval: index
	$(VENV)/bin/rag eval
