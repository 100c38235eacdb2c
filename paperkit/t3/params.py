"""Model parameters: assumptions (documented defaults, not fitted) and the two fitted contention parameters.

Free parameters, their defaults and what sets them:

=====================  ========  =============================================================================
name                   default   what it is / what sets it
=====================  ========  =============================================================================
tile_m, tile_n         128, 128  GEMM workgroup output tile (elements). Assumed [U].
wg_per_cu              1         concurrent workgroups per CU (a wave = n_cu * wg_per_cu tiles). Assumed.
raster_group           8         tile rows per group of the GEMM's grouped raster order (LLC re-read model).
packets_per_stage      8         granularity of the DES: each of the N stages is split into this many packets
                                 (groups of WF tiles tracked together). Numerical, not physical.
rs_slices              8         the CU-based baseline ring RS pipelines each step in this many slices, so the
                                 local reduction of one slice per step is exposed. Assumed (NCCL-like).
rs_step_overhead_us    2.0       per-step synchronisation cost of the CU-based ring RS/AG kernel. Assumed.
nmc_kappa              1.5       DRAM occupancy of one near-memory op-and-store byte (write + in-bank RMW),
                                 in units of a plain write byte; spec range [1, 2]. Assumed.
llc_output_share       0.5       LLC share held by the GEMM's write-allocated output lines in the baseline
                                 (T3 bypasses them). Assumed; drives the GEMM re-read factor.
mca_floor              0.05      MCA starvation floor: DRAM share always granted to communication. Assumed.
cu_split               16        CUs given to the communication kernel in the sw-split baseline (Fig. 6: 8/16).
sw_chunk_overhead_us   5.0       launch + sync cost per GEMM chunk in the sw-split baseline. Assumed; the GPU
                                 calibration (calibrate.py, chunking) measures it.
gemm_read_burst        fitted    peak-to-mean ratio of the GEMM's operand reads: each packet fetches its operands
                                 at this multiple of the mean read rate (capped by DRAM), then computes. It sets
                                 how long the GEMM is memory-bound, hence exposed to the RS's DRAM traffic.
mca_threshold          fitted    MCA's dynamic threshold as a share of the DRAM headroom above the GEMM's
                                 first-stage utilisation u1: communication is issued only while the GEMM's demand
                                 is below theta_dyn = u1 + mca_threshold (1 - u1) (plus the starvation floor).
=====================  ========  =============================================================================

The two fitted parameters come from ``fitted.toml``, written by :func:`paperkit.t3.fit.fit_contention`.
"""
from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path

FITTED_FILE = Path(__file__).with_name("fitted.toml")
FITTED_NAMES = ("gemm_read_burst", "mca_threshold")


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
    """Model assumptions and fitted contention parameters (see module docstring for units and sources)."""

    tile_m: int = 128
    tile_n: int = 128
    wg_per_cu: int = 1
    raster_group: int = 8
    packets_per_stage: int = 8
    rs_slices: int = 8
    rs_step_overhead_us: float = 2.0
    nmc_kappa: float = 1.5
    llc_output_share: float = 0.5
    mca_floor: float = 0.05
    cu_split: int = 16
    sw_chunk_overhead_us: float = 5.0
    gemm_read_burst: float = 4.0
    mca_threshold: float = 0.5

    def __post_init__(self) -> None:
        for f in ("tile_m", "tile_n", "wg_per_cu", "raster_group", "packets_per_stage", "rs_slices"):
            if getattr(self, f) < 1:
                raise ValueError(f"ModelParams.{f} must be >= 1, got {getattr(self, f)}")
        if not 1.0 <= self.nmc_kappa <= 3.0:
            raise ValueError(f"ModelParams.nmc_kappa must be in [1, 3], got {self.nmc_kappa}")
        if not 0.0 <= self.llc_output_share < 1.0:
            raise ValueError(f"ModelParams.llc_output_share must be in [0, 1), got {self.llc_output_share}")
        if not 0.0 <= self.mca_threshold <= 1.0:
            raise ValueError(f"ModelParams.mca_threshold must be in [0, 1], got {self.mca_threshold}")
        if not 0.0 < self.mca_floor <= 1.0:
            raise ValueError(f"ModelParams.mca_floor must be in (0, 1], got {self.mca_floor}")
        if self.gemm_read_burst < 1:
            raise ValueError(f"ModelParams.gemm_read_burst must be >= 1, got {self.gemm_read_burst}")
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
