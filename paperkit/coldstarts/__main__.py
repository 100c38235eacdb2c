"""Command line: ``python -m paperkit.coldstarts {summarize,generate} ...``.

- ``summarize DATA_DIR [--drop-invalid]``: print one JSON object (sorted keys) with the per-region
  summary of a trace in the release layout (see :mod:`paperkit.coldstarts.summarize`). Invalid
  cold-start rows are an error naming file, line and fix; ``--drop-invalid`` drops them instead and
  says on stderr how many and why. Loader warnings (skipped files, dropped rows) go to stderr as
  ``warning: ...`` lines.
- ``generate OUT_DIR --scale S --seed N [--request-rows N]``: write a synthetic trace (tier
  synthetic; ``--request-rows``: the per-request tables' total rows) and print
  ``{"out_dir": ..., "n_cold_starts": ...}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from paperkit.cli import (UserError, choice_list, exit_on_bad_input, integer, json_line,
                          non_negative_int, positive_int, real)
from paperkit.coldstarts import N_DAYS, REGIONS, generate
from paperkit.coldstarts.summarize import summarize


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m paperkit.coldstarts",
                                description="Huawei 2025 cold-start trace: summarize or generate.")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("summarize", help="per-region JSON summary of a trace in the release layout")
    s.add_argument("data_dir", metavar="DATA_DIR", help="folder holding cold_start/R*/day_*.csv")
    s.add_argument("--drop-invalid", action="store_true",
                   help="drop invalid cold-start rows (bad costs, wrong day, short or duplicate "
                        "rows) and report how many per reason, instead of stopping with an error")
    g = sub.add_parser("generate", help="write a synthetic trace in the release layout")
    g.add_argument("out_dir", metavar="OUT_DIR")
    g.add_argument("--scale", type=real(0, 10, lo_open=True), default=0.01,
                   help="1.0 = 11.9 M cold starts (default 0.01)")
    g.add_argument("--functions", type=real(0, 1, lo_open=True), default=1.0,
                   help="share of the release's 14,108 functions kept, independent of --scale "
                        "(default 1.0: all of them)")
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
    return p


@exit_on_bad_input
def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.cmd == "summarize":
        if not Path(args.data_dir).is_dir():
            parser.error(f"DATA_DIR {args.data_dir} is not a folder; get the release with "
                         "`make data GROUPS=huawei-coldstart` or generate one with "
                         "`python -m paperkit.coldstarts generate OUT_DIR --scale 0.01`")
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
        print(json_line(out))
        return 0
    try:
        path = generate.generate_trace(args.out_dir, args.scale, args.seed, n_days=args.days,
                                       regions=args.regions, parts=args.parts,
                                       overwrite=args.overwrite,
                                       progress=sys.stderr.isatty(), meta=args.meta,
                                       functions=args.functions, request_rows=args.request_rows,
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


if __name__ == "__main__":
    sys.exit(main())
