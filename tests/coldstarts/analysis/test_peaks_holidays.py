"""Peak-to-trough ratio, diurnal peaks and holiday normalisation on hand-built series."""
import numpy as np
import polars as pl
import pytest

from paperkit.coldstarts.analysis import holidays, peaks


def test_constant_series_ratio_is_one():
    assert peaks.ratio_of_series(np.full(72, 60.0)) == 1.0


def test_sparse_timer_below_one_per_hour_is_one():
    x = np.zeros(72)
    x[[5, 29, 53]] = 1.0   # a daily timer
    assert peaks.ratio_of_series(x) == 1.0


def test_sine_load_ratio():
    h = np.arange(24 * 5)
    x = 550 + 450 * np.sin(2 * np.pi * h / 24)   # 100 .. 1000 requests/hour
    r = peaks.ratio_of_series(x)
    assert 8.0 < r < 10.5     # smoothing shaves the extremes slightly


def test_zero_trough_is_floored_at_one_request_per_hour():
    h = np.arange(24 * 4)
    x = np.where((h % 24) < 12, 0.0, 3000.0)
    assert peaks.ratio_of_series(x) == pytest.approx(3000.0)


def test_ratio_rejects_short_series():
    with pytest.raises(ValueError, match=">= 3 hours"):
        peaks.ratio_of_series(np.ones(2))


def _series(funcs: dict[str, np.ndarray]) -> pl.LazyFrame:
    rows = []
    for f, hourly in funcs.items():
        for hr, v in enumerate(hourly):
            if v:
                rows.append(("R1", f, hr * 3600, float(v)))
    return pl.DataFrame(rows, schema=["region", "funcID", "time", "requests"], orient="row").lazy()


def test_peak_to_trough_frame():
    h = np.arange(48)
    out = peaks.peak_to_trough(_series({"a": np.full(48, 10.0), "b": 550 + 450 * np.sin(2 * np.pi * h / 24)}))
    r = dict(zip(out["funcID"], out["ratio"]))
    assert r["a"] == 1.0 and r["b"] > 5


def test_diurnal_peak_position():
    minutes = np.arange(3 * 1440)
    y = 100 + 1000 * np.exp(-(((minutes % 1440) - 600) / 60.0) ** 2)  # peak at minute 600 each day
    lf = pl.DataFrame({"region": "R5", "time": minutes * 60, "requests": y}).lazy()
    s, p = peaks.diurnal(lf, days=3)
    assert p["frac_of_day"].to_list() == pytest.approx([600 / 1440] * 3, abs=2 / 1440)
    assert s["norm"].max() == pytest.approx(1.0) and s["norm"].min() == pytest.approx(0.0)


def test_holiday_normalisation_and_peak_days():
    days = np.arange(31)
    rows = []
    for d in days:
        v = 10.0 if d == 13 else (5.0 if 14 <= d <= 21 else 8.0)
        rows += [("R2", "f", int(d * 86400 + 60 * i), v) for i in (0, 1)]
    lf = pl.DataFrame(rows, schema=["region", "funcID", "time", "num_pods"], orient="row").lazy()
    daily = holidays.daily_pods(lf)
    norm = holidays.normalise_window(daily)
    assert norm["day"].min() == 10 and norm["day"].max() == 25
    assert norm["proportion"].max() == 1.0
    assert holidays.peak_day(norm, (10, 25))["day"][0] == 13
    # idle minutes count as zero pods: the mean over 1440 minutes of (v + v) on two minutes
    assert daily.filter(pl.col("day") == 13)["value"][0] == pytest.approx(20.0 / 1440)
    assert holidays.holiday_min(norm)["proportion"][0] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="after its end"):
        holidays.normalise_window(daily, (20, 10))


def test_daily_cpu_ignores_nulls():
    lf = pl.DataFrame({"region": ["R1"] * 3, "time": [0, 60, 86400], "cpu_usage_avg": [0.2, None, 0.4]}).lazy()
    d = holidays.daily_cpu(lf)
    assert d["value"].to_list() == pytest.approx([0.2, 0.4])
