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

# Make variables never reach a shell as text. (1) Every variable set on the command line, and
# every recipe variable from the environment, is pinned to its literal text (a simple variable),
# so `$(shell ...)` in a value is data, never run when make expands or exports it. (2) Recipes
# pass free text (NB, A, B, CARD, LAB_DIR) to Python as quoted shell variables ("$$A") and lists
# (GROUPS, LAB_ARGS, PYTEST_ARGS, NBVAL_ARGS) unquoted under `set -f` (split into words, never
# run or globbed); NB and the bench-% stem are checked against their legal values, and the paths
# make itself uses (VENV, PYTHON, PAPERKIT_BUILD_DIR) against a plain-path character set, before
# any recipe line runs; the error names the variable.
RECIPE_VARS := NB A B GROUPS CARD LAB_DIR LAB_ARGS PYTEST_ARGS NBVAL_ARGS SELF_CONTAINED \
               KEEP_GOING PAPERKIT_BUILD_DIR VENV PYTHON JOBS
$(foreach v,$(.VARIABLES),$(if $(filter command line,$(origin $(v))),\
  $(eval override $(v) := $$(value $(v)))))
$(foreach v,$(RECIPE_VARS),$(if $(filter environment,$(origin $(v))),$(eval $(v) := $$(value $(v)))))
export NB A B GROUPS CARD LAB_ARGS PYTEST_ARGS NBVAL_ARGS
PATH_CHARS := a b c d e f g h i j k l m n o p q r s t u v w x y z A B C D E F G H I J K L M N O \
              P Q R S T U V W X Y Z 0 1 2 3 4 5 6 7 8 9 . _ - / + , = : @
_drop = $(if $(2),$(call _drop,$(subst $(firstword $(2)),,$(1)),$(wordlist 2,999,$(2))),$(1))
check_path = $(if $(or $(call _drop,$(subst $(space),?,$($(1))),$(PATH_CHARS)),\
               $(filter-out 1,$(words $($(1))))),$(error $(1)=$($(1)): only letters, digits \
               and . _ - / + , = : @ are allowed in this path; rename it or choose another))
space := $(subst ,, )
$(foreach v,VENV PYTHON PAPERKIT_BUILD_DIR,$(if $($(v)),$(call check_path,$(v))))
# stop before `rm -rf` of /, the repository, your home or a folder above them
safe_to_delete = $(if $(or $(filter /,$(2)),$(filter $(2)/%,$(CURDIR)/ $(HOME)/)),$(error \
                   $(1)=$(2): deleting it would delete the repository, your home or a folder \
                   above them; point $(1) at its own folder))

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
# batch runs (make, papermill, nbval) write to PAPERKIT_BUILD_DIR; an interactive kernel does not
export PAPERKIT_BATCH := 1
TEST_BUILD := build/test
# checked when make starts, before any recipe (distclean runs clean first)
$(if $(filter clean distclean,$(MAKECMDGOALS)),$(call safe_to_delete,PAPERKIT_BUILD_DIR,$(BUILD)))
$(if $(filter distclean,$(MAKECMDGOALS)),$(call safe_to_delete,VENV,$(abspath $(VENV))))

