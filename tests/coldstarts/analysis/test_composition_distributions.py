"""Region 2 composition, distributions, correlation and utility on hand-built frames."""
import numpy as np
import polars as pl
import pytest

from paperkit.coldstarts.analysis import composition, correlation, distributions, utility

META = pl.DataFrame({
    "funcID": ["1---1---pool22-300-128", "2---1---pool26-1000-1024", "3---2---pool22-300-128"],
    "cpu_request": [100, 500, 100],
    "runtime": ["Python3", "Java", "C#"],
    "triggerType-invocationType": ["TIMER-A", "APIG-S", "OBS-A"],
})


def _cs(rows):
    return pl.DataFrame(rows, schema=["region", "day", "time", "funcName", "userID", "podID",
                                      "totalCost_cold_start", "podAllocationCost", "deployCodeCost",
                                      "deployDependencyCost", "schedulingCost"], orient="row").lazy()


def test_shares_and_pods_per_hour():
    num_pods = pl.DataFrame({"funcID": ["1---1---pool22-300-128"] * 60 + ["2---1---pool26-1000-1024"] * 60,
                             "time": list(range(0, 3600, 60)) * 2,
                             "num_pods": [1.0] * 60 + [3.0] * 60}).lazy()
    cs = _cs([("R2", 0, 1.0, 1, 1, "pool22-300-128-01", 1, 0.2, 0.3, 0.3, 0.2)] * 3
             + [("R2", 0, 2.0, 3, 2, "pool22-300-128-02", 1, 0.2, 0.3, 0.3, 0.2)])
    sh = composition.shares(num_pods, cs, META, "trigger")
    get = {(g, m): s for g, m, s in sh.iter_rows()}
    assert get[("TIMER-A", "pods")] == pytest.approx(0.25)
    assert get[("APIG-S", "pods")] == pytest.approx(0.75)
    assert get[("TIMER-A", "cold starts")] == pytest.approx(0.75)
    assert get[("OBS-A", "functions")] == pytest.approx(1 / 3)
    assert sum(s for (g, m), s in get.items() if m == "functions") == pytest.approx(1.0)
    ph = composition.pods_per_hour(num_pods, META, "config")
    assert dict(zip(ph["group"], ph["pods"]))["1000/1024"] == pytest.approx(3.0)
    with pytest.raises(ValueError, match="kind must be"):
        composition.shares(num_pods, cs, META, "colour")


def test_crosstab_excludes_unknown_runtime_and_normalises():
    meta = pl.concat([META, pl.DataFrame({"funcID": ["9---9---pool22-300-128"], "cpu_request": [100],
                                          "runtime": ["unknown"], "triggerType-invocationType": ["unknown"]})])
    ct = composition.runtime_trigger_crosstab(meta)
    assert "unknown" not in ct["runtime"].to_list()
    assert ct.group_by("runtime").agg(pl.col("share").sum())["share"].to_list() == pytest.approx([1, 1, 1])


def test_requests_vs_cold_starts_full_join():
    req = pl.DataFrame({"funcID": ["1---1---pool22-300-128"] * 2, "requests": [3.0, 4.0]}).lazy()
    cs = _cs([("R2", 0, 1.0, 3, 2, "pool22-300-128-02", 1, 0.2, 0.3, 0.3, 0.2)])
    out = composition.requests_vs_cold_starts(req, cs, META)
    assert out.rows() == [("1---1---pool22-300-128", 7.0, 0, "TIMER-A"), ("3---2---pool22-300-128", 0.0, 1, "OBS-A")]


def test_iat_per_region_and_fits():
    rng = np.random.default_rng(1)
    t = np.cumsum(rng.weibull(0.5, 4000) * 0.4)
    cs = pl.DataFrame({"region": ["R1"] * 4000 + ["R2"] * 3, "time": np.r_[t[::-1], [5.0, 1.0, 1.0]]}).lazy()
    iat = distributions.inter_arrival_times(cs).collect()
    assert iat.height == 3999 + 2 and (iat["iat"] >= 0).all()
    s = distributions.iat_summary(iat)
    assert s.filter(pl.col("region") == "R2")["below_1ms"][0] == 0.5
    w = distributions.weibull_fit(iat.filter(pl.col("region") == "R1"))
    assert w["shape"] == pytest.approx(0.5, rel=0.1)
    x = rng.lognormal(0.3, 1.3, 20000)
    ln = distributions.lognormal_fit(pl.DataFrame({"totalCost_cold_start": x}).lazy())
    assert ln["mu"] == pytest.approx(0.3, abs=0.05) and ln["sigma"] == pytest.approx(1.3, rel=0.03)


