# The handful of commands people run. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test unit bench stress lint format schemas catalogues clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "qms-audit needs Python 3.11 or newer: run 'make PYTHON=python3.11 ...'"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# The demo workspace lives outside the repository (`qms-audit demo --path` shows where), so using it never
# changes a tracked file; it is kept between runs (`qms-audit demo --reset` starts over).
run: $(STAMP)
	@echo "qms-audit is installed in $(BIN)/; to run it from this shell: source $(BIN)/activate"
	$(BIN)/qms-audit demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The unit tests only (no files, processes or TUI), in seconds. Every test outside tests/unit/ is marked e2e;
# naming the folder as well spares collecting (importing) the end-to-end modules only to deselect them.
unit: $(STAMP)
	$(BIN)/python -m pytest -q -m "not e2e" tests/unit

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

stress: $(STAMP)
	QMS_AUDIT_STRESS=long QMS_FUZZ_EXAMPLES=400 $(BIN)/python -m pytest -q tests/test_crash_safety.py tests/test_fuzz.py

# Style, types, and the import contracts of pyproject.toml (the layers of docs/architecture.md)
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks

# The interface's words in Bahasa Indonesia and Bahasa Melayu: extract the words from the code, bring each
# catalogue up to date (new words come in empty, words gone from the code go out), then compile. Translate the
# empty entries of src/qms_audit/locale/*/LC_MESSAGES/qms_audit.po and run it again; tests/test_catalogues.py
# fails on any word left untranslated or stale.
catalogues: $(STAMP)
	$(BIN)/python scripts/catalogues.py update

schemas: $(STAMP)
	$(BIN)/python -m qms_audit.schemas.regenerate

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
