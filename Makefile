# paperkit: `make reproduce` regenerates every figure and claim; `make test` checks them.
# Parameters pass through to the notebooks: make coldstarts DATA_DIR=/path SCALE=0.1
#
# Incremental: each executed notebook build/notebooks/<paper>/NN_name.ipynb is a target that
# depends on its notebook, its paper's package, claims and measurements, the paperkit core, the
# committed public data and its parameters (build/params/<paper>.json, rewritten only when they
# change). A second `make reproduce` with nothing changed re-runs nothing; `make -j2` runs two
# notebooks at once. KEEP_GOING=1 runs the rest past a failure and lists what failed.
SHELL := /bin/bash
.DELETE_ON_ERROR:
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.paperkit-installed
PAPERS := coldstarts polca fuyou t3
# Command-line NAME=value words reach the notebooks' parameters cells through $MAKEFLAGS, read by
# the runner (--from-make): no shell ever interprets them, so a quote or a backtick is data.
# The default data is in the repository (data/public): no download, no mirror, no network.
# absolute, so that the sub-make (which inherits PAPERKIT_BUILD_DIR) names the same targets
BUILD := $(abspath $(or $(PAPERKIT_BUILD_DIR),build))
export PAPERKIT_BUILD_DIR := $(BUILD)
TEST_BUILD := build/test

