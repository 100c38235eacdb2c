"""Benchmark of the cold-start data layer: ``python -m paperkit.coldstarts.bench [--scale 1.0]``.

Design: every step runs in a fresh child process (its own peak RSS); the default ``--steps
peer,requests`` compares paperkit with DuckDB and pandas on one trace, then times the per-request
path at release-like sizes (``--request-sizes 10M,50M,150M``): for each size, in a fresh folder,
generate the cold starts + N request rows (part files), convert them to the parquet cache
(streamed), compute Fig. 17 (utility ratios + pod lifetimes, streaming engine), record wall time,
peak RSS and disk at the peak, and delete the trace and its cache before the next size (also on
failure). ``--steps all`` runs everything, including the pandas figure baseline.

Runs each step of :data:`STEPS` in a fresh child process (so each peak RSS is its own, from
``resource.getrusage(RUSAGE_SELF).ru_maxrss``) and writes ``build/bench/coldstarts.json``:

- ``generate``        -- synthetic trace at ``--scale`` (all parts of the release layout);
- ``summarize_cold``  -- ``summarize`` with an empty parquet cache (includes CSV -> parquet);
- ``summarize_warm``  -- ``summarize`` again (parquet cache re-used);
- ``figures_cold`` / ``figures_warm`` / ``pandas_baseline`` -- every figure's data, paperkit vs pandas;
- ``peer_paperkit_cold`` / ``peer_paperkit`` / ``peer_duckdb`` / ``peer_pandas`` -- the same
  figure-data queries (:mod:`.analysis.peer`) in paperkit, DuckDB and pandas; the run ends with
  ``paperkit/duckdb time ratio: X, memory ratio: Y``. DuckDB is not a dependency of the package:
  install it with ``pip install -e .[bench]`` (the benchmark installs nothing itself).

``--steps simulate`` times the platform simulator (:mod:`.simbench`: a release-sized population,
14,108 functions x 31 days, under the fixed 60 s policy; target at most 60 s, peak RSS < 8 GB).
``--steps peer`` runs only the trace generation and the peer steps. ``--steps requests`` runs only
the request-table group (:func:`run_requests`; ``build/bench/coldstarts-requests.json``): steps
``requests_generate``, ``requests_convert`` (empty parquet cache; cold starts then the request
parts, timed apart), ``requests_figures`` (Fig. 17 ratios, coverage and pod lifetimes from the
cache) per size, a table with time per million rows, and checks that figure time grows about
linearly and peak RSS stays below 8 GB.

To time more work (e.g. the figure-data functions), append ``(name, function)`` to :data:`STEPS`;
a step function takes the :class:`BenchContext` and returns an optional dict of extra numbers.
Timings are of this machine (tier ``measured``); say which machine when quoting them.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from paperkit import paths
from paperkit.cli import exit_on_bad_input, non_negative_int, positive_int, real
from paperkit.coldstarts import generate, load, simbench, summarize
from paperkit.coldstarts.analysis import figure_data, pandas_baseline, peer, utility


@dataclass(frozen=True)
class BenchContext:
    """What a step needs: the trace folder and the generator arguments."""

    data_dir: str
    scale: float
    seed: int
    parts: tuple[str, ...]
    request_rows: int | None = None
    request_format: str = "zip"


def step_generate(ctx: BenchContext) -> dict:
    path = generate.generate_trace(ctx.data_dir, ctx.scale, ctx.seed, parts=ctx.parts,
                                   overwrite=True, progress=sys.stderr.isatty())
    man = json.loads((path / generate.MANIFEST).read_text())
    du = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return {"n_cold_starts": sum(r["n_cold_starts"] for r in man["regions"].values()),
            "csv_bytes": du}


def step_summarize_cold(ctx: BenchContext) -> dict:
    shutil.rmtree(load.cache_root(ctx.data_dir), ignore_errors=True)
    out = summarize.summarize(ctx.data_dir)
    return {"n_regions": len(out["regions"])}


def step_summarize_warm(ctx: BenchContext) -> dict:
    out = summarize.summarize(ctx.data_dir)
    return {"n_regions": len(out["regions"])}


STEPS: list[tuple[str, Callable[[BenchContext], dict | None]]] = [
    ("generate", step_generate),
    ("summarize_cold", step_summarize_cold),
    ("summarize_warm", step_summarize_warm),
]
"""Benchmark steps, run in this order, each in its own process."""



# ---------------------------------------------------------------------------------------------
# Figure data (issue 3, analysis helper): every figure's data with paperkit (polars) vs the
# straightforward pandas baseline. The polars steps record their wall time in the trace folder so
# that the pandas step can report the speed-up ratio (each step still runs in its own process).
_FIG_TIMES = ".bench_figure_times.json"


def _record_time(ctx: BenchContext, name: str, wall_s: float) -> None:
    f = Path(ctx.data_dir) / _FIG_TIMES
    d = json.loads(f.read_text()) if f.exists() else {}
    d[name] = wall_s
    f.write_text(json.dumps(d))


def step_figures_cold(ctx: BenchContext) -> dict:
    """all_figure_data with an empty parquet cache (includes CSV -> parquet for the needed files)."""
    shutil.rmtree(load.cache_root(ctx.data_dir), ignore_errors=True)
    t0 = time.perf_counter()
    out = figure_data.all_figure_data(ctx.data_dir)
    _record_time(ctx, "figures_cold", time.perf_counter() - t0)
    return {"n_frames": len(out)}


def step_figures_warm(ctx: BenchContext) -> dict:
    """all_figure_data again (parquet cache re-used): the analysis cost itself."""
    t0 = time.perf_counter()
    out = figure_data.all_figure_data(ctx.data_dir)
    _record_time(ctx, "figures_warm", time.perf_counter() - t0)
    return {"n_frames": len(out)}


def step_pandas_baseline(ctx: BenchContext) -> dict:
    """The same figure data with pandas from the CSVs (the demo notebook's way); reports ratios."""
    t0 = time.perf_counter()
    out = pandas_baseline.all_figure_data(ctx.data_dir)
    wall = time.perf_counter() - t0
    f = Path(ctx.data_dir) / _FIG_TIMES
    times = json.loads(f.read_text()) if f.exists() else {}
    ratios = {f"speedup_vs_{k}": round(wall / v, 2) for k, v in sorted(times.items()) if v > 0}
    return {"n_frames": len(out), **ratios}


STEPS += [("figures_cold", step_figures_cold), ("figures_warm", step_figures_warm),
          ("pandas_baseline", step_pandas_baseline)]


# ---------------------------------------------------------------------------------------------
# The peer comparison (issue 14): the same figure-data queries (analysis.peer) in paperkit
# (polars, streaming engine, parquet cache), DuckDB (reading the CSVs) and pandas (the CSVs).
def step_peer_paperkit_cold(ctx: BenchContext) -> dict:
    """paperkit's peer queries with an empty parquet cache (CSV -> parquet included)."""
    shutil.rmtree(load.cache_root(ctx.data_dir), ignore_errors=True)
    return {"rows": sum(df.height for df in peer.polars_queries(ctx.data_dir).values())}


def step_peer_paperkit(ctx: BenchContext) -> dict:
    """paperkit's peer queries, parquet cache warm: the analysis itself."""
    return {"rows": sum(df.height for df in peer.polars_queries(ctx.data_dir).values())}


def step_peer_duckdb(ctx: BenchContext) -> dict:
    """DuckDB's peer queries, straight from the CSVs."""
    return {"rows": sum(df.height for df in peer.duckdb_queries(ctx.data_dir).values())}


def step_peer_pandas(ctx: BenchContext) -> dict:
    """pandas' peer queries, from the CSVs."""
    return {"rows": sum(df.height for df in peer.pandas_queries(ctx.data_dir).values())}


SIM_STEPS = [("simulate", simbench.step_simulate)]
"""``--steps simulate``: the platform simulator on a release-sized population (:mod:`.simbench`)."""
STEPS += SIM_STEPS

PEER_STEPS = [("peer_paperkit_cold", step_peer_paperkit_cold), ("peer_paperkit", step_peer_paperkit),
              ("peer_duckdb", step_peer_duckdb), ("peer_pandas", step_peer_pandas)]
STEPS += PEER_STEPS


def peer_lines(results: dict) -> list[str]:
    """The ratios of the peer steps; the last line is ``paperkit/duckdb time ratio: X, memory ratio: Y``
    (paperkit's warm run over DuckDB's; below 1 means paperkit is faster / smaller)."""
    pk, dd, pd_ = results["peer_paperkit"], results["peer_duckdb"], results["peer_pandas"]
    cold = results.get("peer_paperkit_cold")
    lines = [f"paperkit/pandas time ratio: {pk['wall_s'] / pd_['wall_s']:.2f}, "
             f"memory ratio: {pk['peak_rss_mb'] / pd_['peak_rss_mb']:.2f}"]
    if cold:
        lines.append(f"paperkit (cold parquet cache)/duckdb time ratio: {cold['wall_s'] / dd['wall_s']:.2f}, "
                     f"memory ratio: {cold['peak_rss_mb'] / dd['peak_rss_mb']:.2f}")
    lines.append(f"paperkit/duckdb time ratio: {pk['wall_s'] / dd['wall_s']:.2f}, "
                 f"memory ratio: {pk['peak_rss_mb'] / dd['peak_rss_mb']:.2f}")
    return lines

# ---------------------------------------------------------------------------------------------
# The request-table group (issue 14 §2): the per-request path at release-like sizes.
REQUESTS = "requests"
DEFAULT_REQUEST_SIZES = "10M,50M,150M"
REQUEST_PARTS = ("cold_start", "per_request")
RSS_LIMIT_MB = 8 * 1024
_SIZE_RE = re.compile(r"([0-9]+)([KM]?)")


def row_counts(text: str) -> tuple[int, ...]:
    """``--request-sizes``: comma-separated positive integers, each with an optional K (x1000) or
    M (x1,000,000) suffix (``10M,50M``, ``20000``); anything else is refused."""
    out = []
    for part in text.split(","):
        m = _SIZE_RE.fullmatch(part.strip())
        n = int(m.group(1)) * {"": 1, "K": 10**3, "M": 10**6}[m.group(2)] if m else 0
        if n < 1:
            raise argparse.ArgumentTypeError(
                f"expected positive row counts such as 10M,50M,150M or 20000 (K and M suffixes), "
                f"got {text!r}")
        out.append(n)
    return tuple(out)


def _tree_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) if Path(path).exists() else 0


