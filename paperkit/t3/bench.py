"""Benchmark: the whole figure sweep of the T3 notebooks (all configs, both sets, sensitivity), timed.

``python -m paperkit.t3.bench`` (``make bench-t3``) prints a short summary and writes ``build/bench/t3.json``.
Target: the 1163-point sweep, with the queue/bank DRAM model, in at most 10 s of CPU time
(``time.process_time``; the wall time and the load average are reported beside it, since on a shared machine
the wall time depends on the load). The DES memo is cleared first, so every point is simulated.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

from paperkit import paths
from paperkit.t3 import analysis, des
from paperkit.t3.hardware import load_profile
from paperkit.t3.model import simulate, sweep, timeline_frame
from paperkit.t3.params import default_params
from paperkit.t3.workloads import Workload, workload_set

TARGET_S = 10.0


def figure_sweep() -> dict[str, int]:
    """Everything the notebooks compute at their default parameters; returns counts of simulated points."""
    hw, p = load_profile(), default_params()
    n = 0
    main, large = sweep(workload_set("main"), hw=hw, p=p), sweep(workload_set("large"), hw=hw, p=p)
    n += main.height + large.height + sweep(workload_set("main"), hw=load_profile("h200-nvlink"), p=p).height
    for cus in (8, 16, 24, 32):  # Fig. 6 CU splits
        n += sweep(workload_set("main"), ("sw-split",), hw, p.replace(cu_split=cus)).height
    for r in (simulate(Workload("t-nlg", 8, "fc2"), c, hw, p, record=True) for c in ("sequential", "t3", "t3-mca")):
        timeline_frame(r)
        n += 1
    analysis.end_to_end(main, hw, p, ("t3", "t3-mca"))
    analysis.comm_share(["mega-gpt-2", "t-nlg", "gpt-3", "palm", "mt-nlg"], 8192, hw, p)
    configs = ("sequential", "ideal", "t3", "t3-mca")
    for gbps in (37.5, 75.0, 150.0, 300.0):
        n += sweep(workload_set("main"), configs, hw.replace(link_gbps=gbps), p).height
    for cus in (40, 80, 160):
        n += sweep(workload_set("main"), configs, hw.replace(n_cu=cus), p).height
    for tokens in (1024, 2048, 4096, 8192, 16384, 32768):
        n += sweep(workload_set("main", tokens), configs, hw, p).height
    return {"points": n}


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m paperkit.t3.bench",
                            description="Time the T3 notebooks' figure sweep (no options).").parse_args(argv)
    des.clear_memo()
    t0, c0 = time.perf_counter(), time.process_time()
    counts = figure_sweep()
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    out = {"paper": "t3", "figure_sweep_s": round(dt, 3), "figure_sweep_cpu_s": round(cpu, 3),
           "points": counts["points"], "target_s": TARGET_S, "ok": cpu <= TARGET_S,
           "load_1min": round(os.getloadavg()[0], 2)}
    d = paths.build_dir() / "bench"
    d.mkdir(parents=True, exist_ok=True)
    (d / "t3.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"t3 figure sweep: {counts['points']} sublayer points in {cpu:.2f} s CPU, {dt:.2f} s wall "
          f"(target <= {TARGET_S:.0f} s CPU; load {out['load_1min']}) "
          f"-> {'OK' if out['ok'] else 'TOO SLOW'}")
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
