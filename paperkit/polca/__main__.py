"""``python -m paperkit.polca <subcommand>``: prints one JSON object (sorted keys, rounded).

Subcommands:
  fit        phase-model fit quality on the public A100 data
  capmodel   fitted capping model and its anchor table
  sweep      oversubscription sweep (--days, --policy) and the max level meeting the criteria
  row-stats  the row as the controller sees it at one level (--oversub): peak and 40 s rise
  safe-level the safe level of a policy (--policy) or of your controller (--controller PATH.py:Class)
             by bisection over the level (1 % lattice), over seeds in parallel: median and range
  calibrate  refit the envelope calibration (writes paperkit/polca/calibration.json; slow)
"""

from __future__ import annotations

import argparse
import sys
import time

from paperkit.cli import exit_on_bad_input, fraction, integer, json_line, real
from paperkit.polca import capping, control, data, phase, safelevel, sim
from paperkit.polca import row as R
from paperkit.polca import sweep


def _r(x):
    if isinstance(x, float):
        return round(x, 5)
    if isinstance(x, dict):
        return {k: _r(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_r(v) for v in x]
    return x


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="paperkit.polca", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("fit", help="phase-model fit quality (public A100 data)")
    sub.add_parser("capmodel", help="capping model parameters and anchors")
    sub.add_parser("calibrate", help="refit the envelope calibration (slow: about 2 min)")
    sp = sub.add_parser("sweep", help="oversubscription sweep")
    sp.add_argument("--days", type=real(1 / 24, 42), default=2.0, help="horizon in days around the peak (1/24..42)")
    sp.add_argument("--lp-share", type=fraction, default=0.5, help="fraction of LP servers (0..1)")
    rs = sub.add_parser("row-stats", help="the row the controller sees: peak and 40 s rise")
    rs.add_argument("--oversub", type=real(0, 1), default=0.0,
                    help="level: servers per provisioned watt over the 40-server row, minus 1 (0..1)")
    rs.add_argument("--days", type=real(1 / 24, 42), default=42.0, help="horizon in days (1/24..42)")
    rs.add_argument("--seed", type=integer(0, 2 ** 31), default=0, help="per-server random streams")
    sl = sub.add_parser("safe-level", help="safe level by bisection over the level, over seeds")
    who = sl.add_mutually_exclusive_group()
    who.add_argument("--policy", choices=sorted(safelevel.POLICIES), default="polca")
    who.add_argument("--controller", metavar="PATH.py:Class", help="your controller (see paperkit.polca.control)")
    sl.add_argument("--days", type=real(1 / 24, 42), default=42.0, help="horizon in days (1/24..42)")
    sl.add_argument("--seeds", type=integer(1, 50), default=5, help="number of seeds (0..n-1)")
    sl.add_argument("--max-added", type=integer(1, 40), default=20, help="most servers added to the 40")
    sl.add_argument("--resolution", type=real(0.001, 0.05), default=0.01, help="lattice step of the level (default 0.01)")
    sl.add_argument("--jobs", type=integer(1, 64), default=2, help="worker processes, one seed each (default 2)")
    for p in (sp, rs, sl):
        p.add_argument("--json", action="store_true", help="print JSON (the only output format)")
    return ap


def _row_stats(a) -> dict:
    k = R.servers_at(40, a.oversub) - 40
    rw = R.build(R.RowConfig(days=a.days, oversub=(0.0, k / 40) if k else (0.0,), lp_shares=(0.5,), seed=a.seed))
    agg, p_prov = rw.at(a.oversub)
    return R.seen_stats(agg.uncapped_row_w() / p_prov)


def _progress(n: int):
    t0, done = time.perf_counter(), []

    def say(seed: int, dt: float) -> None:
        done.append(seed)
        print(f"safe-level: seed {seed} done in {dt:.0f} s ({len(done)}/{n}, {time.perf_counter() - t0:.0f} s so far)",
              file=sys.stderr, flush=True)
    return say


def _safe_level(a) -> dict:
    if a.controller is not None:
        ctl = control.load(a.controller)
        pol = sim.Policy(kind=str(ctl.name), controller=ctl)
    else:
        pol = sim.Policy(kind=safelevel.POLICIES[a.policy])
    s = safelevel.Search(days=a.days, max_added=a.max_added, seeds=tuple(range(a.seeds)), resolution=a.resolution)
    return safelevel.safe_levels({"p": pol}, s, jobs=a.jobs, on_seed=_progress(a.seeds))["p"]


@exit_on_bad_input
def main(argv: list[str] | None = None) -> None:
    a = _parser().parse_args(argv)
    if a.cmd == "fit":
        perf = data.perf_model()
        out = {"fit_quality": phase.fit_quality(phase.fit_all(perf), perf).to_dicts()}
    elif a.cmd == "capmodel":
        m = capping.fit_cap_model()
        out = {"model": m.__dict__, "anchors": capping.anchor_table(m).to_dicts()}
    elif a.cmd == "calibrate":
        out = R.write_calibration()
    elif a.cmd == "row-stats":
        out = _row_stats(a)
    elif a.cmd == "safe-level":
        out = _safe_level(a)
    else:
        rw = R.build(R.RowConfig(days=a.days, lp_share=a.lp_share))
        df = sweep.oversub_sweep(rw)
        out = {"max_oversub": {p: sweep.max_oversub(df, p) for p in sorted(set(df["policy"]))},
               "tier": "modelled on synthetic trace",
               "runs": df.select("policy", "oversub", "brake_events", "hp_p50_impact", "lp_p50_impact").to_dicts()}
    print(json_line(_r(out)))  # NaN (e.g. LP impact with --lp-share 0) -> null: valid JSON


if __name__ == "__main__":
    main()
