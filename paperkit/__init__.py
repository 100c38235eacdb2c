"""paperkit: regenerate, inspect and extend the figures of four systems papers.

Core modules (each with one job):

- :mod:`paperkit.paths`    -- every location, resolved from the repository root.
- :mod:`paperkit.figures`  -- one seaborn theme; byte-deterministic PNG + PDF output.
- :mod:`paperkit.claims`   -- each paper's claims (one TOML file per paper), verdicts, JSON.
- :mod:`paperkit.registry` -- public data sets: download (streamed, size + sha256 + format checked), mirror, cache.
- :mod:`paperkit.runner`   -- papermill runner: parameter checks, atomic outputs, timings.
- :mod:`paperkit.report`   -- build/report.md and build/report.html from the claims JSON.

Per-paper packages: :mod:`paperkit.coldstarts`, :mod:`paperkit.polca`,
:mod:`paperkit.fuyou`, :mod:`paperkit.t3`.
"""

__version__ = "0.1.0"

TIERS = ("public", "measured", "modelled", "synthetic")
"""Where a number or figure comes from: a paper's released data, paperkit's own measurement,
paperkit's simulator/model, or paperkit's generator."""
