"""Command line: ``python -m paperkit.t3 simulate|fit|profiles ...``; prints one JSON object (sorted keys)."""
from __future__ import annotations

import argparse
import sys

import polars as pl

from paperkit.cli import exit_on_bad_input, json_line, positive_float, positive_int
from paperkit.t3 import CONFIGS, model
from paperkit.t3.fit import fit_contention, write_fitted
from paperkit.t3.hardware import DEFAULT_PROFILE, load_profile, profile_names
from paperkit.t3.measured import profile_from_measurement
from paperkit.t3.params import default_params
from paperkit.t3.workloads import DEFAULT_TOKENS, MODELS, SUBLAYERS, Workload


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m paperkit.t3",
                                 description="T3 GEMM/reduce-scatter overlap model (tier: modelled).")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("simulate", help="one sublayer under one configuration")
    s.add_argument("--model", required=True, choices=sorted(MODELS))
    s.add_argument("--tp", required=True, type=positive_int, help="tensor-parallel degree (ring size, >= 2)")
    s.add_argument("--sublayer", required=True, choices=list(SUBLAYERS))
    s.add_argument("--config", required=True, choices=list(CONFIGS))
    s.add_argument("--tokens", type=positive_int, default=DEFAULT_TOKENS,
                   help=f"tokens per microbatch (default {DEFAULT_TOKENS})")
    s.add_argument("--hardware", default=DEFAULT_PROFILE, choices=profile_names(),
                   help=f"hardware profile (default {DEFAULT_PROFILE}, the paper's Table 1)")
    s.add_argument("--measured", default=None, metavar="PARQUET",
                   help="use a 'this GPU' profile built from a calibration file (data/measured/t3_<gpu>.parquet) "
                        "instead of --hardware; needs --llc-mb and --link-gbps")
    s.add_argument("--llc-mb", type=positive_float, default=None, help="LLC size for --measured (MB)")
    s.add_argument("--link-gbps", type=positive_float, default=None,
                   help="link bandwidth per direction for --measured")
    s.add_argument("--cu-split", type=positive_int, default=None,
                   help="CUs of the communication kernel for --config sw-split (default 16)")
    f = sub.add_parser("fit", help="refit the contention parameter (interleave_run) to the T3-MCA headline numbers C1, C2")
    f.add_argument("--write", action="store_true", help="write paperkit/t3/fitted.toml")
    sub.add_parser("profiles", help="list hardware profiles")
    return ap


@exit_on_bad_input
def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    if args.cmd == "simulate":
        try:
            w = Workload(args.model, args.tp, args.sublayer, args.tokens)
        except ValueError as exc:
            ap.error(f"--tp/--tokens: {exc}")
        p = default_params()
        if args.measured:
            if args.llc_mb is None or args.link_gbps is None:
                ap.error("--measured needs --llc-mb and --link-gbps (not measurable on one GPU)")
            try:
                hw = profile_from_measurement(args.measured, llc_mb=args.llc_mb, link_gbps=args.link_gbps)
            except (ValueError, OSError, pl.exceptions.PolarsError) as exc:
                ap.error(f"--measured {args.measured}: {str(exc).splitlines()[0]}; give the "
                         "parquet written by `python -m paperkit.t3.calibrate`")
        else:
            hw = load_profile(args.hardware)
        if args.cu_split is not None:
            if args.cu_split >= hw.n_cu:
                ap.error(f"--cu-split {args.cu_split} must be below the profile's {hw.n_cu} CUs")
            p = p.replace(cu_split=args.cu_split)
        out = model.simulate(w, args.config, hw, p).to_dict()
        out["hardware"] = hw.name
        out["tier"] = "measured+modelled" if args.measured else hw.tier
    elif args.cmd == "fit":
        out = fit_contention()
        if args.write:
            write_fitted(out)
    else:
        out = {"profiles": profile_names()}
    print(json_line(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
