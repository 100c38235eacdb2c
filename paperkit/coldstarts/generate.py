"""Synthetic cold-start trace in the release's own layout (the release README), tier ``synthetic``.

Model (per region; :mod:`.synthesis` builds one region, this module writes it):

- **Functions.** ``scale`` = the share of the release's functions kept (1.0 = all 14,108: Fig. 1's
  2,600 / 2,418 / 240 / 8,300 / 550), a stratified sample (trigger x config strata) below 1.
  **Per-function request rates are never scaled** (keep-alive depends on them): a sample has
  fewer functions, each at its full rate. Region 2 uses the real runtime/trigger table committed
  in ``data/public`` (or, only when asked for, ``meta="synthetic"``, a stand-in with its exact
  counts); the other regions get synthetic funcIDs (``funcName---userID---poolName``) whose
  (runtime, trigger, pool) are rows of that table, and users with the region's share of
  single-function users (Fig. 4a).
- **Requests** (:mod:`.workload`, the only calibrated side with the latencies): per function by
  trigger type -- clock-aligned timers (period mix with 60 s and 120 s, at and just above the
  keep-alive), API/HTTP Poisson traffic with the region's diurnal, weekly and holiday profiles,
  storage-event bursts, workflow chains; daily volumes calibrated to Fig. 1's requests and
  Fig. 3a's medians (or to a ``fit-fingerprints`` file, ``sides``).
- **Cold starts and pods** come out of the platform simulator (:mod:`.platform`, the release's
  fixed 1-minute keep-alive) replaying those requests (:mod:`.replay`): a cold start per pod, its
  time, its function, the end of its last request. Nothing about cold starts is calibrated:
  counts, inter-arrival times, pods, lifetimes and the requests-vs-cold-starts relation are
  outputs.
- **Cold-start time** (calibrated latencies): a LogNormal mixture per pool-size class (Fig. 13a
  quartiles; Region 2's Custom/http runtimes: a ~10.5 s pod-creation mode, Fig. 10a), split into
  the four components by Dirichlet shares whose means are the region's component shares (Fig. 11,
  energy2 R1 stats); ``deployDependencyCost`` is 0 for a share of cold starts (no layers); the
  components add up to ``totalCost_cold_start`` (6 decimals; code/dependency at ms resolution).
- **Per-minute series** (``requests``, ``num_cold_starts``, ``num_pods``, ``totalCost_avg``,
  ``cpu_usage_avg``), sparse cells written by filling a buffer of commas (work grows with the
  non-empty cells, the file size with minutes x functions as in the release): the workload's
  requests, the platform's cold starts, pods alive (cold start to last request + keep-alive);
  execution time and CPU are per-function medians with per-minute noise (Fig. 3b-c medians).
- **Per-request table** (day 30 only, like the release): each day-30 pod's first request (at the
  end of its cold start) and last request (the platform's, censored at the end of the day); with
  ``request_rows=N`` exactly N rows, the rest spread over the pods by their spans,
  in part files of at most ``chunk_rows`` rows, each built, written and freed (memory flat in N);
  Fig. 17's utility ratios do not depend on N.

Not modelled: the pod-allocation multimodality, the R3 data gap, Region 1's "top 100 pods per
function" cut of the request table. ``SYNTHETIC.json`` at the top of the output records the
generator, its version, scale, seed and the parameters a summary should recover.

Safety: ``overwrite`` replaces only an empty folder or one holding this generator's manifest (a
user's folder is refused), and only when every file in it is one the manifest lists (``files``: a
file a user added inside a generated trace is refused, named); temporary folders have unique names (pid + random token). The cached
trace of :func:`synthetic_trace` has a content record (size + SHA-256 of every file, next to it,
outside the trace) and is regenerated, with one line on stderr, when a file is missing, extra,
truncated or changed.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from tqdm import tqdm

from paperkit import paths, provenance, registry
from paperkit.coldstarts import DAY_S, N_DAYS, REGIONS, cachefiles, schema
from paperkit.coldstarts.rules import MANIFEST, config_category, pool_size_class
from paperkit.coldstarts.rules import aggregate_trigger as trigger_category
from paperkit.coldstarts.rules import pool_cpu_mem as _pool_cpu_mem
from paperkit.coldstarts import synthesis
from paperkit.coldstarts.policies import PLATFORM_KEEP_ALIVE_S as KEEP_ALIVE_S
from paperkit.coldstarts.workload import (Cells, RequestSide, day_arrivals, day_multipliers,
                                          diurnal_intensity, request_side)
from paperkit.coldstarts.fingerprints import (
    CPU_REQUEST, FINGERPRINTS, R2_N_FUNCNAMES, R2_N_USERS, R2_POOL_COUNTS, R2_RUNTIME_COUNTS,
    R2_TRIGGER_COUNTS, REGION_TARGETS, Fingerprints, Mixture)

__all__ = ["FINGERPRINTS", "Fingerprints", "GENERATOR_VERSION", "DEFAULT_SERIES", "MANIFEST",
           "generate_trace", "synthetic_trace", "synthetic_function_table", "day_multipliers",
           "diurnal_intensity", "trigger_category", "config_category", "pool_size_class"]

GENERATOR_VERSION = 6  # 6: requests by trigger at full rates, cold starts from the platform
DEFAULT_SERIES: tuple[str, ...] = ("requests", "num_cold_starts", "num_pods", "totalCost_avg",
                                   "cpu_usage_avg")
ALL_PARTS: tuple[str, ...] = ("cold_start", "quantiles", "per_request", "runtime_triggerType")
MIN_FUNCTIONS = 3
MINUTES = 1440
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    raw = total * weights / weights.sum()
    out = np.floor(raw).astype(np.int64)
    rest = total - out.sum()
    if rest > 0:
        out[np.argsort(-(raw - out), kind="stable")[:rest]] += 1
    return out


# ---------------------------------------------------------------------------------------------
# function tables
def synthetic_function_table(seed: int = 0) -> pl.DataFrame:
    """A Region 2 runtime/trigger table with the real table's exact runtime, trigger and pool
    counts but random funcNames/users and random pairing: tier synthetic."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 77, 2]))
    n = sum(R2_RUNTIME_COUNTS.values())

    def column(counts: dict[str, int]) -> np.ndarray:
        vals = np.repeat(np.array(list(counts), dtype=object), list(counts.values()))
        if len(vals) < n:  # pad with the most common value
            vals = np.concatenate([vals, np.repeat(vals[0], n - len(vals))])
        return rng.permutation(vals[:n])

    runtime, trigger, pool = column(R2_RUNTIME_COUNTS), column(R2_TRIGGER_COUNTS), column(R2_POOL_COUNTS)
    names = rng.choice(np.arange(1, 4 * R2_N_FUNCNAMES), R2_N_FUNCNAMES, replace=False)
    users = rng.choice(np.arange(1, 4 * R2_N_USERS), R2_N_USERS, replace=False)
    func_name = rng.permutation(np.concatenate([names, rng.choice(names, n - len(names))]))
    user = rng.permutation(np.concatenate([users, rng.choice(users, n - len(users))]))
    ids = [f"{a}---{b}---{p}" for a, b, p in zip(func_name, user, pool)]
    # make funcIDs unique (a funcName/user pair may repeat only across pools)
    seen: set[str] = set()
    for i, fid in enumerate(ids):
        while fid in seen:
            func_name[i] = rng.integers(4 * R2_N_FUNCNAMES, 8 * R2_N_FUNCNAMES)
            fid = f"{func_name[i]}---{user[i]}---{pool[i]}"
        ids[i] = fid
        seen.add(fid)
    cpu_req = [CPU_REQUEST.get(_pool_cpu_mem(p)[0], _pool_cpu_mem(p)[0] // 2) for p in pool]
    return pl.DataFrame({"funcID": ids, "cpu_request": cpu_req, "runtime": runtime.tolist(),
                         "triggerType-invocationType": trigger.tolist()},
                        schema=schema.FUNCTION_META)


def _public_function_table() -> pl.DataFrame:
    """The real Region 2 table, committed under ``data/public`` (verified; never a fallback:
    a missing or altered file stops with the fix)."""
    return pl.read_csv(registry.public_path(schema.REGISTRY_META_NAME), schema=schema.FUNCTION_META)


def _log_moments(mixtures: list[Mixture], class_counts: np.ndarray) -> tuple[float, float]:
    """mean and sd of ln(total) of the mixture with the realised class counts (= LogNormal MLE)."""
    m1 = m2 = 0.0
    tot = class_counts.sum()
    for c, mix in enumerate(mixtures):
        wc = class_counts[c] / tot if tot else 0.0
        for w, med, sig in mix:
            mu = math.log(med)
            m1 += wc * w * mu
            m2 += wc * w * (sig ** 2 + mu ** 2)
    return m1, math.sqrt(max(m2 - m1 ** 2, 0.0))


def _hex_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    return _HEX[rng.integers(0, 16, (n, 64), dtype=np.uint8)].view("S64").ravel()


def _place(buf: np.ndarray, starts: np.ndarray, lens: np.ndarray, src: np.ndarray) -> None:
    """Copy the concatenated pieces ``src`` (lengths ``lens``) to ``buf`` at ``starts``."""
    offsets = np.cumsum(lens) - lens
    buf[np.repeat(starts - offsets, lens) + np.arange(int(lens.sum()))] = src


def _texts(values: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(byte length of each value's text, all texts concatenated as bytes)."""
    txt = values.cast(pl.String)
    joined = txt.str.join("").item() if txt.len() else ""
    return (txt.str.len_bytes().to_numpy().astype(np.int64),
            np.frombuffer(joined.encode(), dtype=np.uint8))


def _write_series(path: Path, day: int, cells: Cells, cols: list[str], integer: bool) -> None:
    """Write one wide per-minute file (``day,time,<funcID>...``; absent cell = empty).

    Sparse writer: a buffer of commas the size of the file, into which the row prefixes, the
    non-empty cells and the newlines are copied at computed offsets (numpy, no per-cell Python).
    """
    nf = len(cols)
    key, val = cells
    r, c = np.divmod(key, nf)
    lens, text = _texts(pl.Series(val.astype(np.int64) if integer else val))
    plens, ptext = _texts(pl.Series([f"{day},{day * DAY_S + 60 * i}" for i in range(MINUTES)]))
    row_cells = np.bincount(r, weights=lens, minlength=MINUTES).astype(np.int64)
    row_len = plens + nf + row_cells + 1
    row_start = np.cumsum(row_len) - row_len
    buf = np.full(int(row_len.sum()), ord(","), dtype=np.uint8)
    _place(buf, row_start, plens, ptext)
    within = (np.cumsum(lens) - lens) - (np.cumsum(row_cells) - row_cells)[r]
    _place(buf, row_start[r] + plens[r] + c + 1 + within, lens, text)
    buf[row_start + row_len - 1] = ord("\n")
    with open(path, "wb") as fh:
        fh.write((",".join(["day", "time", *cols]) + "\n").encode())
        fh.write(buf.tobytes())


def _request_columns(rng: np.random.Generator, time_worker: np.ndarray, exe: np.ndarray,
                     fn: synthesis.Functions, fr: np.ndarray) -> dict[str, np.ndarray]:
    """The per-request columns that follow from a row's start (s), execution time (s) and
    function: frontend time, the cost split, CPU (cores), memory (MB), body size (bytes). One
    model for the default table and the tables at a given size (same draws, same order)."""
    n = len(time_worker)
    return {
        "time_worker": time_worker,
        "time_frontend": np.round(time_worker - rng.uniform(0.001, 0.02, n), 3),
        "totalCost_worker": np.round(exe, 6), "workerCost": np.round(0.95 * exe, 6),
        "runtimeCost": np.round(0.9 * exe, 6), "totalCost_frontend": np.round(exe + 0.01, 6),
        "frontendCost": np.round(rng.uniform(0.001, 0.005, n), 6),
        "busCost": np.round(rng.uniform(0.0005, 0.002, n), 6),
        "readBodyCost": np.round(rng.uniform(0.0, 0.001, n), 6),
        "writeRspCost": np.round(rng.uniform(0.0, 0.001, n), 6),
        "cpu_usage": np.round(np.minimum(fn.cpu_use[fr] * np.exp(0.2 * rng.standard_normal(n)),
                                         fn.cpu_cores[fr]), 4),
        "memory_usage": np.round(rng.uniform(0.2, 0.8, n) * fn.mem_mb[fr], 3),
        "requestBodySize": np.round(rng.lognormal(6.0, 1.5, n)),
    }


REQUEST_CHUNK_ROWS = 4_000_000   # rows per part file (each built, written and freed in turn)
_BYTE_HEX = np.array([f"{i:02x}".encode() for i in range(256)], dtype="S2")


def request_split(request_rows: int, regions: tuple[str, ...], day: int,
                  min_rows: dict[str, int]) -> dict[str, int]:
    """Rows of each region's request table: ``request_rows`` split in proportion to the regions'
    requests on ``day`` (``n_requests`` x day multiplier, largest remainder), except that a region
    gets at least ``min_rows[r]`` (fixed there, the rest split over the others again)."""
    w = {r: REGION_TARGETS[r].n_requests * day_multipliers(REGION_TARGETS[r])[day]
            / day_multipliers(REGION_TARGETS[r]).sum() for r in regions}
    need = sum(min_rows.values())
    if request_rows < need:
        raise ValueError(f"request_rows={request_rows} is too small: the last day's pods need at "
                         f"least {need} rows (1 per single-request pod, else 2: {min_rows}); pass a "
                         "larger request_rows or a smaller scale")
    fixed: dict[str, int] = {r: 0 for r in regions if min_rows[r] == 0}  # no pods, no rows
    if len(fixed) == len(regions) and request_rows:
        raise ValueError(f"request_rows={request_rows}: no region has a cold start on day {day}")
    while True:
        free = [r for r in regions if r not in fixed]
        alloc = _largest_remainder(request_rows - sum(fixed.values()),
                                   np.array([w[r] for r in free], dtype=float))
        short = [r for r, a in zip(free, alloc) if a < min_rows[r]]
        if not short:
            return {**fixed, **dict(zip(free, (int(a) for a in alloc)))}
        fixed.update({r: min_rows[r] for r in short})


def _fast_hex_ids(rng: np.random.Generator, n: int) -> pl.Series:
    """``n`` random 64-hex request ids (32 random bytes each)."""
    b = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    return pl.Series(_BYTE_HEX[b].view("S64").ravel()).cast(pl.String)


def _chunk_requests(region: str, day: int, chunk: int, lo: int, hi: int, pods: _Pods,
                    pod_cols: pl.DataFrame, ends: np.ndarray, counts: np.ndarray,
                    fn: synthesis.Functions,
                    seed: int) -> pl.DataFrame:
    """Rows ``lo``..``hi``-1 of a region's request table (pods laid out one after another): a pod's
    first row is its cold-start request at ``ready``, its last ends its lifetime, the rest fall
    uniformly in between."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, REGIONS.index(region), day, 3, chunk]))
    rows = np.arange(lo, hi, dtype=np.int64)
    n = len(rows)
    p = np.searchsorted(ends, rows, side="right")
    pos = rows - (ends - counts)[p]
    first = pos == 0
    last = (pos == counts[p] - 1) & ~first
    ready, last_start = pods.ready[p], pods.last_start[p]
    fr = pods.f[p]
    mid = ready + rng.random(n) * (last_start - ready)
    time_worker = np.round(np.where(first, ready, np.where(last, last_start, mid)), 3)
    exe = np.where(first, pods.exec_first[p], np.where(
        last, pods.exec_last[p], fn.exec_s[fr] * np.exp(0.3 * rng.standard_normal(n))))
    new_ids = _fast_hex_ids(rng, n)
    strings = pod_cols.select(pl.all().gather(p))
    df = pl.DataFrame({
        **_request_columns(rng, time_worker, exe, fn, fr),
        "_first": first,
    })
    return (pl.concat([df, strings], how="horizontal")
            .with_columns(requestID=pl.when(pl.col("_first")).then(pl.col("_event_id"))
                          .otherwise(new_ids))
            .select([pl.col(c).cast(t) for c, t in schema.REQUEST.items()]))


PARTS_PER_ZIP = 10               # request parts per zip with request_format="zip" (R1's release zips)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed member time: same arguments, same zip bytes


class _PartWriter:
    """Writes request parts as CSV files, or as CSV members of zips of ``PARTS_PER_ZIP`` parts
    named like the release's (``R1_00000_00009.zip``), deflated as they are written."""

    def __init__(self, rdir: Path, region: str, n_parts: int, fmt: str) -> None:
        self.rdir, self.region, self.n_parts, self.fmt = rdir, region, n_parts, fmt
        self._zip: zipfile.ZipFile | None = None

    def write(self, k: int, df: pl.DataFrame) -> None:
        name = f"{self.region}_part-{k:05d}.csv"
        if self.fmt == "csv":
            df.write_csv(self.rdir / name, float_scientific=False)
            return
        if k % PARTS_PER_ZIP == 0:
            self.close()
            last = min(k + PARTS_PER_ZIP, self.n_parts) - 1
            self._zip = zipfile.ZipFile(self.rdir / f"{self.region}_{k:05d}_{last:05d}.zip", "w",
                                        compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
        info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
        with self._zip.open(info, "w", force_zip64=True) as fh:
            df.write_csv(fh, float_scientific=False)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None


@dataclass
class _Pods:
    """The pods cold-started on one region-day, from the platform: their requests' span."""
    f: np.ndarray            # function index
    ready: np.ndarray        # s: cold-start time + totalCost_cold_start (first request starts)
    last_start: np.ndarray   # s: start of the last request
    exec_first: np.ndarray   # s: execution time of the first request
    exec_last: np.ndarray    # s: of the last request (ends the pod's useful lifetime)
    k_min: np.ndarray        # 1 (a pod that served one request) or 2
    weight: np.ndarray       # share of the extra rows: the pod's span (0 for a single request)


def _day_pods(region: str, day: int, run: synthesis.PlatformRun, idx: np.ndarray,
              events: pl.DataFrame, fn: synthesis.Functions, seed: int) -> _Pods:
    """The day's pods as the platform ran them: the first request starts when the cold start
    ends (``ready``), the last one ends at the platform's last request end (censored at the end of
    the day, like the release's one-day request table), or at ``ready`` + its execution time if
    that is later (the platform does not delay a pod's requests by the cold start)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, REGIONS.index(region), day, 4]))
    f = run.f[idx]
    n = idx.size
    ready = events["time"].to_numpy() + events["totalCost_cold_start"].to_numpy()
    exec_first = fn.exec_s[f] * np.exp(0.3 * rng.standard_normal(n))
    exec_last = fn.exec_s[f] * np.exp(0.3 * rng.standard_normal(n))
    single = _single(run, fn, idx)
    end = np.minimum(np.maximum(run.last_end[idx], ready + exec_first), (day + 1) * DAY_S)
    last_start = np.where(single, ready, np.maximum(end - exec_last, ready))
    exec_last = np.where(single, exec_first, end - last_start)
    k_min = np.where(single, 1, 2).astype(np.int64)
    return _Pods(f, ready, last_start, exec_first, exec_last, k_min,
                 np.where(single, 0.0, end - ready))


def _write_requests(rdir: Path, region: str, day: int, events: pl.DataFrame, pods: _Pods,
                    fn: synthesis.Functions, seed: int, n_rows: int | None, chunk_rows: int,
                    fmt: str = "csv") -> int:
    """Write the day's request rows as ``{region}_part-{k:05d}.csv`` files of at most
    ``chunk_rows`` rows (``fmt="zip"``: as members of zips, see :class:`_PartWriter`): each pod's
    first and last request, plus (``n_rows``) the rest spread by the pods' spans;
    return the rows written."""
    if n_rows is None:
        n_rows = int(pods.k_min.sum())
    counts = _request_counts(region, day, pods, n_rows, seed)
    ends = np.cumsum(counts)
    pod_cols = events.select("clusterName", "funcName", "podID", "userID",
                             pl.col("requestID").alias("_event_id"))
    written = 0
    starts = range(0, max(n_rows, 1), chunk_rows)
    out = _PartWriter(rdir, region, len(starts), fmt)
    try:
        for chunk, lo in enumerate(starts):
            hi = min(lo + chunk_rows, n_rows)
            df = _chunk_requests(region, day, chunk, lo, hi, pods, pod_cols, ends, counts, fn, seed)
            out.write(chunk, df)
            written += df.height
            del df
    finally:
        out.close()
    return written


def _request_counts(region: str, day: int, pods: _Pods, n_rows: int, seed: int) -> np.ndarray:
    """Rows per pod: its minimum (1 or 2) plus a multinomial share of the rest by its span."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, REGIONS.index(region), day, 5]))
    extra = n_rows - int(pods.k_min.sum())
    if extra < 0:
        raise ValueError(f"{region}: {n_rows} request rows cannot cover the last day's "
                         f"{len(pods.f)} pods (they need {int(pods.k_min.sum())}); pass a larger "
                         "request_rows")
    if extra and not len(pods.f):
        raise ValueError(f"{region}: no pod was cold-started on day {day}, so its {n_rows} "
                         "request rows have no pod; pass fewer request_rows or more functions")
    if extra == 0 or pods.weight.sum() == 0:
        return pods.k_min + (rng.multinomial(extra, np.full(len(pods.f), 1 / len(pods.f)))
                             if extra else 0)
    return pods.k_min + rng.multinomial(extra, pods.weight / pods.weight.sum())


# ---------------------------------------------------------------------------------------------
def _check_args(scale: float, n_days: int, regions: tuple[str, ...], parts: tuple[str, ...],
                series: tuple[str, ...]) -> None:
    if not (isinstance(scale, (int, float)) and not isinstance(scale, bool) and 0 < scale <= 1):
        raise ValueError(f"scale must be in (0, 1]: the share of the release's functions kept, each "
                         f"at its full request rate (1.0 = all 14,108), got {scale!r}")
    if not 1 <= n_days <= N_DAYS:
        raise ValueError(f"n_days must be in 1..{N_DAYS}, got {n_days!r}")
    bad = [r for r in regions if r not in REGIONS]
    if bad or not regions:
        raise ValueError(f"unknown region {bad[0] if bad else '(none)'}; choose from {', '.join(REGIONS)}")
    bad = [p for p in parts if p not in ALL_PARTS]
    if bad:
        raise ValueError(f"unknown part {bad[0]!r}; choose from {', '.join(ALL_PARTS)}")
    bad = [s for s in series if s not in DEFAULT_SERIES]
    if bad:
        raise ValueError(f"the generator cannot produce series {bad[0]!r}; it writes "
                         f"{', '.join(DEFAULT_SERIES)}")


def _check_request_args(request_rows: int | None, chunk_rows: int, parts: tuple[str, ...],
                        request_format: str = "csv") -> None:
    if request_format not in ("csv", "zip") or (request_format == "zip" and request_rows is None):
        raise ValueError(f"request_format must be 'csv' or 'zip' (zip: parts packed like the "
                         f"release's zips; needs request_rows), got {request_format!r}")
    for name, v in (("request_rows", request_rows), ("chunk_rows", chunk_rows)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1):
            raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
    if request_rows is not None and "per_request" not in parts:
        raise ValueError("request_rows sizes the per_request tables; add per_request to parts")


def is_generated(path: Path) -> bool:
    """True if ``path`` holds this generator's manifest (``SYNTHETIC.json`` naming it)."""
    try:
        man = json.loads((Path(path) / MANIFEST).read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return isinstance(man, dict) and man.get("generator") == "paperkit.coldstarts.generate"


def _check_out_dir(out_dir: Path, overwrite: bool) -> None:
    """Raise ``ValueError`` unless ``out_dir`` may be written: absent, or with ``overwrite`` an empty
    folder or a trace this generator wrote (never a user's folder)."""
    if not (out_dir.exists() or out_dir.is_symlink()):
        return
    if not overwrite:
        raise ValueError(f"{out_dir} already exists; pass overwrite=True (--overwrite) to replace "
                         "a trace written by this generator, or choose another folder")
    if out_dir.is_symlink() or not out_dir.is_dir():
        raise ValueError(f"{out_dir} exists and is not a folder; overwrite only replaces a trace "
                         "written by this generator: remove it yourself or choose another OUT_DIR")
    if any(out_dir.iterdir()) and not is_generated(out_dir):
        raise ValueError(f"refusing to overwrite {out_dir}: it is not empty and has no {MANIFEST} "
                         "of this generator, so it was not written by it and may hold your files; "
                         "choose another OUT_DIR, or move or delete that folder yourself")
    foreign = _unlisted_files(out_dir)
    if foreign:
        raise ValueError(f"refusing to overwrite {out_dir}: it holds {len(foreign)} file(s) its "
                         f"{MANIFEST} does not list, e.g. {foreign[0]} (added by you?); move them "
                         "out, or choose another OUT_DIR")


def _unlisted_files(out_dir: Path) -> list[str]:
    """Files under a generated trace that its manifest's ``files`` does not list (none for an
    older manifest without that list)."""
    try:
        listed = json.loads((out_dir / MANIFEST).read_text()).get("files")
    except (OSError, ValueError, UnicodeDecodeError, AttributeError):
        return []
    if not isinstance(listed, list):
        return []
    have = sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*")
                  if p.is_file() or p.is_symlink())
    return [f for f in have if f not in set(listed) | {MANIFEST}]


def generate_trace(out_dir: str | Path, scale: float, seed: int = 0, *, n_days: int = N_DAYS,
                   regions: tuple[str, ...] = REGIONS, parts: tuple[str, ...] = ALL_PARTS,
                   series: tuple[str, ...] = DEFAULT_SERIES, overwrite: bool = False,
                   progress: bool = False, meta: str = "auto",
                   sides: dict[str, RequestSide] | None = None, request_rows: int | None = None, chunk_rows: int = REQUEST_CHUNK_ROWS,
                   request_format: str = "csv") -> Path:
    """Write a synthetic trace in the release layout (§2.2) to ``out_dir``; return its path.

    ``scale``: the share of the release's functions kept (1.0 = all 14,108; a smaller share is a
    stratified sample of each region's functions, at least 3), each at its **full request rate**
    (per-function rates are never scaled: keep-alive depends on them). ``sides``: the request side
    per region (:func:`paperkit.coldstarts.refit.read_request_sides`; default the paper's
    readings). ``n_days`` < 31 writes days
    0..n_days-1 only (tests). ``meta``: "public" (the real Region 2 table committed in
    ``data/public``; "auto" is the same) or "synthetic" (a stand-in with its exact counts, only
    when asked for). Written atomically: a uniquely named temporary sibling folder renamed into
    place. Same arguments -> byte-identical files. An existing ``out_dir`` is refused unless
    ``overwrite``, and even then unless it is empty or holds this generator's manifest
    (:func:`is_generated`): a user's folder is never deleted.

    ``request_rows``: None writes each last-day pod's first and last request; N writes exactly N
    rows (:func:`request_split` over regions; the pods' spans are the platform's, independent of
    N) in parts of at most ``chunk_rows`` rows, each built, written and freed (memory flat in N),
    as CSV files or (``request_format="zip"``) packed in zips of 10 like the release's.
    """
    regions, parts, series = tuple(regions), tuple(parts), tuple(series)
    _check_args(scale, n_days, regions, parts, series)
    _check_request_args(request_rows, chunk_rows, parts, request_format)
    out_dir = Path(out_dir)
    _check_out_dir(out_dir, overwrite)
    table, meta_source = _function_table(meta, seed)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = cachefiles.temp_sibling(out_dir, folder=True)
    try:
        manifest = _generate_into(tmp, scale, seed, n_days, regions, parts, series, table,
                                  meta_source, progress, sides, request_rows, chunk_rows,
                                  request_format)
        manifest["files"] = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*")
                                   if p.is_file())  # what --overwrite may replace
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        if out_dir.exists() and overwrite:
            _check_out_dir(out_dir, overwrite)  # still ours (or empty) after generating
            old = cachefiles.temp_sibling(out_dir, folder=True, tag="old")
            os.replace(out_dir, old)
            os.replace(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            try:
                os.rename(tmp, out_dir)  # fails if another process created out_dir meanwhile
            except OSError:
                raise ValueError(f"{out_dir} was created by another process while generating; "
                                 "pass overwrite=True to replace it") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def _function_table(meta: str, seed: int) -> tuple[pl.DataFrame, str]:
    """The Region 2 table the trace is built on and its source ("public" or "synthetic")."""
    if meta not in ("auto", "public", "synthetic"):
        raise ValueError(f"meta must be 'auto', 'public' or 'synthetic', got {meta!r}")
    if meta == "synthetic":
        return synthetic_function_table(seed), "synthetic"
    return _public_function_table(), "public"


def _generate_into(root: Path, scale: float, seed: int, n_days: int, regions: tuple[str, ...],
                   parts: tuple[str, ...], series: tuple[str, ...], table: pl.DataFrame,
                   meta_source: str, progress: bool, sides: dict[str, RequestSide] | None = None,
                   request_rows: int | None = None, chunk_rows: int = REQUEST_CHUNK_ROWS,
                   request_format: str = "csv") -> dict:
    """Write every region of the trace under ``root``; return the manifest (one region at a time:
    :func:`_write_region` writes the files, :func:`_region_manifest` records what it wrote)."""
    bar = tqdm(total=len(regions) * (n_days + 1), desc=f"synthetic trace scale={scale:g}",
               unit="step", disable=not progress, file=sys.stderr)
    manifest: dict = {
        "tier": "synthetic", "generator": "paperkit.coldstarts.generate",
        "generator_version": GENERATOR_VERSION, "scale": scale, "seed": seed, "n_days": n_days,
        "functions": scale, "per_function_rates": "full (never scaled)",
        "parts": sorted(parts), "series": sorted(series) if "quantiles" in parts else [],
        "function_meta_source": meta_source, "regions": {},
        "request_side": "paper" if sides is None else "file",
        "note": ("synthetic requests calibrated to numbers read from the paper; cold starts and "
                 "pods from the platform simulator (fixed 60 s keep-alive); not the paper's data"),
    }
    made = {}
    for region in regions:
        side = (sides or {}).get(region) or request_side(REGION_TARGETS[region])
        fn, r2meta = synthesis.region_functions(region, scale, seed, table, side.n_functions)
        w = synthesis.region_requests(region, fn, side, seed)
        run = synthesis.run_platform(region, fn, w, *_arrivals(w, seed, region, n_days), n_days,
                                     seed) if request_rows is not None else None
        made[region] = (fn, r2meta, w, run)
    split: dict[str, int | None] = {r: None for r in regions}
    if request_rows is not None:   # each region's last-day pods need 1 or 2 rows
        split = request_split(request_rows, regions, n_days - 1, {
            r: int(_min_rows(made[r][3], made[r][0], n_days - 1)) for r in regions})
        manifest.update(request_rows=request_rows, request_chunk_rows=chunk_rows,
                        request_format=request_format)
    for region in regions:
        fn, r2meta, w, run = made.pop(region)
        written = _write_region(root, region, seed, n_days, parts, series, fn, w, run, bar,
                                request_rows=split[region], chunk_rows=chunk_rows,
                                request_format=request_format)
        manifest["regions"][region] = _region_manifest(region, fn, *written[:3])
        if request_rows is not None:
            manifest["regions"][region]["request_rows"] = written[3]
        if region == "R2" and "runtime_triggerType" in parts and r2meta is not None:
            mdir = root / "runtime_triggerType"
            mdir.mkdir(parents=True)
            r2meta.write_csv(mdir / "df_funcID_runtime_triggerType.csv")
    bar.close()
    return manifest


def _region_dirs(root: Path, region: str, parts: tuple[str, ...], series: tuple[str, ...]) -> tuple[Path, dict]:
    """Create (and return) a region's cold-start folder and its per-minute series folders."""
    cs_dir = root / "cold_start" / region
    if "cold_start" in parts:
        cs_dir.mkdir(parents=True)
    sdirs = {}
    if "quantiles" in parts:
        for s in series:
            sdirs[s] = root / "quantiles" / region / s
            sdirs[s].mkdir(parents=True)
    return cs_dir, sdirs


def _day_rng(seed: int, region: str, day: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, REGIONS.index(region), day, 6]))


def _arrivals(w, seed: int, region: str, n_days: int) -> tuple[list[Cells], list[Cells]]:
    """(per-minute requests, storage bursts) of each day (the same draws on every call)."""
    arr = [day_arrivals(w, d, _day_rng(seed, region, d)) for d in range(n_days)]
    return [a[0] for a in arr], [a[1] for a in arr]


def _single(run: synthesis.PlatformRun, fn: synthesis.Functions, idx: np.ndarray) -> np.ndarray:
    """Pods that served one request: their last request is their first."""
    f = run.f[idx]
    return run.last_end[idx] - run.t[idx] <= fn.exec_s[f] + 1e-6


def _min_rows(run: synthesis.PlatformRun, fn: synthesis.Functions, day: int) -> int:
    """Request rows a region's pods of ``day`` need: 1 per single-request pod, else 2."""
    idx = run.day(day)
    return int(np.where(_single(run, fn, idx), 1, 2).sum())


def _write_region(root: Path, region: str, seed: int, n_days: int, parts: tuple[str, ...],
                  series: tuple[str, ...], fn: synthesis.Functions, w, run, bar, *,
                  request_rows: int | None = None, chunk_rows: int = REQUEST_CHUNK_ROWS,
                  request_format: str = "csv") -> tuple[np.ndarray, float, int, int]:
    """Write one region: its requests (workload ``w``), the platform's cold starts and pods
    (``run``, or run here when None), day by day; return the pool-class counts of its cold starts,
    its requests, cold starts and request-table rows (``request_rows`` of them in part files, or
    one or two per last-day pod when None)."""
    requests, bursts = _arrivals(w, seed, region, n_days)
    if run is None:
        run = synthesis.run_platform(region, fn, w, requests, bursts, n_days, seed)
    del bursts
    bar.update(1)
    rng = np.random.default_rng(np.random.SeedSequence([seed, REGIONS.index(region), 20_000]))
    pod_base = int(rng.integers(10**8, 3 * 10**9))
    cs_dir, sdirs = _region_dirs(root, region, parts, series)
    cols = fn.func_id.tolist()
    class_counts = np.zeros(3, dtype=np.int64)
    n_req_rows = 0
    for day in range(n_days):
        idx = run.day(day)
        events = synthesis.day_events(region, day, run, idx, fn, seed, pod_base + idx)
        class_counts += np.bincount(fn.klass[run.f[idx]], minlength=3)
        if "cold_start" in parts:
            events.write_csv(cs_dir / f"day_{day:02d}.csv", float_scientific=False)
        if "quantiles" in parts:
            cells = synthesis.day_series(region, day, fn, requests[day], run, seed, KEEP_ALIVE_S)
            for s in series:
                _write_series(sdirs[s] / f"day_{day:02d}.csv", day, cells[s], cols,
                              integer=s in schema.COUNT_SERIES)
        if "per_request" in parts and day == n_days - 1:
            rdir = root / "per_request" / region
            rdir.mkdir(parents=True)
            pods = _day_pods(region, day, run, idx, events, fn, seed)
            n_req_rows = _write_requests(rdir, region, day, events, pods, fn, seed,
                                         request_rows, chunk_rows, request_format)
        bar.update(1)
    n_requests = float(sum(v.sum() for _, v in requests))
    return class_counts, n_requests, int(run.t.size), n_req_rows


def _region_manifest(region: str, fn: synthesis.Functions, class_counts: np.ndarray,
                     n_requests: float, n_cold_starts: int) -> dict:
    """The manifest entry of one region: counts and the parameters a summary should recover (the
    LogNormal of the calibrated cold-start-time mixtures at the realised class counts)."""
    target = REGION_TARGETS[region]
    mu, sigma = _log_moments(synthesis.mixture_table(region), class_counts)
    return {
        "n_cold_starts": n_cold_starts, "n_functions": fn.n,
        "n_requests": int(round(n_requests)),
        "lognormal": {"mu": mu, "sigma": sigma},
        "component_share": {schema.COMPONENT_KEYS[c]: target.shares[c] / sum(target.shares.values())
                            for c in schema.COMPONENTS},
        "class_counts": {"small": int(class_counts[0]), "large": int(class_counts[1]),
                         "creation": int(class_counts[2])},
    }


def _scale_tag(scale: float) -> str:
    return f"{scale:g}"


def _record_path(path: Path) -> Path:
    """Content record of a cached trace: ``.<name>.files.json`` next to it (not inside: the trace's
    own files stay byte-identical to :func:`generate_trace`'s)."""
    return path.parent / f".{path.name}.files.json"


def _read_json(path: Path) -> object:
    """Parsed JSON of ``path``, or None if it is missing or unreadable."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def cached_trace_problem(path: Path) -> tuple[bool, str | None]:
    """(usable, why not) for a cached trace: ``why`` is None when it is absent or from another
    generator version (a silent rebuild), else what is damaged (a missing, extra, truncated or
    changed file, an unreadable manifest, no content record)."""
    if not path.exists():
        return False, None
    if not (path / MANIFEST).is_file():
        return False, f"has no {MANIFEST} (incomplete)"
    man = _read_json(path / MANIFEST)
    if not isinstance(man, dict):
        return False, f"has an unreadable {MANIFEST}"
    if man.get("generator_version") != GENERATOR_VERSION:
        return False, None
    rec = _read_json(_record_path(path))
    if not (isinstance(rec, dict) and rec.get("generator_version") == GENERATOR_VERSION):
        return False, f"has no valid content record ({_record_path(path).name})"
    why = cachefiles.tree_problem(path, rec.get("files"))
    return why is None, why


def _regenerate(path: Path, why: str | None, generate) -> None:
    """Replace the cached trace at ``path`` by ``generate(overwrite)``'s; record its content."""
    if why:
        cachefiles.note(f"cached synthetic trace {path} {why}; regenerating it")
    record = _record_path(path)
    if path.exists() and any(path.iterdir()) and (not is_generated(path) or _unlisted_files(path)):
        if not (record.is_file() or is_generated(path)):
            raise ValueError(f"{path} is in the synthetic-trace cache but was not written by the "
                             "generator (no SYNTHETIC.json, no content record); move or delete it")
        shutil.rmtree(path)  # our own cache entry (record or manifest): damaged or added to
    record.unlink(missing_ok=True)
    generate(path.exists())
    rec = {"generator_version": GENERATOR_VERSION, "files": cachefiles.tree_record(path)}
    cachefiles.write_text_atomic(record, json.dumps(rec, indent=1, sort_keys=True) + "\n")


def synthetic_trace(scale: float, seed: int = 0, *, n_days: int = N_DAYS,
                    progress: bool = True, meta: str = "public") -> Path:
    """The cached synthetic trace for (scale, seed): ``cache_dir()/coldstarts/
    synthetic-scale<scale>-seed<seed>[-days<n>][-synthmeta]/``, generated (tqdm bar on stderr) if
    absent. ``meta="synthetic"`` (suffix ``-synthmeta``) builds Region 2 on a synthetic stand-in
    for the public runtime/trigger table; only when asked for. Used as the notebooks' default
    ``data_dir``; noted as the run's input in :mod:`paperkit.provenance`.

    Checked by content on each call (SHA-256 of every file against the record written after
    generation; hashed once per process per file version): a damaged trace is regenerated with one
    line on stderr."""


    if meta not in ("public", "synthetic"):
        raise ValueError(f"R2_TABLE={meta!r}: the Region 2 table is 'public' (committed in "
                         "data/public) or 'synthetic' (a stand-in)")
    public_meta = meta == "public"
    if public_meta:
        _public_function_table()  # stops here, naming the file and the fix, if it is unusable
    provenance.note_input("synthetic", generator="paperkit.coldstarts.generate",
                          version=GENERATOR_VERSION, seed=seed, scale=scale, n_days=n_days,
                          region2_table=meta)
    name = (f"synthetic-scale{_scale_tag(scale)}-seed{seed}"
            + (f"-days{n_days}" if n_days != N_DAYS else "")
            + ("" if public_meta else "-synthmeta"))  # the Region 2 table changes the trace
    path = paths.cache_dir() / "coldstarts" / name

    def generate(overwrite: bool) -> None:
        generate_trace(path, scale, seed, n_days=n_days, overwrite=overwrite, progress=progress,
                       meta="public" if public_meta else "synthetic")

    if cached_trace_problem(path)[0]:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second process waits for the first one's trace
        try:
            usable, why = cached_trace_problem(path)
            if not usable:
                _regenerate(path, why, generate)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return path
