"""Benchmark of the whole evaluation: four policies x bisection over the server count x five
seeds x six weeks at 1 s (the row of 40 servers, up to 60).

``python -m paperkit.polca.bench [--days 42] [--seeds 5]`` times the row generation (one per
seed, holding every server count) and the bisection runs of every policy, prints the time, the
1-minute load average beside it, and the safe levels; writes ``build/bench/polca.json``. The
target is 90 s on the project's 2-core machine. No GPU is used.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

from paperkit import atomic, paths
from paperkit.cli import exit_on_bad_input, integer, real
from paperkit.polca import row as R
from paperkit.polca import safelevel, sim

TARGET_S = 90.0


def time_evaluation(s: safelevel.Search) -> dict:
    """Generation and bisection times (set-up excluded: fits, calibrated six-week envelope)."""
    R.models("peak")
    R.full_trace(0)
    pols = {name: sim.Policy(kind=kind) for name, kind in safelevel.POLICIES.items()}
    gen = runs = 0.0
    per: dict[str, list[int]] = {name: [] for name in pols}
    c0 = time.process_time()
    for seed in s.seeds:
        t0 = time.perf_counter()
        rw = safelevel.level_row(s, seed)
        t1 = time.perf_counter()
        for name, k in safelevel.seed_levels(rw, pols, s).items():
            per[name].append(k)
        gen, runs = gen + t1 - t0, runs + time.perf_counter() - t1
        del rw
    return {"generate_s": gen, "bisection_s": runs, "cpu_s": time.process_time() - c0,
            "safe": {name: safelevel.summary(ks, s) for name, ks in per.items()}}


@exit_on_bad_input
def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(prog="paperkit.polca.bench", description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=real(1 / 24, 42), default=42.0, help="horizon in days (default six weeks)")
    ap.add_argument("--seeds", type=integer(1, 50), default=5, help="number of seeds")
    a = ap.parse_args(argv)
    s = safelevel.Search(days=a.days, seeds=tuple(range(a.seeds)))
    now = time_evaluation(s)
    load = os.getloadavg()[0]
    total = now["generate_s"] + now["bisection_s"]
    out = {"days": a.days, "seeds": a.seeds, "policies": len(safelevel.POLICIES),
           "generate_s": round(now["generate_s"], 2), "bisection_s": round(now["bisection_s"], 2),
           "total_s": round(total, 2), "cpu_s": round(now["cpu_s"], 2), "target_s": TARGET_S, "load_avg_1min_at_end": round(load, 2),
           "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPUs",
           "safe": {k: {"safe_oversub": v["safe_oversub"], "range": v["range"]} for k, v in now["safe"].items()}}
    atomic.write_text(paths.build_dir() / "bench" / "polca.json", json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"POLCA evaluation: {out['policies']} policies x bisection x {a.seeds} seeds x {a.days:g} days at 1 s")
    print(f"  generate {out['generate_s']:.1f} s + bisection {out['bisection_s']:.1f} s = {total:.1f} s "
          f"(target {TARGET_S:.0f} s; this process's CPU time {now['cpu_s']:.1f} s; "
          f"load average {load:.1f} on {os.cpu_count()} CPUs)")
    for k, v in sorted(out["safe"].items()):
        print(f"  {k:>10}: safe +{v['safe_oversub']:.1%} (seeds: {v['range'][0]:.1%} .. {v['range'][1]:.1%})")
    return out


if __name__ == "__main__":
    main()
