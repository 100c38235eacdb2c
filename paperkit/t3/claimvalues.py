"""Claim values of T3: the code that turns computed frames into the numbers a claims table records.

Every function takes a frame from ``compute`` and returns plain floats; nothing here is typed by hand.
"""
from __future__ import annotations

import math

import polars as pl


def by_config(summary: pl.DataFrame) -> dict[str, dict[str, float]]:
    """{config: {geomean, max, min}} from a ``speedup_summary`` frame."""
    return {r["config"]: {"geomean": r["geomean"], "max": r["max"], "min": r["min"]}
            for r in summary.iter_rows(named=True)}


def byte_reduction_geomean(red: pl.DataFrame) -> float:
    """C7: 1 - geomean of the per-sublayer byte ratios (config / Sequential)."""
    return 1.0 - math.exp(float((1 - red["reduction"]).log().mean()))


def byte_reduction_max(red: pl.DataFrame) -> float:
    """C7max: the largest per-sublayer reduction."""
    return float(red["reduction"].max())


def comm_share_max(share: pl.DataFrame, model: str | None = None) -> float:
    """C12a-c: the largest communication share, over one model (or all)."""
    df = share if model is None else share.filter(pl.col("model") == model)
    return float(df["comm"].max())


def software_split_short_of_ideal(split: pl.DataFrame, cus: tuple[int, ...] = (8, 16)) -> float:
    """C11: 1.0 when software overlap on every CU split is below the ideal overlap on every sublayer."""
    keys = ["model", "tp", "sublayer"]
    ideal = split.filter(pl.col("series") == "ideal overlap").sort(keys)["speedup"]
    return float(all((split.filter(pl.col("series") == f"RS on {k} CUs").sort(keys)["speedup"] < ideal).all()
                     for k in cus))


def train_e2e_geomean(e2e: pl.DataFrame, config: str = "t3-mca") -> float:
    """C9: geomean end-to-end training speedup of ``config``."""
    s = e2e.filter((pl.col("phase") == "train") & (pl.col("config") == config))["speedup"]
    return math.exp(float(s.log().mean()))
