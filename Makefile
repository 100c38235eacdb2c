# paperkit: `make reproduce` regenerates every figure and claim; `make test` checks them.
# Parameters pass through to the notebooks: make coldstarts DATA_DIR=/path SCALE=0.1
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
TEST_BUILD := build/test

.PHONY: help reproduce test unit nbval lab data clean distclean venv report params \
        gpu-polca gpu-fuyou gpu-t3 $(PAPERS)

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

reproduce: $(STAMP)  ## run every notebook on the default data; write build/report.{md,html}
	$(PY) -m paperkit.runner run --from-make
	@$(PY) -m paperkit.report

# make coldstarts | polca | fuyou | t3: one paper's notebooks (make coldstarts SCALE=0.1)
$(PAPERS): $(STAMP)
	$(PY) -m paperkit.runner run $@ --from-make
	@$(PY) -m paperkit.report

report: $(STAMP)  ## rebuild the report from what build/ holds
	@$(PY) -m paperkit.report

params: $(STAMP)  ## list every notebook parameter (name, type, default)
	@$(PY) -m paperkit.runner params

test: unit nbval  ## unit tests, then nbval regression checks of every notebook

unit: $(STAMP)  ## unit tests only
	PAPERKIT_BUILD_DIR=$(abspath $(TEST_BUILD))/unit MPLBACKEND=Agg $(PY) -m pytest -q tests $(PYTEST_ARGS)

nbval: $(STAMP)  ## re-execute the committed notebooks and compare their outputs
	PAPERKIT_BUILD_DIR=$(abspath $(TEST_BUILD))/nbval $(PY) -m pytest -q -n 2 --dist loadscope \
	  --nbval --nbval-current-env --nbval-sanitize-with tests/nbval.cfg notebooks $(NBVAL_ARGS)

lab: $(STAMP)  ## JupyterLab on 127.0.0.1 with the .venv kernel
	$(PY) -m jupyterlab --ip=127.0.0.1 --no-browser --notebook-dir=notebooks \
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
	rm -rf build

distclean: clean  ## also remove .venv and data/cache
	rm -rf $(VENV) data/cache
