"""CDF binning and region statistics on hand-built frames."""
import numpy as np
import polars as pl
import pytest

from paperkit.coldstarts.analysis import cdf, regions, series


def test_binned_cdf_matches_exact_ecdf_on_grid():
    rng = np.random.default_rng(0)
    v = rng.lognormal(0, 2, 5000)
    df = pl.DataFrame({"g": ["a"] * 5000, "v": v})
    c = cdf.binned_cdf(df, "v", ["g"], 1e-3, 1e3, 61)
    for x, p in zip(c["x"].to_list()[5:-5:7], c["cdf"].to_list()[5:-5:7]):
        assert p == pytest.approx(np.mean(v <= x), abs=2e-4)
    assert c["n"][0] == 5000


def test_binned_cdf_drops_zeros_and_checks_columns():
    df = pl.DataFrame({"v": [0.0, 1.0, None, 10.0]})
    c = cdf.binned_cdf(df, "v", [], 0.1, 100, 4)
    assert c["cdf"].to_list() == [0.0, 0.5, 1.0, 1.0]
    with pytest.raises(ValueError, match="not in frame"):
        cdf.binned_cdf(df, "w", [], 0.1, 100, 4)
    with pytest.raises(ValueError, match="0 < lo < hi"):
        cdf.log_grid(0, 1)


def _requests():
    # two functions of R1 over 3 days; f1: 10/day on days 0,1 (day 2 idle), f2: 1 per minute every day
    rows = []
    for d in range(3):
        if d < 2:
            rows += [("R1", "1---7---pool22-300-128", d * 86400 + 60 * i, 1.0) for i in range(10)]
        rows += [("R1", "2---7---pool22-300-128", d * 86400 + 60 * i, 1.0) for i in range(1440)]
    rows.append(("R2", "3---8---pool23-400-256", 0, 5.0))
    return pl.DataFrame(rows, schema=["region", "funcID", "time", "requests"], orient="row").lazy()


def test_median_daily_requests_counts_idle_days_as_zero():
    m = regions.median_daily_requests(_requests())
    r = {f: v for f, v in zip(m["funcID"], m["median_per_day"])}
    assert r["1---7---pool22-300-128"] == 10.0      # [10, 10, 0]
    assert r["2---7---pool22-300-128"] == 1440.0
    assert r["3---8---pool23-400-256"] == 5.0       # R2 has one day only
    s = regions.share_at_least(m, "median_per_day", 1440)
    assert s.filter(pl.col("region") == "R1")["share"][0] == 0.5


def test_users():
    u = regions.users(_requests())
    assert u.filter(pl.col("userID") == "7").row(0, named=True)["functions"] == 2
    assert u.filter(pl.col("userID") == "7")["requests"][0] == 20 + 3 * 1440


def test_region_totals_fill_missing_minutes():
    lf = pl.DataFrame({"region": ["R1", "R1"], "time": [0, 180], "requests": [2.0, 3.0]}).lazy()
    t = series.region_totals_per_minute(lf, "requests")
    assert t["requests"].to_list() == [2.0, 0.0, 0.0, 3.0]


def test_max_min_ratio():
    df = pl.DataFrame({"region": ["R1", "R2", "R3"], "m": [0.004, 0.1, 0.0]})
    assert regions.max_min_ratio(df, "m") == pytest.approx(25.0)
