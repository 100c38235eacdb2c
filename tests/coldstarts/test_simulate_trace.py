"""``simulate`` on a trace made by a platform the package has not seen.

The platform below is written here, independently of :mod:`paperkit.coldstarts.platform`: a
plain loop over requests with a known keep-alive (60 s), one request per pod, any idle pod reused
(the one that expires last), and known arrival processes per function (clock-aligned timers with
periods that divide or exceed a minute, Poisson streams from 0.2 to 60 requests a minute, one
storage-style burst function). It writes the release layout (``quantiles/R*/requests``,
``totalCost_avg`` and its true ``num_cold_starts``) and the tests compare what ``simulate`` finds
with that truth, per region and per function, and exercise the command line.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from paperkit.coldstarts import __main__ as cli
from paperkit.coldstarts import replay
from paperkit.coldstarts.policies import Fixed

KEEP_ALIVE_S = 60.0
N_MIN = 1440
# (kind, parameter, execution s): timer period s | Poisson requests per minute
FUNCTIONS = {
    "R1": [("timer", 60, 0.1), ("timer", 120, 0.05), ("poisson", 0.2, 0.02), ("poisson", 6, 0.3),
           ("poisson", 60, 0.1)],
    "R2": [("timer", 30, 0.01), ("timer", 300, 1.0), ("poisson", 1.0, 0.05),
           ("poisson", 20, 2.0)],
    "R3": [("timer", 3600, 0.2), ("poisson", 0.5, 0.01), ("poisson", 3, 0.005)],
    "R4": [("timer", 600, 0.5), ("poisson", 0.05, 0.1), ("poisson", 2, 0.02)],
    "R5": [("timer", 180, 0.05), ("poisson", 10, 0.004)],
}


def _arrivals(kind: str, par: float, rng) -> np.ndarray:
    if kind == "timer":
        return np.arange(0.0, N_MIN * 60, par) + 0.5           # fires 0.5 s past the clock tick
    n = rng.poisson(par * N_MIN)
    return np.sort(rng.uniform(0, N_MIN * 60, n))


def _truth(t: np.ndarray, e: float) -> np.ndarray:
    """Cold-start times of the platform (one request per pod, keep-alive reset per request)."""
    pods: list[float] = []     # time each pod becomes free (busy until then, then idle)
    cold = []
    for x in t:
        pods = [f for f in pods if f + KEEP_ALIVE_S >= x]       # the others are deleted
        idle = [i for i, f in enumerate(pods) if f <= x]
        if idle:
            j = max(idle, key=lambda i: pods[i])
            pods[j] = x + e
        else:
            cold.append(x)
            pods.append(x + e)
    return np.asarray(cold)


def _write_wide(path: Path, cols: dict[str, np.ndarray], integer: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    names = sorted(cols)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["day", "time", *names])
        for m in range(N_MIN):
            vals = [cols[n][m] for n in names]
            w.writerow([0, m * 60, *[("" if (v == 0 or np.isnan(v)) else
                                      (str(int(v)) if integer else repr(float(v)))) for v in vals]])


@pytest.fixture(scope="module")
def unseen(tmp_path_factory) -> tuple[Path, pl.DataFrame]:
    root = tmp_path_factory.mktemp("unseen")
    rng = np.random.default_rng(11)
    truth = []
    for region, fns in FUNCTIONS.items():
        req, cold, ex = {}, {}, {}
        for i, (kind, par, e) in enumerate(fns):
            fid = f"{i + 1}---{i + 7}---pool22-300-128"
            t = _arrivals(kind, par, rng)
            c = _truth(t, e)
            req[fid] = np.bincount((t // 60).astype(int), minlength=N_MIN)
            cold[fid] = np.bincount((c // 60).astype(int), minlength=N_MIN)
            ex[fid] = np.where(req[fid] > 0, e, np.nan)
            truth.append((region, fid, kind, int(t.size), int(c.size)))
        q = root / "quantiles" / region
        _write_wide(q / "requests" / "day_00.csv", req, True)
        _write_wide(q / "num_cold_starts" / "day_00.csv", cold, True)
        _write_wide(q / "totalCost_avg" / "day_00.csv", ex, False)
    tf = pl.DataFrame(truth, schema=["region", "funcID", "kind", "requests", "cold_truth"],
                      orient="row")
    return root, tf


def _run(argv: list[str], capsys) -> dict:
    assert cli.main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_simulate_finds_the_cold_starts_of_an_unseen_platform(unseen, capsys, tmp_path,
                                                              monkeypatch):
    root, truth = unseen
    monkeypatch.chdir(tmp_path)
    out = _run(["simulate", str(root), "--policy", "fixed", "--per-function", "pf.csv"], capsys)
    per = pl.read_csv("pf.csv", schema_overrides={"funcID": pl.String}).join(
        truth, on=["region", "funcID"])
    assert per.height == truth.height
    assert per["requests"].to_list() == per["requests_right"].to_list()
    # The replay redraws the Poisson positions inside each minute, so a function's count of rare
    # events (clumps that need a second or third pod) differs from the truth by Poisson noise:
    # sd ~ sqrt(2 N). Measured: regions within 2.5 %, functions within 2.2 sd.
    for region in FUNCTIONS:
        got = out["regions"][region]["cold_starts"]
        want = int(truth.filter(pl.col("region") == region)["cold_truth"].sum())
        assert abs(got - want) <= max(0.05 * want, 3), (region, got, want)
    timers = per.filter(pl.col("kind") == "timer")             # clock-aligned: exact
    assert timers["cold_starts"].to_list() == timers["cold_truth"].to_list()
    other = per.filter(pl.col("kind") != "timer")
    bound = 4 * (2 * other["cold_truth"]).sqrt() + 2
    assert ((other["cold_starts"] - other["cold_truth"]).abs() <= bound).all()


def test_even_spacing_alone_misses_the_churn_of_clumps(unseen):
    """With every minute in closed form (even spacing), a busy Poisson function never needs a
    second pod, so the cold starts its clumps cause are lost: why small minutes are exact."""
    root, truth = unseen
    cells = replay.trace_cells(root)
    even = replay.simulate(cells, Fixed(), exact_poisson_below=2).per_function
    exact = replay.simulate(cells, Fixed()).per_function
    j = (even.select("region", "funcID", even="cold_starts")
         .join(exact.select("region", "funcID", exact="cold_starts"), on=["region", "funcID"])
         .join(truth, on=["region", "funcID"]))
    busy = j.filter((pl.col("kind") == "poisson") & (pl.col("requests") > 5000))
    assert busy.height >= 3
    assert (busy["even"] < 0.5 * busy["cold_truth"]).all()
    assert (busy["exact"] > 0.8 * busy["cold_truth"]).all()


def test_keep_alive_10_60_600_in_every_region(unseen, capsys):
    root, _ = unseen
    res = [_run(["simulate", str(root), "--policy", "fixed", "--keep-alive-s", str(k)], capsys)
           for k in (10, 60, 600)]
    for region in FUNCTIONS:
        cs = [r["regions"][region]["cold_starts"] for r in res]
        idle = [r["regions"][region]["idle_pod_s"] for r in res]
        assert cs[0] > cs[1] > cs[2], (region, cs)
        assert idle[0] < idle[1] < idle[2], (region, idle)


def test_simulate_json_and_csv_shape(unseen, capsys, tmp_path, monkeypatch):
    root, truth = unseen
    monkeypatch.chdir(tmp_path)
    out = _run(["simulate", str(root), "--policy", "timer-prewarm", "--per-function",
                "out.csv"], capsys)
    assert out["policy"] == "timer-prewarm" and sorted(out["regions"]) == list(FUNCTIONS)
    assert set(out["regions"]["R1"]) == {"requests", "cold_starts", "idle_pod_s"}
    rows = Path("out.csv").read_text().splitlines()
    assert rows[0] == "region,funcID,requests,cold_starts,idle_pod_s"
    assert len(rows) == 1 + truth.height
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]          # no temporary left


def test_requests_are_replayed_one_for_one(unseen):
    root, truth = unseen
    pf = replay.simulate(replay.trace_cells(root), Fixed()).per_function
    got = pf.join(truth, on=["region", "funcID"])
    assert got["requests"].to_list() == got["requests_right"].to_list()


@pytest.mark.parametrize("args, match", [
    (["--per-function", "../x.csv"], "without '..'"),
    (["--per-function", "/tmp/x.csv"], "inside the working directory"),
    (["--per-function", "x.txt"], ".csv file"),
    (["--per-function", "nodir/x.csv"], "does not exist"),
    (["--per-function", "adir.csv"], "folder or a link"),
    (["--per-function", "a\nb.csv"], "file name"),
    (["--keep-alive-s", "nan"], "keep-alive-s"),
    (["--keep-alive-s", "-1"], "keep-alive-s"),
    (["--keep-alive-s", "1e999"], "keep-alive-s"),
    (["--policy", "lru"], "invalid choice"),
    (["--policy", "hybrid-histogram", "--keep-alive-s", "30"], "sets its own windows"),
    (["--policy-file", "../p.py:P"], "without '..'"),
    (["--policy-file", "p.py:P", "--keep-alive-s", "5"], "not --policy-file"),
])
def test_simulate_hostile_arguments(unseen, capsys, tmp_path, monkeypatch, args, match):
    root, _ = unseen
    monkeypatch.chdir(tmp_path)
    (tmp_path / "adir.csv").mkdir()
    (tmp_path / "p.py").write_text("class P:\n    name = 'p'\n    def decide(self, h):\n"
                                   "        return None\n")
    with pytest.raises(SystemExit) as exc:
        cli.main(["simulate", str(root), *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]                   # argparse prints its usage first
    assert "error" in last and match in last and "Traceback" not in err


def test_simulate_refuses_a_missing_or_empty_folder(tmp_path, capsys):
    for d in (tmp_path / "absent", tmp_path):
        with pytest.raises(SystemExit) as exc:
            cli.main(["simulate", str(d)])
        assert exc.value.code == 2
        assert "error" in capsys.readouterr().err


def test_release_check_compares_with_the_recorded_series(unseen):
    root, truth = unseen
    chk = replay.release_check(root)
    assert chk["region"].to_list() == list(FUNCTIONS)
    assert chk["obs_cold_starts"].to_list() == [
        float(truth.filter(pl.col("region") == r)["cold_truth"].sum()) for r in FUNCTIONS]
    assert ((chk["cold_start_ratio"] - 1).abs() < 0.05).all()
    assert chk["obs_pod_minutes"].null_count() == len(FUNCTIONS)     # no num_pods series here


def test_a_share_of_functions_is_the_same_every_run(unseen):
    root, truth = unseen
    a, b = replay.trace_cells(root, 0.5), replay.trace_cells(root, 0.5)
    assert a.functions.equals(b.functions) and np.array_equal(a.r, b.r)
    assert 0 < a.functions.height < truth.height
    full = replay.trace_cells(root).functions.join(a.functions, on=["region", "funcID"],
                                                   how="semi")
    assert full.height == a.functions.height                       # a subset, at full rates
    for bad in (0.0, -1.0, 1.5, float("nan")):
        with pytest.raises(ValueError, match="share"):
            replay.trace_cells(root, bad)
