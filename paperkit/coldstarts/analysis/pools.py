"""Pool names, funcIDs and pool-size groups (Figs 8c/f, 13).

A pod ID is ``<poolName>-<10-digit id>`` where ``poolName`` is
``<prefix>-<cpu millicores>-<memory MB>`` and the prefix (``poolNN``, ``custom``,
``custom.image.gpu``, ``custom.runtime.gpu``) contains no ``-``.  A funcID is
``funcName---userID---poolName``.
"""
from __future__ import annotations

from dataclasses import dataclass
import re

import polars as pl

_POOL_RE = re.compile(r"^([A-Za-z0-9_.]+)-(\d+)-(\d+)$")
#: Fig 8c/f config groups (cpu millicores, memory MB) in legend order; the rest is "other".
CONFIG_GROUPS: tuple[str, ...] = ("300/128", "400/256", "600/512", "1000/1024", "other")
#: small pools: at most 400 millicores and 256 MB (paper p.10).
SMALL_MAX_CPU_M = 400
SMALL_MAX_MEM_MB = 256


@dataclass(frozen=True)
class PoolConfig:
    """A parsed pool name: prefix, CPU limit (millicores) and memory limit (MB)."""

    prefix: str
    cpu_m: int
    mem_mb: int

    @property
    def size(self) -> str:
        """``small`` (<= 400 m and <= 256 MB) or ``large``."""
        return "small" if self.cpu_m <= SMALL_MAX_CPU_M and self.mem_mb <= SMALL_MAX_MEM_MB else "large"


def parse_pool(pool_name: str) -> PoolConfig:
    """Parse ``poolNN-CPU-MEM`` / ``custom[.x.y]-CPU-MEM``; ValueError on anything else."""
    m = _POOL_RE.match(pool_name or "")
    if not m:
        raise ValueError(
            f"cannot parse pool name {pool_name!r}: expected '<prefix>-<cpu millicores>-<memory MB>',"
            " e.g. 'pool22-300-128'"
        )
    return PoolConfig(m.group(1), int(m.group(2)), int(m.group(3)))


def pool_from_pod_expr(col: str = "podID") -> pl.Expr:
    """poolName = the first three ``-`` tokens of the pod ID."""
    return pl.col(col).str.extract(r"^([^-]+-\d+-\d+)", 1).alias("poolName")


def pool_from_funcid_expr(col: str = "funcID") -> pl.Expr:
    """poolName = the third ``---`` field of a funcID."""
    return pl.col(col).str.split("---").list.get(2, null_on_oob=True).alias("poolName")


def user_from_funcid_expr(col: str = "funcID") -> pl.Expr:
    """userID (string) = the second ``---`` field of a funcID."""
    return pl.col(col).str.split("---").list.get(1, null_on_oob=True).alias("userID")


def funcid_expr(func: str = "funcName", user: str = "userID", pod: str = "podID") -> pl.Expr:
    """funcID = ``funcName---userID---poolName`` built from cold-start columns."""
    return pl.concat_str(
        [pl.col(func).cast(pl.String), pl.lit("---"), pl.col(user).cast(pl.String), pl.lit("---"),
         pool_from_pod_expr(pod)]
    ).alias("funcID")


def with_funcid(lf: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    """``lf`` (lazy) with a ``funcID`` column: kept if present, else built by :func:`funcid_expr`."""
    lf = lf.lazy()
    return lf if "funcID" in lf.collect_schema().names() else lf.with_columns(funcid_expr())


def cpu_m_expr(pool_col: str = "poolName") -> pl.Expr:
    """CPU limit in millicores parsed from a pool name."""
    return pl.col(pool_col).str.extract(r"-(\d+)-\d+$", 1).cast(pl.Int64).alias("cpu_m")


def mem_mb_expr(pool_col: str = "poolName") -> pl.Expr:
    """Memory limit in MB parsed from a pool name."""
    return pl.col(pool_col).str.extract(r"-(\d+)$", 1).cast(pl.Int64).alias("mem_mb")


def pool_size_expr(pool_col: str = "poolName") -> pl.Expr:
    """``small`` (<= 400 m, <= 256 MB), ``large`` otherwise; null for unparsable names."""
    cpu, mem = cpu_m_expr(pool_col), mem_mb_expr(pool_col)
    return (
        pl.when(cpu.is_null() | mem.is_null()).then(pl.lit(None, pl.String))
        .when((cpu <= SMALL_MAX_CPU_M) & (mem <= SMALL_MAX_MEM_MB)).then(pl.lit("small"))
        .otherwise(pl.lit("large"))
        .alias("pool_size")
    )


def config_group_expr(pool_col: str = "poolName") -> pl.Expr:
    """Fig 8 config group ``CPU/MEM`` for the four common configs, else ``other`` (custom pools included)."""
    label = pl.format("{}/{}", cpu_m_expr(pool_col), mem_mb_expr(pool_col))
    return (
        pl.when(label.is_in(list(CONFIG_GROUPS[:-1]))).then(label)
        .otherwise(pl.lit("other")).alias("config")
    )
