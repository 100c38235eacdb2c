"""Command line: ``python -m paperkit.coldstarts {summarize,fit-fingerprints,generate,simulate} ...``.

- ``fit-fingerprints DATA_DIR --out FILE.json``: refit the generator's request-side inputs from a
  release's ``requests`` series (:mod:`paperkit.coldstarts.refit`) and print what was written.
- ``summarize DATA_DIR [--drop-invalid] [--per-function OUT.csv]``: print one JSON object (sorted keys) with the per-region
  summary of a trace in the release layout (see :mod:`paperkit.coldstarts.summarize`). Invalid
  cold-start rows are an error naming file, line and fix; ``--drop-invalid`` drops them instead and
  says on stderr how many and why. Loader warnings (skipped files, dropped rows) go to stderr as
  ``warning: ...`` lines.
- ``generate OUT_DIR --scale S --seed N [--fingerprints FILE.json] [--request-rows N]``: write a
  synthetic trace (tier synthetic; ``--scale``: the share of the release's functions, each at its
  full rate; ``--fingerprints``: the request side refitted by ``fit-fingerprints``;
  ``--request-rows``: the per-request tables' total rows) and print
  ``{"out_dir": ..., "n_cold_starts": ...}``.
- ``simulate DATA_DIR --policy {fixed,hybrid-histogram,timer-prewarm} [--keep-alive-s S]
  [--policy-file PATH.py:Class] [--per-function OUT.csv] [--seed N]``: replay the trace's
  per-minute ``requests`` series on the platform simulator (:mod:`.replay`, :mod:`.platform`)
  under a keep-alive policy (:mod:`.policies`; ``--policy-file`` loads a user's class instead of
  ``--policy``) and print ``{"policy": ..., "regions": {"R1": {"requests": N, "cold_starts": N,
  "idle_pod_s": X}, ...}}``; ``--per-function`` also writes
  ``region,funcID,requests,cold_starts,idle_pod_s`` (atomically; a .csv path inside the working
  directory, without '..').
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from paperkit import atomic
from paperkit.cli import (UserError, choice_list, exit_on_bad_input, integer, json_line,
                          non_negative_int, positive_int, real)
from paperkit.coldstarts import N_DAYS, REGIONS, generate, policies, refit, replay, simio
from paperkit.coldstarts.summarize import per_function_table, summarize


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m paperkit.coldstarts",
                                description="Huawei 2025 cold-start trace: summarize, generate or simulate.")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("summarize", help="per-region JSON summary of a trace in the release layout")
    s.add_argument("data_dir", metavar="DATA_DIR", help="folder holding cold_start/R*/day_*.csv")
    s.add_argument("--drop-invalid", action="store_true",
                   help="drop invalid cold-start rows (bad costs, wrong day, short or duplicate "
                        "rows) and report how many per reason, instead of stopping with an error")
    s.add_argument("--per-function", metavar="OUT.csv", default=None,
                   help="also write one row per function (region, funcID, requests, cold starts, "
                        "pods, trigger and runtime where known) to this CSV file")
    f = sub.add_parser("fit-fingerprints", help="refit the generator's request-side inputs "
                                                "(requests, daily medians, timers, profiles)")
    f.add_argument("data_dir", metavar="DATA_DIR", help="a release holding quantiles/R*/requests/")
    f.add_argument("--out", required=True, metavar="FILE.json",
                   help="where to write them (for generate --fingerprints FILE.json)")
    g = sub.add_parser("generate", help="write a synthetic trace in the release layout")
    g.add_argument("out_dir", metavar="OUT_DIR")
    g.add_argument("--scale", type=real(0, 1, lo_open=True), default=1.0,
                   help="share of the release's 14,108 functions kept (a stratified sample), each "
                        "at its full request rate (default 1.0: all of them)")
    g.add_argument("--fingerprints", metavar="FILE.json", default=None,
                   help="request side per region from `fit-fingerprints` (default: the paper's "
                        "readings)")
    g.add_argument("--seed", type=non_negative_int, default=0)
    g.add_argument("--days", type=integer(1, N_DAYS), default=N_DAYS, metavar=f"1..{N_DAYS}",
                   help=f"number of days (default {N_DAYS})")
    g.add_argument("--regions", type=choice_list(REGIONS), default=REGIONS,
                   help="comma-separated, default R1..R5")
    g.add_argument("--parts", type=choice_list(generate.ALL_PARTS), default=generate.ALL_PARTS,
                   help="comma-separated parts of the release layout to write")
    g.add_argument("--overwrite", action="store_true",
                   help="replace OUT_DIR if it is empty or a trace written by this generator "
                        "(has SYNTHETIC.json); any other folder is refused")
    g.add_argument("--request-format", choices=("csv", "zip"), default="csv",
                   help="with --request-rows: write the request parts as CSV files (default) or "
                        "packed in zips of 10 like the release (read without unzipping)")
    g.add_argument("--request-rows", type=positive_int, default=None, metavar="N",
                   help="write exactly N per-request rows (day 30, split over the regions, part "
                        f"files of at most {generate.REQUEST_CHUNK_ROWS:,} rows); default: a few "
                        "requests per pod")
    g.add_argument("--meta", choices=("auto", "public", "synthetic"), default="auto",
                   help="Region 2 runtime/trigger table source (default auto)")
    _simulate_parser(sub)
    return p


def _simulate_parser(sub) -> None:
    s = sub.add_parser("simulate", help="replay a trace on the platform simulator under a "
                                        "keep-alive policy")
    s.add_argument("data_dir", metavar="DATA_DIR", help="folder holding quantiles/R*/requests/")
    s.add_argument("--policy", choices=tuple(policies.BUILT_IN), default="fixed",
                   help="built-in keep-alive policy (default fixed: the platform's 60 s)")
    s.add_argument("--keep-alive-s", type=real(0, 86_400), default=None, metavar="S",
                   help="keep-alive of --policy fixed (and the fallback of timer-prewarm), s")
    s.add_argument("--policy-file", default=None, metavar="PATH.py:Class",
                   help="a user's policy class (a .py file inside the working directory)")
    s.add_argument("--per-function", default=None, metavar="OUT.csv",
                   help="also write region,funcID,requests,cold_starts,idle_pod_s")
    s.add_argument("--seed", type=non_negative_int, default=0,
                   help="seed of the arrival times inside each minute (default 0)")


def _simulate(parser: argparse.ArgumentParser, args) -> int:
    if not Path(args.data_dir).is_dir():
        parser.error(f"DATA_DIR {args.data_dir} is not a folder; pass a trace in the release "
                     "layout (quantiles/R*/requests/day_XX.csv)")
    out = simio.output_csv_path(args.per_function) if args.per_function else None
    if args.policy_file:
        if args.keep_alive_s is not None:
            parser.error("--keep-alive-s applies to the built-in policies, not --policy-file")
        policy = policies.load_policy_file(args.policy_file)
    else:
        policy = policies.builtin(args.policy, args.keep_alive_s)
    res = replay.simulate(replay.trace_cells(args.data_dir), policy, args.seed)
    if out is not None:
        simio.write_csv_atomic(res.per_function.select(
            "region", "funcID", "requests", "cold_starts", "idle_pod_s"), out)
    print(json_line(res.summary()))
    return 0


@exit_on_bad_input
def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.cmd == "fit-fingerprints":
        return _fit_fingerprints(parser, args)
    if args.cmd == "summarize":
        if not Path(args.data_dir).is_dir():
            parser.error(f"DATA_DIR {args.data_dir} is not a folder; get the release with "
                         "`make data GROUPS=huawei-coldstart` or generate one with "
                         "`python -m paperkit.coldstarts generate OUT_DIR --scale 0.1`")
        per_fn = (refit.check_out_path(args.per_function, args.data_dir, suffix=".csv")
                  if args.per_function else None)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            try:
                out = summarize(args.data_dir, on_invalid="drop" if args.drop_invalid else "raise")
            except ValueError as exc:
                out = exc
        for w in caught:
            print(f"warning: {w.message}", file=sys.stderr)
        if isinstance(out, ValueError):
            parser.error(str(out))
        if per_fn is not None:
            atomic.write_text(per_fn, per_function_table(args.data_dir).write_csv())
        print(json_line(out))
        return 0
    if args.cmd == "simulate":
        return _simulate(parser, args)
    try:
        sides = refit.read_request_sides(args.fingerprints) if args.fingerprints else None
        path = generate.generate_trace(args.out_dir, args.scale, args.seed, n_days=args.days,
                                       regions=args.regions, parts=args.parts,
                                       overwrite=args.overwrite,
                                       progress=sys.stderr.isatty(), meta=args.meta,
                                       sides=sides, request_rows=args.request_rows,
                                       request_format=args.request_format)
    except ValueError as exc:
        parser.error(str(exc))
    except OSError as exc:
        raise UserError(f"OUT_DIR {args.out_dir}: cannot write there ({exc.strerror}: "
                        f"{exc.filename}); choose a writable folder") from None
    man = json.loads((path / generate.MANIFEST).read_text())
    print(json.dumps({"out_dir": str(path), "tier": "synthetic", "n_cold_starts": {
        r: v["n_cold_starts"] for r, v in man["regions"].items()}}, sort_keys=True))
    return 0


def _fit_fingerprints(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """fit-fingerprints: write the request side of DATA_DIR to --out; print what was written."""
    if not Path(args.data_dir).is_dir():
        parser.error(f"DATA_DIR {args.data_dir} is not a folder; pass a release with "
                     "quantiles/R*/requests/")
    out = refit.check_out_path(args.out, args.data_dir)
    sides = refit.fit_request_sides(args.data_dir)
    refit.write(sides, out, source="fit-fingerprints")
    print(json_line({"out": str(out), "regions": {
        r: {"n_functions": s.n_functions, "n_requests": s.n_requests,
            "daily_median": s.daily_median, "minute_timer_share": s.minute_timer_share}
        for r, s in sides.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
