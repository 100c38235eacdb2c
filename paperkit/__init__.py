"""paperkit: regenerate, inspect and extend the figures of four systems papers.

Core modules (each with one job):

- :mod:`paperkit.paths`    -- every location, resolved from the repository root.
- :mod:`paperkit.figures`  -- one seaborn theme; byte-deterministic PNG + PDF output.
- :mod:`paperkit.claims`   -- each paper's claims (one TOML file per paper), verdicts, JSON.
- :mod:`paperkit.registry` -- public data sets: download (streamed, size + sha256 + format checked), mirror, cache.
- :mod:`paperkit.runner`   -- papermill runner: parameter checks, atomic outputs, timings.
- :mod:`paperkit.report`   -- build/report.md and build/report.html from the claims JSON.
- :mod:`paperkit.figlayout`, :mod:`paperkit.claimtext`, :mod:`paperkit.buildrecords`,
  :mod:`paperkit.tables`, :mod:`paperkit.notebookindex` -- the layout check, claim wording,
  untrusted build records, notebook tables, the landing notebook's index.

Per-paper packages: :mod:`paperkit.coldstarts`, :mod:`paperkit.polca`,
:mod:`paperkit.fuyou`, :mod:`paperkit.t3`.

Interactive runs: batch runs (make, the runner's papermill kernels, nbval) set
``PAPERKIT_BATCH=1`` and write to ``PAPERKIT_BUILD_DIR`` (default ``build/``). A notebook run by
hand in a Jupyter kernel writes to a scratch build, ``build/lab`` unless ``PAPERKIT_BUILD_DIR``
says otherwise, and says so in one line: make's ``build/figures`` and ``build/claims`` are never
changed behind its back (:func:`_interactive_build`).
"""

import os as _os
import sys as _sys
from pathlib import Path as _Path

__version__ = "0.1.0"

TIERS = ("public", "measured", "modelled", "synthetic")
"""Where a number or figure comes from: a paper's released data, paperkit's own measurement,
paperkit's simulator/model, or paperkit's generator."""


def _in_kernel() -> bool:
    """True inside a running Jupyter (ipykernel) kernel."""
    if "ipykernel" not in _sys.modules:
        return False
    from ipykernel.kernelapp import IPKernelApp  # noqa: PLC0415 -- already imported
    return IPKernelApp.initialized()


def _interactive_build() -> str | None:
    """In an interactive Jupyter kernel (not a batch run), point ``PAPERKIT_BUILD_DIR`` at the
    scratch build ``build/lab`` unless it is set; return the line that says so (else None)."""
    if _os.environ.get("PAPERKIT_BATCH") or not _in_kernel():
        return None
    root = _Path(__file__).resolve().parents[1]
    build = _os.environ.get("PAPERKIT_BUILD_DIR") or str(root / "build" / "lab")
    _os.environ["PAPERKIT_BUILD_DIR"] = build
    shown = _Path(build)
    shown = shown.relative_to(root) if shown.is_relative_to(root) else shown
    return (f"paperkit: interactive run: figures and claims go to {shown}/ (a scratch build; "
            "`make reproduce` writes build/)")


_note = _interactive_build()
if _note:
    print(_note)