def step_requests_generate(ctx: BenchContext) -> dict:
    """Cold starts + ``ctx.request_rows`` request rows (part files) at ``ctx.scale``."""
    path = generate.generate_trace(ctx.data_dir, ctx.scale, ctx.seed, parts=ctx.parts,
                                   request_rows=ctx.request_rows, overwrite=True,
                                   progress=sys.stderr.isatty(), request_format=ctx.request_format)
    man = json.loads((path / generate.MANIFEST).read_text())
    return {"rows": sum(r["request_rows"] for r in man["regions"].values()),
            "parts": len(load.request_files(path)), "format": ctx.request_format,
            "request_csv_bytes": _tree_bytes(path / "per_request"), "csv_bytes": _tree_bytes(path)}


def step_requests_convert(ctx: BenchContext) -> dict:
    """Empty parquet cache: the cold starts, then the request parts (streamed), timed apart."""
    shutil.rmtree(load.cache_root(ctx.data_dir), ignore_errors=True)
    t0 = time.perf_counter()
    load.scan_cold_starts(ctx.data_dir)
    t1 = time.perf_counter()
    load.scan_requests(ctx.data_dir)
    t2 = time.perf_counter()
    return {"cold_start_convert_s": round(t1 - t0, 2), "requests_convert_s": round(t2 - t1, 2),
            "parquet_bytes": _tree_bytes(load.cache_root(ctx.data_dir))}


