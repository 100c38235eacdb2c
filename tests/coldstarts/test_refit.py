"""fit-fingerprints (paperkit.coldstarts.refit) and summarize's pooled fits / per-function table:
values by hand on a hand-made release, round trip, hostile output paths and input files."""
from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest

from paperkit.coldstarts import refit, summarize
from paperkit.coldstarts import __main__ as cli
from paperkit.coldstarts.fingerprints import REGION_TARGETS
from paperkit.coldstarts.workload import MINUTES, request_side


def _long(rows):
    return pl.DataFrame(rows, schema={"region": pl.String, "funcID": pl.String,
                                      "time": pl.Int64, "value": pl.Float64}, orient="row")


def test_fit_region_by_hand():
    # f_timer: one request every minute for 2 days; f_web: 10 requests at 12:00 of day 0 only
    rows = [("R5", "t", 60 * m, 1.0) for m in range(2 * MINUTES)]
    rows += [("R5", "w", 12 * 3600, 10.0)]
    side = refit.fit_region(_long(rows), "R5", n_columns=4)
    assert side.n_requests == 2 * MINUTES + 10
    assert side.n_functions == 4
    assert side.minute_timer_share == pytest.approx(1 / 4)   # t is a timer, w is not
    assert side.daily_median == pytest.approx((1440 + 5) / 2)  # medians 1440 and (10 + 0) / 2
    assert side.day_mult[0] > side.day_mult[1] > side.day_mult[2] == 0.0
    assert np.mean(side.day_mult) == pytest.approx(1.0)
    inten = np.array(side.intensity)
    assert inten.mean() == pytest.approx(1.0)
    assert inten.argmax() in range(720 - 7, 720 + 8)         # noon, smoothed over 15 minutes


def test_smooth_circular_wraps_midnight():
    x = np.zeros(MINUTES)
    x[0] = 15.0
    y = refit._smooth_circular(x, 15)
    assert y[0] == pytest.approx(1.0) and y[MINUTES - 7] == pytest.approx(1.0)
    assert y[8] == 0.0 and y.sum() == pytest.approx(15.0)


def test_json_round_trip(tmp_path):
    sides = {"R1": request_side(REGION_TARGETS["R1"]), "R4": request_side(REGION_TARGETS["R4"])}
    out = refit.write(sides, tmp_path / "fp.json", source="test")
    assert refit.read_request_sides(out) == sides


@pytest.mark.parametrize("edit,match", [
    (lambda d: d.update(format="other/9"), "not a paperkit"),
    (lambda d: d["regions"].update(R9=d["regions"]["R1"]), "regions"),
    (lambda d: d["regions"]["R1"].update(n_requests=1e300), "n_requests"),
    (lambda d: d["regions"]["R1"].update(daily_median="3; rm -rf /"), "R1"),
    (lambda d: d["regions"]["R1"].pop("intensity"), "intensity"),
    (lambda d: d["regions"]["R1"].update(day_mult=[1.0] * 5), "day_mult"),
    (lambda d: d["regions"]["R1"].update(n_functions=None), "R1")])
def test_read_refuses_bad_files(tmp_path, edit, match):
    d = json.loads(refit.to_json({"R1": request_side(REGION_TARGETS["R1"])}, "t"))
    edit(d)
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(d))
    with pytest.raises(ValueError, match=match) as e:
        refit.read_request_sides(p)
    assert "bad.json" in str(e.value) and "\n" not in str(e.value)


def test_read_refuses_nan_cut_and_missing(tmp_path):
    text = refit.to_json({"R1": request_side(REGION_TARGETS["R1"])}, "t")
    (tmp_path / "nan.json").write_text(text.replace('"daily_median": 30.0', '"daily_median": NaN'))
    (tmp_path / "cut.json").write_text(text[: len(text) // 2])
    for name in ("nan.json", "cut.json", "missing.json"):
        with pytest.raises(ValueError, match=name):
            refit.read_request_sides(tmp_path / name)


def test_check_out_path_hostile(tmp_path):
    data = tmp_path / "release"
    data.mkdir()
    assert refit.check_out_path(tmp_path / "a.json", data) == tmp_path / "a.json"
    shell = tmp_path / "$(touch pwned); x.json"
    assert refit.check_out_path(shell) == shell       # a literal name, nothing is run
    for bad, match in [(tmp_path / "a.csv", "must end in .json"),
                       (tmp_path / "nope" / "a.json", "does not exist"),
                       (data / "a.json", "inside DATA_DIR"),
                       (data / ".." / "release" / "x.json", "inside DATA_DIR")]:
        with pytest.raises(ValueError, match=match):
            refit.check_out_path(bad, data)
    (tmp_path / "d.json").mkdir()
    with pytest.raises(ValueError, match="is a folder"):
        refit.check_out_path(tmp_path / "d.json")


def test_cli_fit_fingerprints(tiny_trace, tmp_path, capsys):
    out = tmp_path / "fp.json"
    assert cli.main(["fit-fingerprints", str(tiny_trace), "--out", str(out)]) == 0
    sides = refit.read_request_sides(out)
    printed = json.loads(capsys.readouterr().out)
    assert set(sides) == set(printed["regions"]) == {"R1", "R2", "R3", "R4", "R5"}
    tot = summarize.requests_per_region(tiny_trace)
    for r, s in sides.items():
        assert s.n_requests == pytest.approx(tot[r][0])
        assert s.n_functions == tot[r][1]
    with pytest.raises(SystemExit) as e:
        cli.main(["fit-fingerprints", str(tiny_trace), "--out", str(tiny_trace / "x.json")])
    assert e.value.code == 2
    assert not (tiny_trace / "x.json").exists()


def test_summarize_pooled_and_per_function(tiny_trace, tmp_path, capsys):
    out = tmp_path / "pf.csv"
    assert cli.main(["summarize", str(tiny_trace), "--per-function", str(out)]) == 0
    s = json.loads(capsys.readouterr().out)
    ln = s["pooled"]["lognormal"]
    assert ln["median"] == pytest.approx(math.exp(ln["mu"]), rel=1e-5)
    assert ln["mean"] == pytest.approx(math.exp(ln["mu"] + ln["sigma"] ** 2 / 2), rel=1e-5)
    wb = s["pooled"]["weibull_iat"]
    assert wb["mean"] == pytest.approx(wb["scale"] * math.gamma(1 + 1 / wb["shape"]), rel=1e-5)
    pf = pl.read_csv(out)
    assert pf.columns == ["region", "funcID", "requests", "cold_starts", "pods", "trigger", "runtime"]
    by_region = pf.group_by("region").agg(pl.col("cold_starts").sum()).sort("region")
    assert by_region["cold_starts"].to_list() == [s["regions"][r]["n_cold_starts"]
                                                  for r in by_region["region"]]
    assert pf.filter(pl.col("region") == "R2")["runtime"].null_count() < pf.filter(
        pl.col("region") == "R2").height
    assert pf.filter(pl.col("region") != "R2")["trigger"].null_count() == pf.filter(
        pl.col("region") != "R2").height
    with pytest.raises(SystemExit):
        cli.main(["summarize", str(tiny_trace), "--per-function", str(tmp_path / "x.json")])
