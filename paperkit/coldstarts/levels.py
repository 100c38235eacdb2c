"""The level structure of a workload: every idle gap of every pod, found once, without a policy.

Design (the level view is explained in :mod:`.platform`). The input is a table of minutes
("cells", sorted by function and minute) whose requests all end inside their minute, so minutes
never overlap in time, plus free requests (functions with a request of a minute or more, replayed
request by request). Per cell and level L = 1..m (m = the cell's most pods at once) the level's
first start s(c, L) and last end f(c, L) are known:

- a regular cell (r evenly spaced arrivals, :class:`platform.Cells`) in closed form;
- a random cell (explicit arrivals) whose requests never overlap: m = 1, its gaps are the
  spacings less the execution time; one that overlaps ("tangled", rare: it needs two of fewer than
  30 arrivals within one execution time) through the per-request level computation.

A level then runs over adjacent minutes that all reach it; between two adjacent minutes it idles
s(k+1, L) - f(k, L) (closed form over L when both are regular, listed otherwise: a random cell has
fewer than 30 levels); between runs the gap is listed. Everything is computed in cell order with
numpy; only levels above 1 and the tangled cells are sorted. Times are integer microseconds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MINUTE_US = 60_000_000
MINUTES_PER_DAY = 1440


@dataclass(frozen=True)
class Spans:
    """Busy spans (func, level, start, end), grouped by (func, level) and in time order inside a
    group."""

    func: np.ndarray
    level: np.ndarray
    start: np.ndarray
    end: np.ndarray


@dataclass(frozen=True)
class Gaps:
    """Listed idle gaps: func, level, start (when the pod fell idle) and length."""

    func: np.ndarray
    level: np.ndarray
    start: np.ndarray
    length: np.ndarray

    @staticmethod
    def cat(parts: list["Gaps"]) -> "Gaps":
        return Gaps(*(np.concatenate([getattr(p, k) for p in parts])
                      for k in ("func", "level", "start", "length")))


def _i64(*xs) -> list[np.ndarray]:
    return [np.asarray(x, np.int64) for x in xs]


def ranges(start: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner index, start + k) for k in range(count) of every row (numpy repeat + arange)."""
    owner = np.repeat(np.arange(count.size, dtype=np.int64), count)
    base = np.cumsum(count) - count
    k = np.arange(owner.size, dtype=np.int64) - base[owner]
    return owner, start[owner] + k


def request_levels(key_a: np.ndarray, e: np.ndarray, *, sort_departures: bool = True
                   ) -> tuple[np.ndarray, ...]:
    """Levels of sorted arrival keys ``key_a`` with executions ``e``: (level of each arrival,
    departure keys sorted, level of each departure). Departures before arrivals at equal keys."""
    key_d = key_a + e
    if sort_departures:
        key_d = np.sort(key_d)
    idx = np.arange(key_a.size, dtype=np.int64)
    up = idx - np.searchsorted(key_d, key_a, side="right") + 1
    dn = np.searchsorted(key_a, key_d, side="left") - idx
    return up, key_d, dn


def free_spans(func: np.ndarray, t: np.ndarray, e: np.ndarray, span: int) -> Spans:
    """Busy spans of requests sorted by (func, t) that may overlap across minutes."""
    up, key_d, dn = request_levels(func * span + t, e)
    f_d = key_d // span
    ou = np.lexsort((t, up, func))
    od = np.lexsort((key_d - f_d * span, dn, f_d))
    return Spans(func[ou], up[ou], t[ou], (key_d - f_d * span)[od])


# ------------------------------------------------------------------------------------------------
# random cells
@dataclass(frozen=True)
class RandomTable:
    """Per random cell: m and the offset of its rows; per row (cell, level): s and f."""

    m: np.ndarray
    off: np.ndarray
    s: np.ndarray
    f: np.ndarray
    gaps: Gaps