def step_requests_figures(ctx: BenchContext) -> dict:
    """Fig. 17 from the parquet cache: utility ratios, coverage, pod lifetimes and their summary."""
    t0 = time.perf_counter()
    cs, req = load.scan_cold_starts(ctx.data_dir), load.scan_requests(ctx.data_dir)
    day = int(json.loads((Path(ctx.data_dir) / generate.MANIFEST).read_text())["n_days"]) - 1
    t1 = time.perf_counter()
    r = utility.utility_ratios(cs, req, day=day)
    utility.coverage(cs, r, day=day)
    life = utility.pod_lifetimes(cs, req, day=day)
    utility.lifetime_summary(life)
    t2 = time.perf_counter()
    return {"open_s": round(t1 - t0, 2), "compute_s": round(t2 - t1, 2), "pods": r.height,
            "ratio_median": round(float(r["ratio"].median()), 4),
            "requests": int(life["n_requests"].sum())}


REQUEST_STEPS = [("requests_generate", step_requests_generate),
                 ("requests_convert", step_requests_convert),
                 ("requests_figures", step_requests_figures)]


def _one_size(folder: Path, scale: float, seed: int, rows: int, fmt: str = "zip") -> dict:
    """The three request steps on a fresh trace of ``rows`` request rows; removes the trace and its
    parquet cache afterwards, also on failure (only a folder this generator wrote)."""
    if folder.exists() and not generate.is_generated(folder):
        raise ValueError(f"{folder} exists and was not written by the generator; move it or pass "
                         "another --data-dir")
    ctx = BenchContext(str(folder), scale, seed, REQUEST_PARTS, rows, fmt)
    res: dict = {"rows": rows}
    try:
        for name, _ in REQUEST_STEPS:
            res[name] = r = _run_step_child(name, ctx)
            print(f"  {rows:>12,} rows  {name:18s} {r['wall_s']:8.1f} s   peak RSS "
                  f"{r['peak_rss_mb']:8.0f} MB", flush=True)
            if name == "requests_convert":
                res["disk_bytes"] = _tree_bytes(folder) + _tree_bytes(load.cache_root(folder))
    finally:
        shutil.rmtree(load.cache_root(folder), ignore_errors=True)
        if folder.exists() and generate.is_generated(folder):
            shutil.rmtree(folder, ignore_errors=True)
    return res


