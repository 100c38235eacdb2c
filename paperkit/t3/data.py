"""Data role module of T3: committed measurements read through ``paperkit.measured``.

Design: a hardware profile may name a measured GEMM table (``gemm_table``, a file under ``data/measured``);
:func:`measured_gemm_times` reads it once (verified sha256, noted as a run input) and returns the GEMM time
per shape, keyed by (hidden H, K, tokens). :func:`measured_launch_cost_s` derives the per-chunk launch cost
from the chunked GEMMs of the same file.
"""
from __future__ import annotations

import functools
import json
import statistics

from paperkit import measured

H200_SHAPES = "t3/h200_t3_shapes.json"


@functools.lru_cache(maxsize=8)
def _rows(name: str) -> tuple[dict, ...]:
    doc = json.loads(measured.path(name).read_text())
    rows = doc.get("rows")
    if not rows:
        raise ValueError(f"data/measured/{name} has no 'rows'; restore it with git checkout")
    return tuple(rows)


def measured_gemm_times(name: str) -> dict[tuple[int, int, int], float]:
    """GEMM seconds per (hidden, K, tokens) from a measured shape table. FC-1 and FC-2 share a shape, so
    their two measurements of the same GEMM are averaged."""
    acc: dict[tuple[int, int, int], list[float]] = {}
    for r in _rows(name):
        acc.setdefault((int(r["N_out"]), int(r["K"]), int(r["tokens"])), []).append(float(r["gemm_s"]))
    return {k: statistics.fmean(v) for k, v in sorted(acc.items())}


def measured_launch_cost_s(name: str) -> float:
    """Median per-chunk cost of splitting a GEMM into TP row-chunks: (chunked - whole) / TP, in s."""
    return statistics.median((float(r["chunked_gemm_s"]) - float(r["gemm_s"])) / int(r["tp"]) for r in _rows(name))


def measured_frame_rows(name: str) -> list[dict]:
    """The table's rows as plain dicts (sorted by model, tp, sublayer), for notebooks."""
    return sorted((dict(r) for r in _rows(name)), key=lambda r: (r["model"], r["tp"], r["sublayer"]))