def test_pool_size_quartiles_and_ratio():
    rows = [("R1", 0, float(i), 1, 1, "pool22-300-128-0", 1.0, 0.1, 0.2, 0.0, 0.7) for i in range(5)]
    rows += [("R1", 0, float(i), 2, 1, "pool26-1000-1024-0", 3.0, 1.0, 0.5, 1.0, 0.5) for i in range(5)]
    cdf, q = distributions.pool_size_data(_cs(rows))
    r = distributions.pool_size_median_ratio(q)
    assert r["ratio"][0] == pytest.approx(3.0)
    # deploy dependency zeros (small pool) are dropped
    assert q.filter((pl.col("component") == "deployDependencyCost") & (pl.col("pool_size") == "small")).height == 0
    qs = distributions.quantile_samples(cdf, ["region", "pool_size", "component"], n=10)
    assert qs.filter(pl.col("component") == "totalCost_cold_start").height == 20


def test_hourly_components_sum_to_total():
    rows = [("R1", 0, 10.0, 1, 1, "pool22-300-128-0", 1.0, 0.1, 0.2, 0.0, 0.7),
            ("R1", 0, 20.0, 1, 1, "pool22-300-128-0", 3.0, 1.0, 0.5, 1.0, 0.5),
            ("R1", 0, 4000.0, 1, 1, "pool22-300-128-0", 2.0, 1.0, 0.5, 0.0, 0.5)]
    h = distributions.hourly_components(_cs(rows))
    assert h["cold_starts"].to_list() == [2, 1]
    comp = h.select(pl.sum_horizontal(list(distributions.COMPONENTS)))[:, 0]
    assert comp.to_list() == pytest.approx(h["totalCost_cold_start"].to_list())


def test_spearman_matrix_known_values():
    n = 50
    rows = []
    for m in range(n):   # one cold start per minute except every 5th minute has two
        k = 2 if m % 5 == 0 else 1
        for _ in range(k):
            sched = float(m)
            rows.append(("R1", 0, m * 60.0 + 1, 1, 1, "pool22-300-128-0", sched + 1.0, 0.5, 0.5, -sched, sched))
    pm = correlation.per_minute_means(_cs(rows))
    sp = correlation.spearman_matrix(pm)
    get = {(r, c): v for _, r, c, v, *_ in sp.iter_rows()}
    assert get[("scheduling time", "cold start time")] == pytest.approx(1.0)
    assert get[("scheduling time", "deploy dep. time")] == pytest.approx(-1.0)
    assert get[("cold start time", "cold start time")] == 1.0
    mat = correlation.matrix(sp, "R1")
    assert mat["row"].to_list()[0] == "cold start time" and mat.width == 7


def test_utility_ratio_definition():
    day30 = 30 * 86400.0
    cs = _cs([("R2", 30, day30 + 100, 1, 1, "pool22-300-128-1", 2.0, 1.0, 0.5, 0.0, 0.5),
              ("R2", 30, day30 + 200, 1, 1, "pool22-300-128-2", 4.0, 1.0, 0.5, 0.0, 2.5),
              ("R2", 29, 100.0, 1, 1, "pool22-300-128-3", 1.0, 1.0, 0.0, 0.0, 0.0)])
    req = pl.DataFrame({"region": ["R2"] * 3, "podID": ["pool22-300-128-1", "pool22-300-128-1", "pool22-300-128-2"],
                        "time_worker": [day30 + 102, day30 + 110, day30 + 86395],
                        "totalCost_worker": [1.0, 2.0, 1.0]}).lazy()
    r = utility.utility_ratios(cs, req)
    row = r.row(0, named=True)
    assert row["useful"] == pytest.approx(110 + 2 - 102) and row["ratio"] == pytest.approx(5.0)
    assert r["censored"].to_list() == [False, True]
    cov = utility.coverage(cs, r)
    assert cov["matched_share"][0] == 1.0
    summ = utility.ratio_summary(r.with_columns(pl.lit("x").alias("g")), "g")
    assert summ.filter(pl.col("g") == "all")["n"][0] == 2
