"""Model parameters: assumptions (documented defaults, not fitted) and the one fitted contention parameter.

Free parameters, their defaults and what sets them:

=====================  ========  =============================================================================
name                   default   what it is / what sets it
=====================  ========  =============================================================================
tile_m, tile_n         128, 128  GEMM workgroup output tile (elements). Assumed [U].
wg_per_cu              1         concurrent workgroups per CU (a wave = n_cu * wg_per_cu tiles). Assumed.
packets_per_stage      8         granularity of the DES: each of the N stages is split into this many packets
                                 (groups of WG tiles tracked together). Numerical, not physical.
rs_slices              8         the CU-based baseline ring RS pipelines each step in this many slices, so the
                                 local reduction of one slice per step is exposed. Assumed (NCCL-like).
rs_step_overhead_us    2.0       per-step synchronisation cost of the CU-based ring RS/AG kernel. Assumed.
mca_floor              0.05      MCA starvation limit: DRAM time always left to communication. Assumed [U].
cu_split               16        CUs given to the communication kernel in the sw-split baseline (Fig. 6: 8/16).
sw_chunk_overhead_us   5.0       launch + sync cost per GEMM chunk in the sw-split baseline. Assumed; the GPU
                                 calibration (calibrate.py, chunking) measures it.
tracker_full           "stall"   what the producer does when the Tracker's entries (hardware tracker_entries, one
                                 per WG tile awaiting its incoming update) are all in use: it stalls until a DMA
                                 frees entries. The paper does not say [U]; stalling is the one safe choice.
interleave_run         fitted    atoms (32 B) a communication stream gets per row activation when FR-FCFS
                                 interleaves it with the GEMM's reads (1..64; 64 = a whole 2 KB row). It sets
                                 the row-switch cost of interleaving (dram.py).
=====================  ========  =============================================================================

The fitted parameter comes from ``fitted.toml``, written by :func:`paperkit.t3.fit.fit_contention`.
"""
from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path

FITTED_FILE = Path(__file__).with_name("fitted.toml")
FITTED_NAMES = ("interleave_run",)
TRACKER_FULL = ("stall",)


def replace_fields(obj, what: str, **changes):
    """The one ``replace`` helper: a copy of the frozen dataclass ``obj`` with ``changes``; unknown names
    raise ValueError naming ``what`` and the valid fields."""
    valid = [f.name for f in dataclasses.fields(obj)]
    bad = set(changes) - set(valid)
    if bad:
        raise ValueError(f"unknown {what}(s) {sorted(bad)}; valid: {valid}")
    return dataclasses.replace(obj, **changes)


def load_fitted(path: Path = FITTED_FILE) -> dict[str, float]:
    """The fitted contention parameters (dict name -> value)."""
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    missing = [n for n in FITTED_NAMES if n not in data]
    if missing:
        raise ValueError(f"{path.name} lacks {missing}; rerun `python -m paperkit.t3 fit --write`")
    return {n: float(data[n]) for n in FITTED_NAMES}


@dataclass(frozen=True)
class ModelParams:
    """Model assumptions and the fitted contention parameter (see module docstring for units and sources)."""

    tile_m: int = 128
    tile_n: int = 128
    wg_per_cu: int = 1
    packets_per_stage: int = 8
    rs_slices: int = 8
    rs_step_overhead_us: float = 2.0
    mca_floor: float = 0.05
    cu_split: int = 16
    sw_chunk_overhead_us: float = 5.0
    tracker_full: str = "stall"
    interleave_run: float = 16.0

    def __post_init__(self) -> None:
        for f in ("tile_m", "tile_n", "wg_per_cu", "packets_per_stage", "rs_slices"):
            if getattr(self, f) < 1:
                raise ValueError(f"ModelParams.{f} must be >= 1, got {getattr(self, f)}")
        if not 1.0 <= self.interleave_run <= 64.0:
            raise ValueError(f"ModelParams.interleave_run must be in [1, 64] atoms, got {self.interleave_run}")
        if not 0.0 < self.mca_floor <= 1.0:
            raise ValueError(f"ModelParams.mca_floor must be in (0, 1], got {self.mca_floor}")
        if self.tracker_full not in TRACKER_FULL:
            raise ValueError(f"ModelParams.tracker_full must be one of {TRACKER_FULL}, got {self.tracker_full!r}")
        if self.cu_split < 1:
            raise ValueError(f"ModelParams.cu_split must be >= 1, got {self.cu_split}")
        if self.rs_step_overhead_us < 0 or self.sw_chunk_overhead_us < 0:
            raise ValueError("ModelParams overheads must be >= 0")

    def replace(self, **changes: float) -> "ModelParams":
        """A copy with some fields changed; unknown names raise ValueError."""
        return replace_fields(self, "model parameter", **changes)


def default_params(path: Path = FITTED_FILE) -> ModelParams:
    """Assumption defaults plus the committed fitted values."""
    return ModelParams(**load_fitted(path))


def assumed_defaults() -> dict[str, float]:
    """Defaults of every non-fitted parameter (for the documentation tables)."""
    p = ModelParams()
    return {f.name: getattr(p, f.name) for f in dataclasses.fields(p) if f.name not in FITTED_NAMES}
