"""The rules of the release that the generator and the analysis share: one definition each.

Design: every rule that turns a released string into a category lives here, as a plain Python
function (the generator works on NumPy arrays of strings) and as a polars expression (the analysis
works on lazy frames); a test checks the two agree. Nothing here imports the rest of the package.

- **Manifest**: a generated trace carries :data:`MANIFEST` at its top.
- **Pools and funcIDs.** The release's pod ID is ``<poolName>-<10-digit id>``; ``poolName`` is
  ``<prefix>-<cpu millicores>-<memory MB>`` and the prefix (``poolNN``, ``custom``,
  ``custom.image.gpu``, ``custom.runtime.gpu``) holds no ``-``. So poolName is **the first three
  ``-`` tokens of the pod ID** (the authors' own rule). The other rule once used here, "strip a
  trailing ``-<digits>``", agrees on well-formed IDs but keeps any further ``-`` suffix in the pool
  name (``pool22-300-128-0006319574-x`` would become a pool of its own), so it is not used. A pod ID
  whose first three tokens are not ``<prefix>-<digits>-<digits>`` gets a null pool. Every funcID of
  the public Region 2 table ends in a pool of exactly that form (tested). A funcID is
  ``funcName---userID---poolName``.
- **Configs** (Fig. 8c/f): 300/128, 400/256, 600/512, 1000/1024, else ``other``; **pool size**
  (Fig. 13): small = at most 400 millicores and 256 MB.
- **Triggers** (Figs. 8, 9, 14, 16, 17): the Region 2 column ``triggerType-invocationType`` holds
  space-separated ``<TRIGGER>-<A|S>`` tokens; the paper plots 7 categories without saying where
  combinations go. This rule reproduces every bar of Fig. 9 and the function bars of Fig. 8d:

  1. any ``TIMER-A`` token -> ``TIMER-A``
  2. exactly ``APIG-S``, ``OBS-A``, ``workflow-S`` -> that value
  3. ``unknown``, ``unknown-unknown``, ``unknown-A unknown-S`` (or missing) -> ``unknown``
  4. any token ending in ``-S`` -> ``other S``
  5. otherwise -> ``other A``
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

MANIFEST = "SYNTHETIC.json"

TRIGGER_COL = "triggerType-invocationType"
#: Plot/stack order used by the paper (bottom -> top).
TRIGGER_ORDER: tuple[str, ...] = (
    "TIMER-A", "other A", "other S", "APIG-S", "unknown", "workflow-S", "OBS-A",
)
_SINGLE = ("APIG-S", "OBS-A", "workflow-S")
_UNKNOWN = ("unknown", "unknown-unknown", "unknown-A unknown-S")


def aggregate_trigger(combo: str | None) -> str:
    """Map one trigger combination string to one of :data:`TRIGGER_ORDER`."""
    if combo is None:
        return "unknown"
    if not isinstance(combo, str):
        raise ValueError(f"trigger combination must be a string, got {combo!r}")
    combo = " ".join(combo.split())
    tokens = combo.split(" ") if combo else []
    if "TIMER-A" in tokens:
        return "TIMER-A"
    if combo in _SINGLE:
        return combo
    if combo in _UNKNOWN or not combo:
        return "unknown"
    if any(t.endswith("-S") for t in tokens):
        return "other S"
    return "other A"


def trigger_category_expr(col: str = TRIGGER_COL) -> pl.Expr:
    """Polars expression implementing :func:`aggregate_trigger` on column ``col``."""
    c = pl.col(col).str.strip_chars().str.replace_all(r"\s+", " ")
    return (
        pl.when(c.is_null() | (c == "")).then(pl.lit("unknown"))
        .when(c.str.contains(r"(^| )TIMER-A( |$)")).then(pl.lit("TIMER-A"))
        .when(c.is_in(list(_SINGLE))).then(c)
        .when(c.is_in(list(_UNKNOWN))).then(pl.lit("unknown"))
        .when(c.str.contains(r"-S( |$)")).then(pl.lit("other S"))
        .otherwise(pl.lit("other A"))
        .alias("trigger")
    )


def invocation_class_expr(col: str = TRIGGER_COL) -> pl.Expr:
    """``sync`` if any token ends in ``-S``, ``async`` if all tokens end in ``-A``, else ``unknown``.

    ``unknown-A unknown-S`` therefore counts as sync (it has an ``-S`` token).
    """
    c = pl.col(col)
    toks = c.str.split(" ")
    all_async = toks.list.eval(pl.element().str.ends_with("-A")).list.all()
    return (
        pl.when(c.is_null()).then(pl.lit("unknown"))
        .when(c.str.contains(r"-S( |$)")).then(pl.lit("sync"))
        .when(all_async).then(pl.lit("async"))
        .otherwise(pl.lit("unknown"))
        .alias("invocation")
    )


def trigger_string_shares(meta: pl.DataFrame, col: str = TRIGGER_COL) -> pl.DataFrame:
    """Share of functions per raw trigger string (Fig 9 text claims): columns combo, n, share."""
    if col not in meta.columns:
        raise ValueError(f"metadata frame lacks column {col!r}; columns are {meta.columns}")
    n = meta.height
    return (
        meta.group_by(pl.col(col).alias("combo")).agg(pl.len().alias("n"))
        .with_columns((pl.col("n") / n).alias("share"))
        .sort(["n", "combo"], descending=[True, False])
    )


_POOL_RE = re.compile(r"^([A-Za-z0-9_.]+)-(\d+)-(\d+)$")
_POOL_PREFIX_RE = re.compile(r"^([^-]+-\d+-\d+)(?:-|$)")
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
    """poolName = the first three ``-`` tokens of the pod ID (null unless they form a pool name)."""
    return pl.col(col).str.extract(_POOL_PREFIX_RE.pattern, 1).alias("poolName")


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


def pool_from_pod(pod_id: str) -> str | None:
    """poolName of one pod ID (the first three ``-`` tokens), None when they are not a pool name."""
    m = _POOL_PREFIX_RE.match(pod_id or "")
    return m.group(1) if m else None


def pool_cpu_mem(pool_name: str) -> tuple[int, int]:
    """(CPU millicores, memory MB) of a pool name; ValueError names the bad name."""
    p = parse_pool(pool_name)
    return p.cpu_m, p.mem_mb


def config_category(pool_name: str) -> str:
    """Fig. 8 config group of a pool name: 300/128, 400/256, 600/512, 1000/1024, other."""
    key = "{}/{}".format(*pool_cpu_mem(pool_name))
    return key if key in CONFIG_GROUPS[:-1] else "other"


def pool_size_class(pool_name: str) -> str:
    """'small' (<= 400 millicores and <= 256 MB) or 'large' (Fig. 13)."""
    return parse_pool(pool_name).size
