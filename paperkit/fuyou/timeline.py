"""The phase timeline of one iteration, drawn from the mechanism model's terms (no separate
model): phases run one after another, each as long as its busiest resource; within a phase
every resource is busy from the phase's start for its own term. Times in seconds."""
from __future__ import annotations

import polars as pl

from .mechanism import RESOURCES

PHASE_KIND = {"fwd": "forward", "bwd": "backward", "tail": "last sub-group",
              "opt": "optimizer", "opt_read": "optimizer", "opt_adam": "optimizer",
              "opt_write": "optimizer", "upload": "param upload",
              "fwd_fetch_ssd": "param fetch (waits)", "fwd_fetch_h2d": "param fetch (waits)",
              "bwd_fetch_ssd": "param fetch (waits)", "bwd_fetch_h2d": "param fetch (waits)"}
SCHEMA = {"task": pl.String, "resource": pl.String, "kind": pl.String, "layer": pl.Int64,
          "start_s": pl.Float64, "end_s": pl.Float64, "nbytes": pl.Float64}


def phase_frame(terms: dict) -> pl.DataFrame:
    """Busy intervals per (phase, resource) from ``mechanism`` terms, sorted by (resource, start);
    the overlap stall of Fuyou is its own GPU-idle interval after the backward phase."""
    rows, t0 = [], 0.0
    for name, res in terms["phases"].items():
        kind = ("earlier micro-batches (accumulation)" if name.startswith("accum_")
                else PHASE_KIND.get(name, name))
        if name == "bwd" and res.get("CPU", 0.0) > 0:  # Fuyou: the optimizer runs during backward
            kind = "backward (+ overlapped optimizer)"
        for r in RESOURCES:
            d = res.get(r, 0.0)
            if d > 0:
                rows.append(dict(task=f"{name}_{r}", resource=r, kind=kind,
                                 layer=-1, start_s=t0, end_s=t0 + d, nbytes=0.0))
        t0 += max(res.values(), default=0.0)
        if name == "bwd" and terms.get("stall_s", 0.0) > 0:
            t0 += terms["stall_s"]
    return pl.DataFrame(rows, schema=SCHEMA).sort(["resource", "start_s", "task"])
