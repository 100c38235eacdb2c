"""Benchmark of the whole evaluation: four policies x bisection over the level (1 % lattice)
x five seeds x six weeks at 1 s (the row of 40 servers, up to 60).

``python -m paperkit.polca.bench [--days 42] [--seeds 5] [--jobs 2]`` times the evaluation as
the CLI runs it (:func:`paperkit.polca.safelevel.safe_levels`: one generation per seed holding
every server count, the seeds in ``--jobs`` worker processes), prints the wall time, each
seed's generation and bisection times, the 1-minute load average, and the safe levels; writes
``build/bench/polca.json``. The target is 90 s of wall time on the project's 2-core machine
(set-up excluded: fits and the calibrated six-week envelope, shared by every seed). No GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

from paperkit import atomic, paths
from paperkit.cli import exit_on_bad_input, integer, real
from paperkit.polca import safelevel, sim

TARGET_S = 90.0


def _timed_seed(s: safelevel.Search, pols: dict[str, sim.Policy], seed: int) -> dict:
    t0 = time.perf_counter()
    rw = safelevel.level_row(s, seed)
    t1 = time.perf_counter()
    ks = safelevel.seed_levels(rw, pols, s)
    return {"levels": ks, "generate_s": t1 - t0, "bisection_s": time.perf_counter() - t1}


def time_evaluation(s: safelevel.Search, jobs: int) -> dict:
    """Wall time of the whole evaluation after :func:`safelevel.warm` (set-up excluded)."""
    pols = {name: sim.Policy(kind=kind) for name, kind in safelevel.POLICIES.items()}
    safelevel.warm(s)
    t0, c0 = time.perf_counter(), time.process_time()
    got, _ = safelevel.map_seeds(lambda seed: _timed_seed(s, pols, seed), s.seeds, jobs)
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "parent_cpu_s": time.process_time() - c0,
            "per_seed": {sd: {k: round(v, 2) for k, v in got[sd].items() if k != "levels"} for sd in s.seeds},
            "safe": {name: safelevel.summary([got[sd]["levels"][name] for sd in s.seeds], s) for name in pols}}


@exit_on_bad_input
def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(prog="paperkit.polca.bench", description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=real(1 / 24, 42), default=42.0, help="horizon in days (default six weeks)")
    ap.add_argument("--seeds", type=integer(1, 50), default=5, help="number of seeds")
    ap.add_argument("--jobs", type=integer(1, 64), default=2, help="worker processes (default 2, the machine's cores)")
    a = ap.parse_args(argv)
    s = safelevel.Search(days=a.days, seeds=tuple(range(a.seeds)))
    now = time_evaluation(s, a.jobs)
    load = os.getloadavg()[0]
    out = {"days": a.days, "seeds": a.seeds, "jobs": a.jobs, "policies": len(safelevel.POLICIES),
           "resolution": s.resolution, "total_s": round(now["wall_s"], 2), "per_seed": now["per_seed"],
           "target_s": TARGET_S, "load_avg_1min_at_end": round(load, 2),
           "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPUs",
           "safe": {k: {"safe_oversub": v["safe_oversub"], "range": v["range"]} for k, v in now["safe"].items()}}
    atomic.write_text(paths.build_dir() / "bench" / "polca.json", json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"POLCA evaluation: {out['policies']} policies x bisection ({s.resolution:.0%} lattice) x {a.seeds} seeds "
          f"x {a.days:g} days at 1 s, {a.jobs} worker process(es)")
    print(f"  wall {out['total_s']:.1f} s (target {TARGET_S:.0f} s; load average {load:.1f} on {os.cpu_count()} CPUs)")
    for sd, t in sorted(now["per_seed"].items()):
        print(f"  seed {sd}: generate {t['generate_s']:.1f} s + bisection {t['bisection_s']:.1f} s")
    for k, v in sorted(out["safe"].items()):
        print(f"  {k:>10}: safe +{v['safe_oversub']:.1%} (seeds: {v['range'][0]:.1%} .. {v['range'][1]:.1%})")
    return out


if __name__ == "__main__":
    main()
