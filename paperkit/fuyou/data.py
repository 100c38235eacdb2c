"""Fuyou's inputs: the authors' published measurements and paperkit's committed measurements.

* :func:`artifact_sweep`: the authors' measured TFLOPS for 13B on the RTX 4090 testbed at batch
  32, 48 and 64 with 1-12 SSDs (13 points), from their artifact (RC4ML/LoHan, Apache-2.0),
  transcribed to CSV in ``data/public/lohan_artifact/`` with its notice, and read through
  ``paperkit.registry.public_path`` (sha256-checked, noted as a public input).
* :func:`engine_campaign`, :func:`engine_timelines`: paperkit's CPU engine measurements in
  ``data/measured/fuyou/`` (through ``paperkit.measured``), re-exported from ``campaigns``.
"""
from __future__ import annotations

import polars as pl

from paperkit import registry

from .campaigns import load_campaign as engine_campaign  # noqa: F401  (role re-export)
from .campaigns import load_timelines as engine_timelines  # noqa: F401

ARTIFACT_SWEEP = "lohan_artifact/rtx4090_13b_ssd_sweep.csv"
ARTIFACT_COLUMNS = {"params": pl.Int64, "layers": pl.Int64, "hidden": pl.Int64,
                    "heads": pl.Int64, "ssds": pl.Int64, "batch": pl.Int64, "tflops": pl.Float64}


class ArtifactDataError(ValueError):
    """The committed artifact file is malformed."""


def artifact_sweep() -> pl.DataFrame:
    """The authors' 13 measured points (columns :data:`ARTIFACT_COLUMNS`), sorted."""
    path = registry.public_path(ARTIFACT_SWEEP)
    df = pl.read_csv(path)
    if df.columns != list(ARTIFACT_COLUMNS):
        raise ArtifactDataError(f"{path}: columns {df.columns}, expected {list(ARTIFACT_COLUMNS)}")
    return (df.cast(ARTIFACT_COLUMNS).with_columns(source=pl.lit("authors' artifact"))
            .sort(["batch", "ssds"]))