NOTEBOOKS := $(sort $(wildcard notebooks/*/[0-9][0-9]_*.ipynb))
EXECUTED  := $(patsubst notebooks/%,$(BUILD)/notebooks/%,$(NOTEBOOKS))
CORE      := $(filter-out paperkit/__main__.py,$(wildcard paperkit/*.py)) pyproject.toml
PUBLIC    := $(shell find data/public -type f 2>/dev/null | sort)
paper_of   = $(firstword $(subst /, ,$(1)))
paper_deps = $(shell find paperkit/$(1) data/measured/$(1) -type f -not -path '*/__pycache__/*' \
               -not -name '*.pyc' 2>/dev/null | sort) $(wildcard data/measured/$(1)_*) \
             data/claims/$(1).toml $(BUILD)/params/$(1).json
KEEP       = $(if $(filter 1 yes true,$(KEEP_GOING)),--keep-going,)
# Notebooks run on every core by default (JOBS=1: one at a time); an explicit -jN wins. JOBS is
# checked against whole numbers before any recipe line runs (no shell ever sees its text).
JOBS      ?= $(shell nproc 2>/dev/null || echo 1)
JOBS_FLAG  = $(if $(filter -j%,$(MAKEFLAGS)),,$(if $(and $(filter 1,$(words $(JOBS))),$(filter \
               $(JOBS),$(shell seq 1 256))),-j$(JOBS),$(error JOBS must be a whole number from 1 \
               to 256, e.g. JOBS=2)))
# The report step: if it fails, no report (old or partial) is left and the target fails.
REPORT_OR_FAIL = $(REPORT) || { rm -f $(BUILD)/report.md $(BUILD)/report.html; \
               echo "the report step failed: no report was written" >&2; exit 1; }
REPORT     = $(PY) -m paperkit.report $(if $(filter 1 yes true,$(SELF_CONTAINED)),--self-contained)
LAB_DIR   ?= notebooks
export LAB_DIR
NB_NAMES  := $(patsubst notebooks/%.ipynb,%,$(NOTEBOOKS))

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
	$(if $(filter $(PAPERS),$*),,$(error $@: no such paper; one of $(PAPERS)))
	@$(PY) -m paperkit.runner stamp $* --from-make

FORCE:

# the parameter stamps are intermediate files that must survive, or every run would re-run all
.PRECIOUS: $(BUILD)/params/%.json

notebooks: $(EXECUTED)

# check the parameters, drop the old report, build the notebooks, always write the report
define build_and_report
	@$(PY) -m paperkit.runner check $(1) --from-make
	@rm -f "$$PAPERKIT_BUILD_DIR/report.md" "$$PAPERKIT_BUILD_DIR/report.html"
	+@$(MAKE) --no-print-directory $(KEEP) $(JOBS_FLAG) $(2); status=$$?; $(REPORT_OR_FAIL); \
	  exit $$status
endef

reproduce: $(STAMP)  ## run every notebook that is out of date; write build/report.{md,html}
	$(call build_and_report,,notebooks)

# make coldstarts | polca | fuyou | t3: one paper's notebooks (make coldstarts SCALE=0.1)
$(PAPERS): $(STAMP)
	$(call build_and_report,$@,$(filter $(BUILD)/notebooks/$@/%,$(EXECUTED)))

nb: $(STAMP)  ## run one notebook now: make nb NB=t3/02_sublayer_speedups
	$(if $(NB),,$(error name the notebook: make nb NB=t3/02_sublayer_speedups (make params lists them)))
	$(if $(and $(filter 1,$(words $(NB))),$(filter $(NB_NAMES),$(NB))),,$(error NB=$(NB): no \
	  such notebook; name one of notebooks/<paper>/NN_name.ipynb without .ipynb, e.g. \
	  NB=t3/02_sublayer_speedups (make params lists them)))
	@$(PY) -m paperkit.runner check "$${NB%%/*}" --from-make
	@$(PY) -m paperkit.runner nb "$$NB" --from-make; status=$$?; $(REPORT_OR_FAIL); exit $$status

report: $(STAMP)  ## rebuild the report from what build/ holds (marks an incoherent build)
	@$(REPORT)

compare: $(STAMP)  ## which claims changed between two builds: make compare A=build-old B=build
	$(if $(and $(A),$(B)),,$(error name two build folders: make compare A=build-old B=build))
	@$(PY) -m paperkit.report compare "$$A" "$$B"

params: $(STAMP)  ## list every notebook parameter (name, type, default)
	@$(PY) -m paperkit.runner params

test: unit nbval  ## unit tests, then nbval regression checks of every notebook

# unit tests on both cores (one worker per test file, so module fixtures are built once)
unit: $(STAMP)  ## unit tests only
	set -f; PAPERKIT_BUILD_DIR=$(abspath $(TEST_BUILD))/unit MPLBACKEND=Agg $(PY) -m pytest -q -n 2 \
	  --dist loadfile tests $${PYTEST_ARGS}

nbval: $(STAMP)  ## re-execute the committed notebooks and compare their outputs
	set -f; PAPERKIT_BUILD_DIR=$(abspath $(TEST_BUILD))/nbval $(PY) -m pytest -q -n 2 --dist loadscope \
	  --nbval --nbval-current-env --nbval-sanitize-with tests/nbval.cfg notebooks $${NBVAL_ARGS}

# Mutation testing (slow, never part of `make test`): MODULES=claims,validator picks rows of the
# table in paperkit/mutants.py; MODULES and JOBS are read from $MAKEFLAGS, never by a shell.
mutants: $(STAMP)  ## mutation scores of the rules and model cores -> build/mutants/scores.md
	@$(PY) -m paperkit.mutants --from-make

# Lab opens the landing notebook; notebooks run there write to build/lab (a scratch build that
# make never reads), so an interactive run never changes make's build/figures or build/claims.
lab: $(STAMP)  ## JupyterLab on 127.0.0.1, opening notebooks/index.ipynb (runs write to build/lab)
	set -f; PAPERKIT_BATCH= PAPERKIT_BUILD_DIR=$(BUILD)/lab $(PY) -m jupyterlab --ip=127.0.0.1 \
	  --no-browser --notebook-dir="$$LAB_DIR" $(if $(wildcard $(LAB_DIR)/index.ipynb),\
	  --ServerApp.default_url=/lab/tree/index.ipynb) \
	  $(if $(filter 0,$(shell id -u)),--allow-root) $${LAB_ARGS}

data: $(STAMP)  ## download + verify public data (GROUPS="default huawei-coldstart huawei-series huawei-requests")
	set -f; $(PY) -m paperkit.registry --from-make $${GROUPS:-default}

bench-%: $(STAMP)  ## benchmark one paper (make bench-polca)
	$(if $(filter $(PAPERS),$*),,$(error bench-$*: no such benchmark; one of $(PAPERS:%=bench-%)))
	MPLBACKEND=Agg $(PY) -m paperkit.$*.bench

# GPU measurement campaigns (on a machine with an NVIDIA GPU; each fits in 10 minutes).
# They never change clocks, power limits or modes. Without a CUDA device they stop at once; a
# campaign writes beside data/measured/ and moves its files in only when it completes (see
# paperkit/campaign.py). Commit what they write under data/measured/.
gpu-polca: $(STAMP)  ## POLCA power campaign (make gpu-polca CARD=h100)
	$(if $(CARD),,$(error name the card: make gpu-polca CARD=h100))
	@$(PY) -m paperkit.campaign polca "$$CARD"

gpu-fuyou: $(STAMP)  ## Fuyou engine + bandwidth campaign (make gpu-fuyou CARD=h100)
	$(if $(CARD),,$(error name the card: make gpu-fuyou CARD=h100))
	@$(PY) -m paperkit.campaign fuyou "$$CARD"

gpu-t3: $(STAMP)  ## T3 GEMM / chunking / contention calibration
	@$(PY) -m paperkit.campaign t3

clean:  ## remove build/ (keeps .venv and downloaded data)
	rm -rf "$$PAPERKIT_BUILD_DIR"

distclean: clean  ## also remove .venv and data/cache
	rm -rf $(VENV) data/cache
