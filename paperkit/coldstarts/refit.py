"""``fit-fingerprints DATA_DIR``: refit the generator's request-side inputs from a release.

Design: per region, from the per-minute ``requests`` series only (what the generator calibrates;
nothing about cold starts, which the simulator must produce), a
:class:`paperkit.coldstarts.workload.RequestSide`:

- ``n_functions``: the series' funcID columns; ``n_requests``: the sum of the series;
- ``daily_median``: median over functions of each function's median daily requests (Fig. 3a's
  statistic, :func:`paperkit.coldstarts.analysis.regions.median_daily_requests`);
- ``minute_timer_share``: share of functions whose every non-empty minute holds exactly one
  request and whose median day holds 1,440 (an every-minute timer);
- ``day_mult``: the region's requests per day / their mean (31 values; a missing day is 0);
- ``intensity``: the region's requests per minute of the day, summed over days, smoothed by a
  centred 15-minute circular mean, / its mean (1,440 values).

The file (:data:`FORMAT`, JSON) is written atomically; ``generate --fingerprints FILE`` reads it back
with :func:`read_request_sides` (every value validated; a bad file is one error naming it).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl

from paperkit import atomic
from paperkit.coldstarts import DAY_S, N_DAYS, REGIONS, load
from paperkit.coldstarts.analysis.regions import median_daily_requests
from paperkit.coldstarts.workload import MINUTES, RequestSide

FORMAT = "paperkit.coldstarts.request-side/1"
SMOOTH_MINUTES = 15   # centred window of the minute-of-day profile (a quarter hour)
MAX_FILE_BYTES = 10_000_000


def _smooth_circular(x: np.ndarray, window: int) -> np.ndarray:
    """Centred circular moving mean (the day wraps around midnight)."""
    k = np.ones(window) / window
    pad = window // 2
    return np.convolve(np.concatenate([x[-pad:], x, x[:pad]]), k, mode="valid")[:x.size]


def fit_region(req: pl.DataFrame, region: str, n_columns: int) -> RequestSide:
    """The request side of one region from its long-form series rows (funcID, time, value)."""
    r = req.filter(pl.col("region") == region)
    total = float(r["value"].sum())
    med = median_daily_requests(r.lazy().rename({"value": "requests"}))
    per_fn = r.group_by("funcID").agg(one=(pl.col("value") == 1).all())
    timers = med.join(per_fn, on="funcID").filter(
        (pl.col("median_per_day") == MINUTES) & pl.col("one")).height
    t = r["time"].to_numpy().astype(np.int64)
    v = r["value"].to_numpy().astype(float)
    day = np.bincount(np.clip(t // DAY_S, 0, N_DAYS - 1), weights=v, minlength=N_DAYS)
    minute = np.bincount((t % DAY_S) // 60, weights=v, minlength=MINUTES)
    inten = _smooth_circular(minute, SMOOTH_MINUTES)
    return RequestSide(n_functions=n_columns, n_requests=total,
                       daily_median=float(med["median_per_day"].median()),
                       minute_timer_share=timers / max(n_columns, 1),
                       day_mult=tuple((day / day.mean()).tolist()),
                       intensity=tuple((inten / inten.mean()).tolist()))


def fit_request_sides(data_dir: str | Path) -> dict[str, RequestSide]:
    """Per region present in the ``requests`` series: its :class:`RequestSide`."""
    if "requests" not in load.available_series(data_dir):
        raise ValueError(f"{data_dir} has no quantiles/R*/requests/ series; fit-fingerprints "
                         "refits the request side from it (download the release's quantiles)")
    req = (load.scan_series(data_dir, "requests").filter(pl.col("value") > 0)
           .select("region", "funcID", "time", "value").collect(engine="streaming"))
    cols = load.series_functions(data_dir, "requests").group_by("region").len()
    ncol = dict(zip(cols["region"], cols["len"]))
    return {r: fit_region(req, r, int(ncol[r])) for r in REGIONS
            if r in ncol and req.filter(pl.col("region") == r).height}


def to_json(sides: dict[str, RequestSide], source: str) -> str:
    """The file's text (sorted keys, one value per field)."""
    body = {"format": FORMAT, "source": source,
            "regions": {r: {"n_functions": s.n_functions, "n_requests": s.n_requests,
                            "daily_median": s.daily_median,
                            "minute_timer_share": s.minute_timer_share,
                            "day_mult": list(s.day_mult), "intensity": list(s.intensity)}
                        for r, s in sorted(sides.items())}}
    return json.dumps(body, sort_keys=True, allow_nan=False) + "\n"


def check_out_path(out: str | Path, data_dir: str | Path | None = None,
                   suffix: str = ".json") -> Path:
    """The output file, or ValueError naming it and the fix: a ``suffix`` name, an existing parent
    folder, not a folder itself, not inside ``data_dir`` (the release is never written)."""
    p = Path(out)
    if p.suffix != suffix:
        raise ValueError(f"output {out!r} must end in {suffix}; name a file such as out{suffix}")
    if p.is_dir():
        raise ValueError(f"output {out!r} is a folder; name a .json file inside it")
    if not p.parent.is_dir():
        raise ValueError(f"output {out!r}: folder {str(p.parent)!r} does not exist; create it first")
    if data_dir is not None and p.resolve().is_relative_to(Path(data_dir).resolve()):
        raise ValueError(f"output {out!r} is inside DATA_DIR; write it outside the release")
    return p


def write(sides: dict[str, RequestSide], out: Path, source: str) -> Path:
    """Write the file atomically (a temporary sibling renamed into place)."""
    return atomic.write_text(out, to_json(sides, source))


def _side(region: str, raw: object) -> RequestSide:
    if not isinstance(raw, dict):
        raise ValueError(f"region {region} is not an object")
    try:
        return RequestSide(int(raw["n_functions"]), float(raw["n_requests"]),
                           float(raw["daily_median"]), float(raw["minute_timer_share"]),
                           tuple(float(x) for x in raw["day_mult"]),
                           tuple(float(x) for x in raw["intensity"]))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"region {region}: missing or non-numeric field {exc}") from None
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"region {region}: {exc}") from None


def read_request_sides(path: str | Path) -> dict[str, RequestSide]:
    """Parse and validate a fingerprints file; ValueError (one line naming the file) if bad."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            raise ValueError(f"larger than {MAX_FILE_BYTES} bytes")
        raw = json.loads(p.read_text(), parse_constant=lambda c: math.nan)
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} file")
        regions = raw.get("regions")
        if not isinstance(regions, dict) or not regions or set(regions) - set(REGIONS):
            raise ValueError(f"'regions' must map some of {', '.join(REGIONS)} to their inputs")
        return {r: _side(r, regions[r]) for r in sorted(regions)}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"fingerprints file {str(path)!r}: {exc}; write it with "
                         "`python -m paperkit.coldstarts fit-fingerprints DATA_DIR --out FILE`") from None