def random_table(func: np.ndarray, r: np.ndarray, e: np.ndarray, t: np.ndarray) -> RandomTable:
    """Level table of random cells (arrivals ``t`` sorted inside each cell, cells in order)."""
    n_c = r.size
    owner = np.repeat(np.arange(n_c, dtype=np.int64), r)
    first = np.cumsum(r) - r
    er = e[owner]
    over = np.zeros(t.size, bool)
    if t.size > 1:
        over[1:] = (owner[1:] == owner[:-1]) & (t[1:] < t[:-1] + er[:-1])
    tangled = np.zeros(n_c, bool)
    tangled[owner[over]] = True
    m = np.ones(n_c, np.int64)
    s = t[first].copy() if n_c else np.zeros(0, np.int64)
    f = (t[first + r - 1] + e) if n_c else np.zeros(0, np.int64)
    nxt = np.flatnonzero((owner[1:] == owner[:-1]) & ~tangled[owner[1:]]) + 1
    simple = Gaps(func[owner[nxt]], np.ones(nxt.size, np.int64), t[nxt - 1] + er[nxt - 1],
                  t[nxt] - t[nxt - 1] - er[nxt - 1])
    if not tangled.any():
        return RandomTable(m, np.arange(n_c, dtype=np.int64), s, f, simple)
    return _with_tangled(func, r, e, t, owner, tangled, m, s, f, simple)


