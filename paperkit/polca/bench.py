"""Simulator speed benchmark: the paper's evaluation, 4 policies x oversubscription 0-50 % x
six weeks at 1 s for the 40-server row (60 servers at +50 %), now and with the first
implementation, in one run.

``python -m paperkit.polca.bench [--days 42] [--no-before]`` times (a) this package: row
generation (every level and LP share at once) plus the sweep of all policy runs, and (b) the
first implementation (commit ``BEFORE``, extracted from git into a temporary folder and run in a
subprocess on the same machine, straight after), and prints the ratio. Writes
``build/bench/polca.json``. No GPU is used.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from paperkit import atomic, paths
from paperkit.cli import exit_on_bad_input, real
from paperkit.polca import row as R
from paperkit.polca import sweep

BEFORE = "be763ec"
"""The commit holding the first implementation (per-second Poisson draws per server, windowed
controller)."""
SWEEP_SCRIPT = """
import sys, time, json
from paperkit.polca import row as R, sweep
days = float(sys.argv[1])
R.models("peak"); R.full_trace(0)
t0 = time.perf_counter()
rw = R.build(R.RowConfig(days=days))
t1 = time.perf_counter()
df = sweep.oversub_sweep(rw)
t2 = time.perf_counter()
print(json.dumps({"generate_s": t1 - t0, "sweep_s": t2 - t1, "runs": df.height,
                  "polca_max": sweep.max_oversub(df)}))
"""


def time_now(days: float) -> dict:
    """Time this package's generation and sweep (set-up excluded: fits, six-week trace)."""
    R.models("peak")
    R.full_trace(0)
    t0 = time.perf_counter()
    rw = R.build(R.RowConfig(days=days))
    t1 = time.perf_counter()
    df = sweep.oversub_sweep(rw)
    t2 = time.perf_counter()
    return {"generate_s": t1 - t0, "sweep_s": t2 - t1, "runs": df.height, "polca_max": sweep.max_oversub(df)}


def time_before(days: float) -> dict | None:
    """Time the first implementation from git (None, with a message, when git cannot give it)."""
    with tempfile.TemporaryDirectory(prefix="polca-before-") as tmp:
        arc = subprocess.run(["git", "-C", str(paths.ROOT), "archive", BEFORE, "paperkit", "data/public", "data/registry.toml"],
                             capture_output=True)
        if arc.returncode != 0:
            print(f"  (no 'before' timing: git archive {BEFORE} failed: {arc.stderr.decode().strip()})")
            return None
        subprocess.run(["tar", "-x", "-C", tmp], input=arc.stdout, check=True)
        env = dict(os.environ, PYTHONPATH=tmp, PAPERKIT_BUILD_DIR=str(Path(tmp) / "build"))
        env.pop("PAPERKIT_ROOT", None)
        out = subprocess.run([sys.executable, "-c", SWEEP_SCRIPT, str(days)], capture_output=True, text=True,
                             env=env, cwd=tmp)
        if out.returncode != 0:
            print(f"  (no 'before' timing: the first implementation failed: {out.stderr.strip()[-300:]})")
            return None
        return json.loads(out.stdout.strip().splitlines()[-1])


@exit_on_bad_input
def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(prog="paperkit.polca.bench", description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=real(1 / 24, 42), default=42.0, help="horizon in days (default six weeks)")
    ap.add_argument("--no-before", action="store_true", help="skip the first implementation's timing")
    a = ap.parse_args(argv)
    now = time_now(a.days)
    before = None if a.no_before else time_before(a.days)
    load = os.getloadavg()[0]
    total = now["generate_s"] + now["sweep_s"]
    out = {"days": a.days, "policies": len(sweep.BASELINES), "levels": len(R.RowConfig().oversub),
           "now": {k: round(v, 2) if isinstance(v, float) else v for k, v in now.items()},
           "now_total_s": round(total, 2), "target_s": 60.0,
           "before": None if before is None else {k: round(v, 2) if isinstance(v, float) else v
                                                   for k, v in before.items()},
           "load_avg_1min_at_end": round(load, 2),
           "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPUs"}
    if before:
        out["speedup"] = round((before["generate_s"] + before["sweep_s"]) / total, 2)
    atomic.write_text(paths.build_dir() / "bench" / "polca.json", json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"POLCA sweep: {out['policies']} policies x {out['levels']} levels x {a.days:g} days at 1 s")
    print(f"  now:    generate {now['generate_s']:.1f} s + sweep {now['sweep_s']:.1f} s = {total:.1f} s "
          f"(target < 60 s; load average {load:.1f} on {os.cpu_count()} CPUs)")
    if before:
        tb = before["generate_s"] + before["sweep_s"]
        print(f"  before ({BEFORE}): generate {before['generate_s']:.1f} s + sweep {before['sweep_s']:.1f} s "
              f"= {tb:.1f} s -> {out['speedup']:.1f}x faster now")
    return out


if __name__ == "__main__":
    main()
