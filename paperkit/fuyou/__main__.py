"""Command line: ``python -m paperkit.fuyou predict ...`` prints one JSON object.

Examples::

    python -m paperkit.fuyou predict --system fuyou --hardware fuyou-4090 --ssds 12 \
        --params 12.85e9 --layers 40 --hidden 5120 --heads 40 --batch 32
    python -m paperkit.fuyou profile-cpu --out data/measured   # measure this CPU machine
"""
from __future__ import annotations

import argparse
import json
import sys

from paperkit.cli import (exit_on_bad_input, fraction, json_line, non_negative_int, output_dir,
                          output_name, positive_float, positive_int)

from .hardware import get_profile, load_profiles
from .measure import write_cpu_profile
from .model import SYSTEMS, Schedule, predict, require_ssds
from .shapes import ModelShape


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m paperkit.fuyou",
                                 description="Fuyou performance model and measurements")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("predict", help="predict one training iteration (JSON on stdout)")
    p.add_argument("--system", required=True, choices=SYSTEMS)
    p.add_argument("--hardware", required=True,
                   help=f"hardware profile, one of {sorted(load_profiles())}")
    p.add_argument("--ssds", type=non_negative_int, default=None,
                   help="number of SSDs (overrides the profile; 0 only for zero-offload)")
    p.add_argument("--params", type=positive_float, required=True, help="parameters, e.g. 13e9")
    p.add_argument("--layers", type=positive_int, required=True)
    p.add_argument("--hidden", type=positive_int, required=True)
    p.add_argument("--heads", type=positive_int, required=True)
    p.add_argument("--batch", type=positive_int, required=True)
    p.add_argument("--seq", type=positive_int, default=1024)
    p.add_argument("--cpu-mem-gb", type=positive_float, default=None,
                   help="CPU memory in GB (overrides the profile)")
    p.add_argument("--swap-coeff", type=fraction, default=None,
                   help="Fuyou: fraction of swappable activations swapped (default: automatic)")
    for sw in ("overlap-opt", "rearrange", "pipelined-swap"):
        p.add_argument(f"--no-{sw}", action="store_true", help=f"Fuyou ablation: disable {sw}")
    c = sub.add_parser("profile-cpu", help="measure this machine's disk and CPU Adam")
    c.add_argument("--out", type=output_dir("--out"), default=None,
                   help="output directory (default data/measured/fuyou)")
    c.add_argument("--name", type=output_name("--name"), default="cpu",
                   help="profile name (file <name>_profile.json)")
    c.add_argument("--mb", type=positive_int, default=512, help="disk test size in MiB")
    return ap


@exit_on_bad_input
def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    a = ap.parse_args(argv)
    if a.cmd == "predict":
        try:
            hw = get_profile(a.hardware)
        except ValueError as e:
            ap.error(f"--hardware: {e}")
        if a.ssds is not None:
            hw = hw.with_(n_ssd=a.ssds)
        try:
            require_ssds(hw, a.system)
        except ValueError as e:
            ap.error(f"{'--hardware' if a.ssds is None else '--ssds'}: {e}")
        try:
            shape = ModelShape(params=a.params, layers=a.layers, hidden=a.hidden,
                               heads=a.heads, batch=a.batch, seq=a.seq)
        except ValueError as e:
            ap.error(str(e))
        sw = {}
        if a.system == "fuyou":
            sw = dict(overlap_opt=not a.no_overlap_opt, rearrange=not a.no_rearrange,
                      pipelined_swap=not a.no_pipelined_swap, swap_coeff=a.swap_coeff)
        pred = predict(shape, hw, Schedule.named(a.system, **sw), cpu_mem_gb=a.cpu_mem_gb)
        print(json_line(pred.to_dict()))
        return 0
    path = write_cpu_profile(out_dir=a.out, name=a.name, mb=a.mb)
    print(json.dumps({"profile": str(path)}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
