"""``python -m paperkit.polca <subcommand>``: prints one JSON object (sorted keys, rounded).

Subcommands:
  fit        phase-model fit quality on the public A100 data
  capmodel   fitted capping model and its anchor table
  sweep      oversubscription sweep (--days, --policy) and the max level meeting the criteria
"""

from __future__ import annotations

import argparse

from paperkit.cli import exit_on_bad_input, fraction, json_line, real
from paperkit.polca import capping, data, phase
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


@exit_on_bad_input
def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="paperkit.polca", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("fit", help="phase-model fit quality (public A100 data)")
    sub.add_parser("capmodel", help="capping model parameters and anchors")
    sp = sub.add_parser("sweep", help="oversubscription sweep")
    sp.add_argument("--days", type=real(1 / 24, 42), default=2.0, help="horizon in days around the peak (1/24..42)")
    sp.add_argument("--lp-share", type=fraction, default=0.5, help="fraction of LP servers (0..1)")
    a = ap.parse_args(argv)
    if a.cmd == "fit":
        perf = data.perf_model()
        out = {"fit_quality": phase.fit_quality(phase.fit_all(perf), perf).to_dicts()}
    elif a.cmd == "capmodel":
        m = capping.fit_cap_model()
        out = {"model": m.__dict__, "anchors": capping.anchor_table(m).to_dicts()}
    else:
        rw = R.build(R.RowConfig(days=a.days, lp_share=a.lp_share))
        df = sweep.oversub_sweep(rw)
        out = {"max_oversub": {p: sweep.max_oversub(df, p) for p in sorted(set(df["policy"]))},
               "tier": "modelled on synthetic trace",
               "runs": df.select("policy", "oversub", "brake_events", "hp_p50_impact", "lp_p50_impact").to_dicts()}
    print(json_line(_r(out)))  # NaN (e.g. LP impact with --lp-share 0) -> null: valid JSON


if __name__ == "__main__":
    main()
