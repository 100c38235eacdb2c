"""Pool names, funcIDs and pool-size groups (Figs 8c/f, 13): the rules of :mod:`paperkit.coldstarts.rules`."""
from __future__ import annotations

from ..rules import (  # noqa: F401  (re-exported for the analysis modules)
    CONFIG_GROUPS, SMALL_MAX_CPU_M, SMALL_MAX_MEM_MB, PoolConfig, config_group_expr, cpu_m_expr,
    funcid_expr, mem_mb_expr, parse_pool, pool_from_funcid_expr, pool_from_pod, pool_from_pod_expr,
    pool_size_expr, user_from_funcid_expr, with_funcid,
)
