"""Benchmark of the cold-start data layer: ``python -m paperkit.coldstarts.bench [--scale 1.0]``.

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

``--steps peer`` runs only the trace generation and the peer steps.

To time more work (e.g. the figure-data functions), append ``(name, function)`` to :data:`STEPS`;
a step function takes the :class:`BenchContext` and returns an optional dict of extra numbers.
Timings are of this machine (tier ``measured``); say which machine when quoting them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from paperkit import paths
from paperkit.cli import exit_on_bad_input, non_negative_int, real
from paperkit.coldstarts import generate, load, summarize
from paperkit.coldstarts.analysis import figure_data, pandas_baseline, peer


@dataclass(frozen=True)
class BenchContext:
    """What a step needs: the trace folder and the generator arguments."""

    data_dir: str
    scale: float
    seed: int
    parts: tuple[str, ...]


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

def _peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kb / 1024.0 if sys.platform != "darwin" else kb / 2**20


def _run_step_here(name: str, ctx: BenchContext) -> dict:
    fn = dict(STEPS)[name]
    t0 = time.perf_counter()
    extra = fn(ctx) or {}
    return {"wall_s": round(time.perf_counter() - t0, 2), "peak_rss_mb": round(_peak_rss_mb(), 1),
            **extra}


def _run_step_child(name: str, ctx: BenchContext) -> dict:
    cmd = [sys.executable, "-m", "paperkit.coldstarts.bench", "--step", name,
           "--data-dir", ctx.data_dir, "--scale", repr(ctx.scale), "--seed", str(ctx.seed),
           "--parts", ",".join(ctx.parts)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise SystemExit(f"bench step {name} failed (exit {p.returncode})")
    return json.loads(p.stdout.strip().splitlines()[-1])


def _selected_steps(spec: str) -> list[str]:
    """Step names from ``--steps``: all, peer (generate + the peer steps) or a comma list."""
    names = [n for n, _ in STEPS]
    if spec == "all":
        return names
    if spec == "peer":
        return ["generate"] + [n for n, _ in PEER_STEPS]
    chosen = [n for n in spec.split(",") if n]
    bad = [n for n in chosen if n not in names]
    if bad:
        raise ValueError(f"--steps: unknown step(s) {bad}; choose from {names}, 'all' or 'peer'")
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
    ap.add_argument("--steps", default="all",
                    help="comma-separated steps to run in order (default all); 'peer' = generate + the peer steps")
    ap.add_argument("--step", choices=[n for n, _ in STEPS], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    data_dir = args.data_dir or str(paths.cache_dir() / "coldstarts" /
                                    f"bench-scale{args.scale:g}-seed{args.seed}")
    ctx = BenchContext(data_dir, args.scale, args.seed,
                       tuple(p for p in args.parts.split(",") if p))
    if args.step:
        print(json.dumps(_run_step_here(args.step, ctx)))
        return 0
    results = {}
    for name in _selected_steps(args.steps):
        results[name] = _run_step_child(name, ctx)
        r = results[name]
        print(f"{name:16s} {r['wall_s']:8.1f} s   peak RSS {r['peak_rss_mb']:8.0f} MB", flush=True)
    report = {"paper": "coldstarts", "tier": "measured", "context": asdict(ctx),
              "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                          "python": platform.python_version()},
              "steps": results}
    out = paths.build_dir() / "bench" / "coldstarts.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    print(f"wrote {out}")
    if all(n in results for n in ("peer_paperkit", "peer_duckdb", "peer_pandas")):
        print("\n".join(peer_lines(results)))
    if not args.keep and not args.data_dir:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
