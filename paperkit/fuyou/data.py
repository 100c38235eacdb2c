"""Fuyou's inputs: the authors' published measurements and paperkit's committed measurements.

* :func:`artifact_sweep`: the authors' measured TFLOPS for 13B on the RTX 4090 testbed at batch
  32, 48 and 64 with 1-12 SSDs (13 points), from their artifact (RC4ML/LoHan, Apache-2.0),
  committed unmodified in ``data/public/lohan_artifact/`` with its notice. It is read through
  ``paperkit.registry.public_path`` once the registry has an entry for it; until then directly
  from the committed path, checked against the sha256 below and noted as a public input.
* :func:`engine_campaign`, :func:`engine_timelines`: paperkit's CPU engine measurements in
  ``data/measured/fuyou/`` (through ``paperkit.measured``), re-exported from ``measure``.
"""
from __future__ import annotations

import polars as pl

from paperkit import measured, paths, provenance, registry

from .measure import load_campaign as engine_campaign  # noqa: F401  (role re-export)
from .measure import load_timelines as engine_timelines  # noqa: F401

ARTIFACT_SWEEP = "lohan_artifact/rtx4090_13b_ssd_sweep.csv"
ARTIFACT_SWEEP_SHA256 = "4f1b8152d682e35b28121dd74e615c6141b5415c8311b91c9744ac64ec653127"
ARTIFACT_COLUMNS = {"params": pl.Int64, "layers": pl.Int64, "hidden": pl.Int64,
                    "heads": pl.Int64, "ssds": pl.Int64, "batch": pl.Int64, "tflops": pl.Float64}


class ArtifactDataError(ValueError):
    """The committed artifact file is missing, altered or malformed."""


def public_file(name: str, sha256: str):
    """``data/public/<name>``: via the registry when it lists ``name``, else the committed copy
    checked against ``sha256`` (the registry entry this file needs is in the package README)."""
    if name in registry.default().entries:
        return registry.public_path(name)
    path = paths.public_dir() / name
    if not path.is_file():
        raise ArtifactDataError(f"{path} is missing; restore it with `git checkout -- "
                                f"data/public/{name}`")
    got = measured.sha256(path)
    if got != sha256:
        raise ArtifactDataError(f"data/public/{name} has sha256 {got}, expected {sha256}: "
                                f"restore it with `git checkout -- data/public/{name}`")
    provenance.note_input("public", name=name, sha256=got)
    return path


def artifact_sweep() -> pl.DataFrame:
    """The authors' 13 measured points (columns :data:`ARTIFACT_COLUMNS`), sorted."""
    path = public_file(ARTIFACT_SWEEP, ARTIFACT_SWEEP_SHA256)
    df = pl.read_csv(path)
    if df.columns != list(ARTIFACT_COLUMNS):
        raise ArtifactDataError(f"{path}: columns {df.columns}, expected {list(ARTIFACT_COLUMNS)}")
    return (df.cast(ARTIFACT_COLUMNS).with_columns(source=pl.lit("authors' artifact"))
            .sort(["batch", "ssds"]))
