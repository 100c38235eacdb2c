"""Simulator speed benchmark: six weeks at 1 s for 52 servers (POLCA, +30 %).

``python -m paperkit.polca.bench [--days 42]`` prints a summary and writes
``build/bench/polca.json``. Reports whether a GPU was visible (the measurement campaign is
separate: ``make polca-campaign``); no GPU number is produced here.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np

from paperkit import paths
from paperkit.cli import exit_on_bad_input, integer, real
from paperkit.polca import row as R
from paperkit.polca import rowtrace, sim


def gpu_available() -> bool:
    """True if torch sees a CUDA device (False on the project's CPU machines)."""
    try:
        import torch

        return bool(torch.cuda.is_available())
    except Exception:  # torch missing or broken
        return False


@exit_on_bad_input
def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(prog="paperkit.polca.bench", description=__doc__)
    ap.add_argument("--days", type=real(1 / 24, 42), default=42.0, help="horizon in days (default six weeks)")
    ap.add_argument("--servers", type=integer(40), default=52, help="servers in the row (default 52 = 40 + 30 %%)")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    R.models("peak")
    R.full_trace(0)
    t_setup = time.perf_counter() - t0
    x = a.servers / 40 - 1
    cfg = R.RowConfig(days=a.days, oversub=(0.0, x) if x > 0 else (0.0,), samples_per_hour=100)
    t1, c1 = time.perf_counter(), time.process_time()
    row = R.build(cfg)
    t_gen, c_gen = time.perf_counter() - t1, time.process_time() - c1
    agg = row.classes(cfg.oversub[-1])
    t2, c2 = time.perf_counter(), time.process_time()
    res = sim.run(agg, row.p_prov_w, sim.Policy(), row.cm, row.pm)
    t_ctl, c_ctl = time.perf_counter() - t2, time.process_time() - c2
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    st = rowtrace.trace_stats(agg.uncapped_row_w() / row.p_prov_w)
    others = {}
    for name, pol in (("brake only", sim.Policy(kind="brake")), ("reactive power cap", sim.Policy(kind="powercap")),
                      ("uniform freq cap", sim.Policy(kind="uniform")), ("POLCA meter 10 s", sim.Policy(meter_s=10))):
        m = sim.run(agg, row.p_prov_w, pol, row.cm, row.pm).metrics
        others[name] = {"brake_events": m["brake_events"], "hp_p50_impact": round(m["hp_p50_impact"], 5),
                        "lp_p50_impact": round(m["lp_p50_impact"], 5)}
    out = {
        "days": a.days,
        "servers": a.servers, "server_seconds": int(a.servers * row.agg.seconds),
        "setup_s": round(t_setup, 2), "generate_s": round(t_gen, 2), "control_and_metrics_s": round(t_ctl, 2),
        "simulate_total_s": round(t_gen + t_ctl, 2), "target_s": 30.0,
        "simulate_cpu_s": round(c_gen + c_ctl, 2), "load_avg_1min_at_end": round(load, 2),
        "brake_events": res.metrics["brake_events"], "hp_p50_impact": round(res.metrics["hp_p50_impact"], 5),
        "uncapped_peak": round(st["peak"], 4), "uncapped_spike40": round(st["spike40"], 4),
        "other_policies": others,
        "gpu_available": gpu_available(), "gpu_measured": "nothing (GPU campaign not yet run)",
        "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPUs",
        "note": "generate_s covers all 52 servers (baseline + added) at 1 s; numpy, float32",
    }
    d = paths.build_dir() / "bench"
    d.mkdir(parents=True, exist_ok=True)
    (d / "polca.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"POLCA row simulator: {a.days:g} days x {a.servers} servers at 1 s "
          f"({out['server_seconds'] / 1e6:.0f} M server-seconds)")
    print(f"  setup {t_setup:.1f} s, generate {t_gen:.1f} s, control+metrics {t_ctl:.1f} s "
          f"-> simulate {t_gen + t_ctl:.1f} s wall, {c_gen + c_ctl:.1f} s CPU (target < 30 s; "
          f"load average {load:.1f} on {os.cpu_count()} CPUs)")
    print(f"  POLCA at +{x:.0%}: {res.metrics['brake_events']:.0f} brake events, "
          f"HP P50 impact {res.metrics['hp_p50_impact']:.4%}")
    for name, m in sorted(others.items()):
        print(f"  {name}: {m['brake_events']:.0f} brake events, HP P50 impact {m['hp_p50_impact']:.4%}")
    print(f"  GPU available: {out['gpu_available']}; measured: {out['gpu_measured']}")
    return out


if __name__ == "__main__":
    main()