def _with_tangled(func, r, e, t, owner, tangled, m, s, f, simple) -> RandomTable:
    """Add the cells whose requests overlap: per-request levels inside each such cell."""
    sel = np.flatnonzero(tangled[owner])
    o, tt, ee = owner[sel], t[sel], e[owner[sel]]
    rank = np.cumsum(tangled) - 1                       # tangled cells are time-disjoint
    # monotone keys: cells in order (4 minutes apart), arrivals sorted inside a cell, and the
    # departures too (one execution time per cell), so nothing needs sorting before the levels
    key = rank[o] * (4 * MINUTE_US) + (tt - (tt // MINUTE_US) * MINUTE_US)
    up, _, dn = request_levels(key, ee, sort_departures=False)
    dep = tt + ee                                       # request i's departure is the i-th
    base = int(up.max()) + 1
    ou = np.argsort(o * base + up, kind="stable")       # (cell, level), time order kept
    od = np.argsort(o * base + dn, kind="stable")
    cu, lu, su = o[ou], up[ou], tt[ou]
    fd = dep[od]
    grp_new = np.ones(cu.size, bool)
    grp_new[1:] = (cu[1:] != cu[:-1]) | (lu[1:] != lu[:-1])
    grp_last = np.ones(cu.size, bool)
    grp_last[:-1] = grp_new[1:]
    m = m.copy()
    np.maximum.at(m, cu, lu)
    off = np.cumsum(m) - m
    S, F = np.empty(int(m.sum()), np.int64), np.empty(int(m.sum()), np.int64)
    plain = ~tangled
    S[off[plain]], F[off[plain]] = s[plain], f[plain]
    S[off[cu[grp_new]] + lu[grp_new] - 1] = su[grp_new]
    F[off[cu[grp_last]] + lu[grp_last] - 1] = fd[grp_last]
    inner = np.flatnonzero(~grp_new)
    tg = Gaps(func[cu[inner]], lu[inner], fd[inner - 1], su[inner] - fd[inner - 1])
    return RandomTable(m, off, S, F, Gaps.cat([simple, tg]))


# ------------------------------------------------------------------------------------------------
# all cells
@dataclass(frozen=True)
class CellTable:
    """Minutes sorted by (func, minute), every request ending inside its minute: r requests of
    ``e_us`` each; a regular cell has arrivals a_us + i d_us; a random cell (``random``) has its
    arrivals in ``t_us`` (flat, sorted inside each cell, cells in order)."""

    func: np.ndarray
    minute: np.ndarray
    a_us: np.ndarray
    d_us: np.ndarray
    r: np.ndarray
    e_us: np.ndarray
    random: np.ndarray = None
    t_us: np.ndarray = None

    def __post_init__(self) -> None:
        if self.random is None:
            object.__setattr__(self, "random", np.zeros(self.func.size, bool))
        if self.t_us is None:
            object.__setattr__(self, "t_us", np.zeros(0, np.int64))

    @staticmethod
    def empty() -> "CellTable":
        z = np.zeros(0, np.int64)
        return CellTable(z, z, z, z, z, z)


class _Levels:
    """s(c, L), f(c, L) and m(c) of every cell."""

    def __init__(self, c: CellTable):
        self.c = c
        self.q = np.where(c.d_us == 0, c.r, np.minimum(c.r, -(-c.e_us // np.maximum(c.d_us, 1))))
        rnd = np.flatnonzero(c.random)
        self.rt = random_table(c.func[rnd], c.r[rnd], c.e_us[rnd], c.t_us)
        self.rank = np.cumsum(c.random) - 1
        self.m = self.q.copy()
        self.m[rnd] = self.rt.m

    def _row(self, i: np.ndarray, L: np.ndarray) -> np.ndarray:
        if not self.rt.s.size:
            return np.zeros(i.size, np.int64)
        row = self.rt.off[np.maximum(self.rank[i], 0)] + L - 1
        return np.clip(row, 0, self.rt.s.size - 1)

    def s(self, i: np.ndarray, L: np.ndarray) -> np.ndarray:
        c = self.c
        reg = c.a_us[i] + (L - 1) * c.d_us[i]
        if not self.rt.s.size:
            return reg
        return np.where(c.random[i], self.rt.s[self._row(i, L)] if self.rt.s.size else 0, reg)

    def f(self, i: np.ndarray, L: np.ndarray) -> np.ndarray:
        c = self.c
        reg = c.a_us[i] + (c.r[i] - L) * c.d_us[i] + c.e_us[i]
        if not self.rt.f.size:
            return reg
        return np.where(c.random[i], self.rt.f[self._row(i, L)] if self.rt.f.size else 0, reg)


def _segments(c: CellTable, m: np.ndarray) -> dict:
    n = m.size
    new = np.ones(n, bool)
    if n > 1:
        new[1:] = (c.func[1:] != c.func[:-1]) | (c.minute[1:] != c.minute[:-1] + 1)
    last = np.ones(n, bool)
    last[:-1] = new[1:]
    return {"new": new, "last": last, "m_prev": np.where(new, 0, np.roll(m, 1)),
            "m_next": np.where(last, 0, np.roll(m, -1))}


def _runs(lv: _Levels, sg: dict) -> Spans:
    """Each level's runs over adjacent minutes: level 1 in cell order, higher levels sorted."""
    c, m = lv.c, lv.m
    iu, lu = ranges(sg["m_prev"] + 1, np.maximum(m - sg["m_prev"], 0))
    idn, ld = ranges(sg["m_next"] + 1, np.maximum(m - sg["m_next"], 0))
    one_u, one_d = lu == 1, ld == 1
    hu, hd = np.flatnonzero(~one_u), np.flatnonzero(~one_d)
    hu = hu[np.lexsort((iu[hu], lu[hu], c.func[iu[hu]]))]
    hd = hd[np.lexsort((idn[hd], ld[hd], c.func[idn[hd]]))]
    u = np.concatenate([np.flatnonzero(one_u), hu])
    d = np.concatenate([np.flatnonzero(one_d), hd])
    return Spans(c.func[iu[u]], lu[u], lv.s(iu[u], lu[u]), lv.f(idn[d], ld[d]))


def _boundaries(lv: _Levels, sg: dict) -> tuple[dict, Gaps]:
    """Adjacent minutes: regular pairs in closed form (c0 + L S, L = 1..M), the others listed."""
    c, m = lv.c, lv.m
    k = np.flatnonzero(~sg["last"])
    j = k + 1
    both = ~c.random[k] & ~c.random[j]
    kr, jr = k[both], j[both]
    bnd = {"func": c.func[kr], "day": c.minute[kr] // MINUTES_PER_DAY,
           "c0": c.a_us[jr] - c.d_us[jr] - c.a_us[kr] - c.r[kr] * c.d_us[kr] - c.e_us[kr],
           "S": c.d_us[kr] + c.d_us[jr], "M": np.minimum(m[kr], m[jr]), "a_next": c.a_us[jr],
           "d_next": c.d_us[jr]}
    km, jm = k[~both], j[~both]
    o, L = ranges(np.ones(km.size, np.int64), np.minimum(m[km], m[jm]))
    fk = lv.f(km[o], L)
    return bnd, Gaps(c.func[km[o]], L, fk, lv.s(jm[o], L) - fk)


def _inner(c: CellTable, q: np.ndarray) -> dict:
    """Regular cells' in-minute gaps: r - q gaps of q d - e at the top level."""
    i = np.flatnonzero(~c.random & (c.r > q))
    return {"func": c.func[i], "day": c.minute[i] // MINUTES_PER_DAY, "count": c.r[i] - q[i],
            "g": q[i] * c.d_us[i] - c.e_us[i], "a": c.a_us[i], "d": c.d_us[i], "q": q[i], "r": c.r[i],
            "q1": q[i] == 1}


def cell_structure(c: CellTable) -> dict:
    """Runs (spans), listed gaps and the closed-form groups."""
    lv = _Levels(c)
    sg = _segments(c, lv.m)
    bnd, bgaps = _boundaries(lv, sg)
    return {"runs": _runs(lv, sg), "gaps": Gaps.cat([bgaps, lv.rt.gaps]), "bnd": bnd,
            "inner": _inner(c, lv.q)}