NOTEBOOKS := $(sort $(wildcard notebooks/*/[0-9][0-9]_*.ipynb))
EXECUTED  := $(patsubst notebooks/%,$(BUILD)/notebooks/%,$(NOTEBOOKS))
CORE      := $(filter-out paperkit/__main__.py,$(wildcard paperkit/*.py)) pyproject.toml
PUBLIC    := $(shell find data/public -type f 2>/dev/null | sort)
paper_of   = $(firstword $(subst /, ,$(1)))
paper_deps = $(shell find paperkit/$(1) data/measured/$(1) -type f -not -path '*/__pycache__/*' \
               -not -name '*.pyc' 2>/dev/null | sort) $(wildcard data/measured/$(1)_*) \
             data/claims/$(1).toml $(BUILD)/params/$(1).json
KEEP       = $(if $(filter 1 yes true,$(KEEP_GOING)),--keep-going,)
REPORT     = $(PY) -m paperkit.report $(if $(filter 1 yes true,$(SELF_CONTAINED)),--self-contained)
LAB_DIR   ?= notebooks

.PHONY: help reproduce test unit nbval lab data clean distclean venv report params compare nb \
        notebooks gpu-polca gpu-fuyou gpu-t3 mutants FORCE $(PAPERS)

help:  ## list the targets
	@grep -E '^[a-z0-9%-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 18

venv: $(STAMP)  ## build .venv with the pinned dependencies (fast when present)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check setuptools==84.2.1 2>&1 \
	  | { grep -v "is ignored: it is neither" || true; }
	$(PY) -m pip install --quiet --disable-pip-version-check --no-build-isolation -e . 2>&1 \
	  | { grep -v "is ignored: it is neither" || true; }
	@$(PY) -c "import paperkit, polars, papermill, nbval, torch" && touch $@

# One executed notebook. The runner removes a failed notebook's outputs and leaves a failure
# record (build/failed/) that the report lists.
.SECONDEXPANSION:
$(BUILD)/notebooks/%.ipynb: notebooks/%.ipynb $(CORE) $(PUBLIC) \
                            $$(call paper_deps,$$(call paper_of,$$*)) | $(STAMP)
	@$(PY) -m paperkit.runner nb $* --from-make

$(BUILD)/params/%.json: FORCE | $(STAMP)
	@$(PY) -m paperkit.runner stamp $* --from-make

FORCE:

# the parameter stamps are intermediate files that must survive, or every run would re-run all
.PRECIOUS: $(BUILD)/params/%.json

notebooks: $(EXECUTED)

# check the parameters, drop the old report, build the notebooks, always write the report
define build_and_report
	@$(PY) -m paperkit.runner check $(1) --from-make
	@rm -f $(BUILD)/report.md $(BUILD)/report.html
	+@$(MAKE) --no-print-directory $(KEEP) $(2); status=$$?; $(REPORT); exit $$status
endef

reproduce: $(STAMP)  ## run every notebook that is out of date; write build/report.{md,html}
	$(call build_and_report,,notebooks)

# make coldstarts | polca | fuyou | t3: one paper's notebooks (make coldstarts SCALE=0.1)
$(PAPERS): $(STAMP)
	$(call build_and_report,$@,$(filter $(BUILD)/notebooks/$@/%,$(EXECUTED)))

nb: $(STAMP)  ## run one notebook now: make nb NB=t3/02_sublayer_speedups
	$(if $(NB),,$(error name the notebook: make nb NB=t3/02_sublayer_speedups (make params lists them)))
	@$(PY) -m paperkit.runner check $(call paper_of,$(NB)) --from-make
	@$(PY) -m paperkit.runner nb $(NB) --from-make; status=$$?; $(REPORT); exit $$status

report: $(STAMP)  ## rebuild the report from what build/ holds (marks an incoherent build)
	@$(REPORT)

compare: $(STAMP)  ## which claims changed between two builds: make compare A=build-old B=build
	$(if $(and $(A),$(B)),,$(error name two build folders: make compare A=build-old B=build))
	@$(PY) -m paperkit.report compare $(A) $(B)

params: $(STAMP)  ## list every notebook parameter (name, type, default)
	@$(PY) -m paperkit.runner params

test: unit nbval  ## unit tests, then nbval regression checks of every notebook

unit: $(STAMP)  ## unit tests only
	PAPERKIT_BUILD_DIR=$(abspath $(TEST_BUILD))/unit MPLBACKEND=Agg $(PY) -m pytest -q tests $(PYTEST_ARGS)

nbval: $(STAMP)  ## re-execute the committed notebooks and compare their outputs
	PAPERKIT_BUILD_DIR=$(abspath $(TEST_BUILD))/nbval $(PY) -m pytest -q -n 2 --dist loadscope \
	  --nbval --nbval-current-env --nbval-sanitize-with tests/nbval.cfg notebooks $(NBVAL_ARGS)

# Mutation testing (slow, never part of `make test`): MODULES=claims,validator picks rows of the
# table in paperkit/mutants.py; MODULES and JOBS are read from $MAKEFLAGS, never by a shell.
mutants: $(STAMP)  ## mutation scores of the rules and model cores -> build/mutants/scores.md
	@$(PY) -m paperkit.mutants --from-make

lab: $(STAMP)  ## JupyterLab on 127.0.0.1 (LAB_DIR=build/notebooks opens a run's executed copies)
	$(PY) -m jupyterlab --ip=127.0.0.1 --no-browser --notebook-dir=$(LAB_DIR) \
	  $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

data: $(STAMP)  ## download + verify public data (GROUPS="default huawei-coldstart huawei-series huawei-requests")
	$(PY) -m paperkit.registry $(or $(GROUPS),default)

bench-%: $(STAMP)  ## benchmark one paper (make bench-polca)
	MPLBACKEND=Agg $(PY) -m paperkit.$*.bench

# GPU measurement campaigns (on a machine with an NVIDIA GPU; each fits in 10 minutes).
# They never change clocks, power limits or modes. Commit what they write under data/measured/.
gpu-polca: $(STAMP)  ## POLCA power campaign (make gpu-polca CARD=h100)
	$(if $(CARD),,$(error name the card: make gpu-polca CARD=h100))
	$(PY) -m paperkit.polca.harness --out data/measured/polca/$(CARD) --budget-s 540

gpu-fuyou: $(STAMP)  ## Fuyou engine + bandwidth campaign (make gpu-fuyou CARD=h100)
	$(if $(CARD),,$(error name the card: make gpu-fuyou CARD=h100))
	$(PY) -m paperkit.fuyou.measure --machine $(CARD)

gpu-t3: $(STAMP)  ## T3 GEMM / chunking / contention calibration
	$(PY) -m paperkit.t3.calibrate

clean:  ## remove build/ (keeps .venv and downloaded data)
	rm -rf $(BUILD)

distclean: clean  ## also remove .venv and data/cache
	rm -rf $(VENV) data/cache
