# Two commands: `make demo` runs the whole study on the embedded cohort; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed
CORES ?= 2
export PATH := $(BIN):$(PATH)

.PHONY: demo test install lint clean

install: $(STAMP)

# torch first, pinned, so pip takes the CPU build from this machine instead of a CUDA download.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --no-cache-dir -q --upgrade pip
	$(BIN)/python -m pip install --no-cache-dir -q -c constraints.txt torch==2.13.0
	$(BIN)/python -m pip install --no-cache-dir -q -c constraints.txt -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --rerun-incomplete
	$(BIN)/snakemake --cores $(CORES) --report results/report.html
	@echo
	@echo "radiodeep demo finished. Results:"
	@echo "  report:          results/report.html (open in a browser)"
	@echo "  feature tables:  results/features/ (radiomics.csv|parquet, features_long.parquet, dictionary.csv, qc.csv)"
	@echo "  evaluation:      results/evaluation/ (metrics.csv, roc.png|svg, oof_predictions.csv)"
	@echo "  provenance:      results/provenance.json"
	@cat results/evaluation/metrics.csv
	@echo "Time per stage (results/benchmarks, summed over each rule's jobs):"
	@$(BIN)/radiodeep stage-times results/benchmarks

test: $(STAMP)
	$(BIN)/python -m pytest -q tests

lint: $(STAMP)
	$(BIN)/ruff check radiodeep tests workflow bench
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/snakemake --lint

clean:
	rm -rf results/* .snakemake && touch results/.gitkeep