def request_lines(sizes: list[dict]) -> list[str]:
    """The table of the request group, then the linearity and memory checks."""
    head = (f"{'size':>6} {'rows':>12} {'gen s':>8} {'conv s':>8} {'fig s':>8} {'gen MB':>8} "
            f"{'conv MB':>8} {'fig MB':>8} {'disk GB':>8} {'gen s/M':>8} {'conv s/M':>8} {'fig s/M':>8}")
    lines = [head]
    for s in sizes:
        g, c, f = (s[n] for n, _ in REQUEST_STEPS)
        m = s["rows"] / 1e6
        lines.append(
            f"{_size_tag(s['rows']):>6} {s['rows']:>12,} {g['wall_s']:8.1f} {c['requests_convert_s']:8.1f} "
            f"{f['wall_s']:8.1f} {g['peak_rss_mb']:8.0f} {c['peak_rss_mb']:8.0f} {f['peak_rss_mb']:8.0f} "
            f"{s['disk_bytes'] / 1e9:8.2f} {g['wall_s'] / m:8.2f} {c['requests_convert_s'] / m:8.2f} "
            f"{f['wall_s'] / m:8.2f}")
    lines.append("conv s: the request parts -> parquet only (the cold starts' conversion is "
                 "requests_convert.cold_start_convert_s in the JSON); disk: trace + parquet cache "
                 "after the conversion")
    if len(sizes) >= 2:
        a, b = sizes[0], sizes[-1]
        growth = (b["requests_figures"]["wall_s"] / a["requests_figures"]["wall_s"]) / (b["rows"] / a["rows"])
        lines.append(f"figures time grows ~linearly: {'yes' if growth <= 1.5 else 'NO'} "
                     f"(time ratio / row ratio, largest vs smallest size: {growth:.2f})")
    peak = max(s[n]["peak_rss_mb"] for s in sizes for n, _ in REQUEST_STEPS)
    lines.append(f"peak RSS < 8 GB: {'yes' if peak < RSS_LIMIT_MB else 'NO'} (max {peak:.0f} MB)")
    return lines


def _size_tag(n: int) -> str:
    return f"{n // 10**6}M" if n % 10**6 == 0 else f"{n // 1000}K" if n % 1000 == 0 else str(n)


def run_requests(base: str, scale: float, seed: int, sizes: tuple[int, ...],
                 fmt: str = "zip") -> dict:
    """The request group at each size (``<base>-<rows>`` folders, removed after each size); prints
    the table and writes ``build/bench/coldstarts-requests.json``."""
    load_before = os.getloadavg()
    done = [_one_size(Path(f"{base}-{rows}"), scale, seed, rows, fmt) for rows in sizes]
    report = {"paper": "coldstarts", "tier": "measured", "scale": scale, "seed": seed,
              "request_format": fmt,
              "machine": _machine(), "loadavg_before": [round(x, 2) for x in load_before],
              "loadavg_after": [round(x, 2) for x in os.getloadavg()], "sizes": done}
    out = paths.build_dir() / "bench" / "coldstarts-requests.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    print("\n".join(request_lines(done)))
    print(f"wrote {out}")
    return report


def _peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kb / 1024.0 if sys.platform != "darwin" else kb / 2**20


def _run_step_here(name: str, ctx: BenchContext) -> dict:
    fn = dict(STEPS + REQUEST_STEPS)[name]
    t0 = time.perf_counter()
    extra = fn(ctx) or {}
    return {"wall_s": round(time.perf_counter() - t0, 2), "peak_rss_mb": round(_peak_rss_mb(), 1),
            **extra}


def _run_step_child(name: str, ctx: BenchContext) -> dict:
    cmd = [sys.executable, "-m", "paperkit.coldstarts.bench", "--step", name,
           "--data-dir", ctx.data_dir, "--scale", repr(ctx.scale), "--seed", str(ctx.seed),
           "--parts", ",".join(ctx.parts)]
    if ctx.request_rows is not None:
        cmd += ["--request-rows", str(ctx.request_rows), "--request-format", ctx.request_format]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise SystemExit(f"bench step {name} failed (exit {p.returncode})")
    return json.loads(p.stdout.strip().splitlines()[-1])


def _selected_steps(spec: str) -> list[str]:
    """Step names from ``--steps``, a comma list of step names and groups: ``all`` (every step,
    then the request group), ``peer`` (generate + the peer steps), ``requests`` (the request-table
    group, :func:`run_requests`, kept as the one name ``requests``)."""
    names = [n for n, _ in STEPS]
    groups = {"all": names + [REQUESTS], "peer": ["generate"] + [n for n, _ in PEER_STEPS],
              REQUESTS: [REQUESTS], "simulate": [n for n, _ in SIM_STEPS]}
    chosen: list[str] = []
    for n in (n.strip() for n in spec.split(",")):
        if not n:
            continue
        if n not in names and n not in groups:
            raise ValueError(f"--steps: unknown step(s) {[n]}; choose from {names}, 'all', 'peer' "
                             f"or '{REQUESTS}'")
        chosen += [m for m in groups.get(n, [n]) if m not in chosen]
    if not chosen:
        raise ValueError("--steps: no step given")
    return chosen


@exit_on_bad_input
def main(argv: list[str] | None = None) -> int:

    ap = argparse.ArgumentParser(prog="python -m paperkit.coldstarts.bench",
                                 description="Time the cold-start data layer at a given scale.")
    ap.add_argument("--scale", type=real(0, 10, lo_open=True), default=1.0,
                    help="1.0 = 11.9 M cold starts (default)")
    ap.add_argument("--seed", type=non_negative_int, default=0)
    ap.add_argument("--data-dir", default="", help="where the trace is written (default: cache)")
    ap.add_argument("--parts", default="cold_start,quantiles,per_request,runtime_triggerType")
    ap.add_argument("--keep", action="store_true", help="keep the generated trace")
    ap.add_argument("--steps", default="peer,requests",
                    help="comma-separated steps or groups to run in order (default peer,requests); "
                         "'peer' = generate + the peer steps, 'requests' = the request-table group "
                         "at --request-sizes, 'all' = every step and group")
    ap.add_argument("--request-sizes", type=row_counts, default=DEFAULT_REQUEST_SIZES,
                    help="request-table rows of the 'requests' group, comma-separated, with an "
                         "optional K or M suffix (default 10M,50M,150M)")
    ap.add_argument("--step", choices=[n for n, _ in STEPS + REQUEST_STEPS], help=argparse.SUPPRESS)
    ap.add_argument("--request-rows", type=positive_int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--request-format", choices=("zip", "csv"), default="zip",
                    help="request parts of the 'requests' group: zip (default; packed like the "
                         "release's zips and read without unzipping) or csv (unzipped)")
    args = ap.parse_args(argv)
    data_dir = args.data_dir or str(paths.cache_dir() / "coldstarts" /
                                    f"bench-scale{args.scale:g}-seed{args.seed}")
    ctx = BenchContext(data_dir, args.scale, args.seed,
                       tuple(p for p in args.parts.split(",") if p), args.request_rows,
                       args.request_format)
    if args.step:
        print(json.dumps(_run_step_here(args.step, ctx)))
        return 0
    selected = _selected_steps(args.steps)
    if "peer_duckdb" in selected and importlib.util.find_spec("duckdb") is None:
        raise ValueError("the peer steps need DuckDB, the benchmark's optional dependency: "
                         "`.venv/bin/pip install -e .[bench]` (or run --steps requests)")
    results = {}
    for name in selected:
        if name == REQUESTS:
            continue
        results[name] = _run_step_child(name, ctx)
        r = results[name]
        print(f"{name:16s} {r['wall_s']:8.1f} s   peak RSS {r['peak_rss_mb']:8.0f} MB", flush=True)
    if results:
        report = {"paper": "coldstarts", "tier": "measured", "context": asdict(ctx),
                  "machine": _machine(), "steps": results}
        out = paths.build_dir() / "bench" / "coldstarts.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
        print(f"wrote {out}")
        if all(n in results for n in ("peer_paperkit", "peer_duckdb", "peer_pandas")):
            print("\n".join(peer_lines(results)))
        if not args.keep and not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    if REQUESTS in selected:
        base = (args.data_dir or str(paths.cache_dir() / "coldstarts" /
                                     f"bench-requests-scale{args.scale:g}-seed{args.seed}"))
        run_requests(base, args.scale, args.seed, args.request_sizes, args.request_format)
    return 0


def _machine() -> dict:
    return {"platform": platform.platform(), "cpus": os.cpu_count(),
            "python": platform.python_version()}


if __name__ == "__main__":
    sys.exit(main())
