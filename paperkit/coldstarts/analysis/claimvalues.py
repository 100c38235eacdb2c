"""Reproduced values of every claim of the paper (notebook 01's §2.1 / Figure 1 claims and the
Figure 3-17 claims): the one home of claim values.

Each ``figNN_claims(data, ...)`` returns :class:`Value` records (claim id, reproduced value,
calibration key, note).  :func:`record` writes them into a :class:`paperkit.claims.ClaimsTable`
with the right tier and role: on a synthetic trace a claim whose quantity is an input of the
generator (:func:`calibrated_keys`, asked from :mod:`paperkit.coldstarts.generate`) gets
``role="calibration"`` -- a match then only shows that the pipeline recovers its input.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import stats

from .. import data, generate
from ..fingerprints import RegionTarget
from .distributions import TOTAL

#: claims whose value is a Region 2 *function-table* statistic use this key (tier of that table)
FUNCTION_TABLE = "r2_function_table"
#: on the synthetic tier, true by the generator's construction: each function's CPU use is a
#: constant (so the daily mean CPU is flat), users get 1 + Geometric functions (so almost all
#: have fewer than 20)
SYNTHETIC_INVARIANTS = frozenset({"F7b-flat", "F4a-lt20"})
#: on the synthetic tier, follow from calibrated inputs: the pooled LogNormal from the calibrated
#: cold-start-time mixtures, the R1/R3 hourly means and Region 2's overall median from them too
SYNTHETIC_CALIBRATED = frozenset({"F10-lognormal-mean", "F10-lognormal-sd", "F10-lognormal-median",
                                  "F11-R1-mean", "F11-R3-mean", "F15a-median-all"})


@dataclass(frozen=True)
class Value:
    """One reproduced claim value; ``key`` names the generator quantity it depends on (or None)."""

    id: str
    value: float | None
    key: str | None = None
    note: str = ""


def calibrated_keys() -> set[str]:
    """Quantities the synthetic generator is built to hit (its calibration targets).

    = ``generate.FINGERPRINTS.calibrated`` + every per-region target field of
    ``fingerprints.RegionTarget`` (popular share, medians, mixtures, ...) + the Custom/http
    creation mode (``fingerprints.CREATION_MIXTURE``).
    """
    keys = set(generate.FINGERPRINTS.calibrated)
    keys |= {f.name for f in dataclasses.fields(RegionTarget)}
    keys.add("creation_mixture")
    return keys


def synthetic_role(claim_id: str, key: str | None, calibrated: set[str]) -> str | None:
    """The role of a claim on the synthetic tier: ``calibration`` when its value follows from a
    generator input, ``invariant`` when the generator makes it true, else the claims file's."""
    if claim_id in SYNTHETIC_INVARIANTS:
        return "invariant"
    if claim_id in SYNTHETIC_CALIBRATED or key in calibrated:
        return "calibration"
    return None


def record(tab, values: list[Value], tier: str, function_tier: str | None = None) -> None:
    """Record ``values`` in ``tab`` with their role (:func:`synthetic_role` on a synthetic
    trace, else the claims file's); function-table values use ``function_tier``."""
    cal = calibrated_keys() if tier == "synthetic" else set()
    for v in values:
        t = function_tier if (v.key == FUNCTION_TABLE and function_tier) else tier
        if v.value is None or (isinstance(v.value, float) and not math.isfinite(v.value)):
            tab.not_checkable(v.id, tier=t, reason=v.note or "no data for this quantity in the trace")
            continue
        role = synthetic_role(v.id, v.key, cal) if t == "synthetic" else None
        tab.record(v.id, reproduced=float(v.value), tier=t, role=role, note=v.note)


def _get(df: pl.DataFrame, value_col: str, **eq) -> float | None:
    d = df
    for k, val in eq.items():
        d = d.filter(pl.col(k) == val)
    return None if d.height == 0 or d[value_col][0] is None else float(d[value_col][0])


def _bool(x: bool) -> float:
    return 1.0 if x else 0.0


# --------------------------------------------------------------------------- Figs 3-4
def fig03_04_claims(data: dict[str, pl.DataFrame]) -> list[Value]:
    """Claims F3-*, F4-*."""
    med = data["fig03a_median_requests"]
    pop = med.group_by("region").agg((pl.col("median_per_day") >= 1440).mean().alias("share"))
    per_region = med.group_by("region").agg(pl.col("median_per_day").median().alias("m")).sort("region")
    m = data["fig03_medians"]
    out = [Value("F3-popular-R1", _get(pop, "share", region="R1"), "popular_share"),
           Value("F3-popular-R4", _get(pop, "share", region="R4"), "popular_share")]
    out += [Value(f"F3a-median-{r}", _get(per_region, "m", region=r)) for r in ("R1", "R2", "R3", "R4", "R5")]
    out += [Value("F3-exec-median-R5", _get(m, "exec_median_s", region="R5"), "exec_median_s"),
            Value("F3-exec-median-R1", _get(m, "exec_median_s", region="R1"), "exec_median_s"),
            Value("F3-cpu-median-R3", _get(m, "cpu_median_cores", region="R3"), "cpu_median_cores"),
            Value("F3-cpu-median-R1", _get(m, "cpu_median_cores", region="R1"), "cpu_median_cores")]

    def ratio(s: pl.Series) -> float | None:
        s = s.drop_nulls().filter(s.drop_nulls() > 0)
        return float(s.max() / s.min()) if s.len() else None
    out += [Value("F3-factor-invocations", ratio(per_region["m"]), note="max/min of per-region medians"),
            Value("F3-factor-exec", ratio(m["exec_median_s"]), "exec_median_s"),
            Value("F3-factor-cpu", ratio(m["cpu_median_cores"]), "cpu_median_cores")]
    u = data["fig04_users"]
    single = u.group_by("region").agg((pl.col("functions") == 1).mean().alias("s"))
    out += [Value(f"F4a-single-{r}", _get(single, "s", region=r), "single_function_users")
            for r in ("R1", "R2", "R3", "R4", "R5")]
    out.append(Value("F4a-lt20", float((u["functions"] < 20).mean())))
    gt = u.group_by("region").agg((pl.col("requests") > 1000).mean().alias("s"))
    out += [Value("F4b-gt1000-R1", _get(gt, "s", region="R1")), Value("F4b-gt1000-R4", _get(gt, "s", region="R4"))]
    return out


# --------------------------------------------------------------------------- Figs 5-7
def fig05_07_claims(data: dict[str, pl.DataFrame]) -> list[Value]:
    """Claims F5-*, F6-*, F7-*."""
    p = data["fig05_peaks"].filter(pl.col("day") == 0)
    out = [Value(f"F5-peak-{r}", _get(p, "frac_of_day", region=r), "diurnal_phase") for r in ("R1", "R2", "R3", "R4", "R5")]
    rt = data["fig06_ratios"]
    mx = float(rt["ratio"].max()) if rt.height else None
    out += [Value("F6-max-gt-1000", _bool(mx is not None and mx > 1000), note=f"max ratio {mx:.4g}" if mx else ""),
            Value("F6-max", mx)]
    if rt.height and "requests" in rt.columns:
        t10 = rt.sort(["requests", "funcID"], descending=[True, False]).head(10)
        out.append(Value("F6-largest-lt-60", _bool(float(t10["ratio"].max()) < 60), "diurnal",
                         note=f"max ratio of the 10 largest: {float(t10['ratio'].max()):.4g}"))
    else:
        out.append(Value("F6-largest-lt-60", None, note="per-function requests missing"))
    low = rt.filter(pl.col("median_per_day") < 1440)
    share1 = float((low["ratio"] <= 1.5).mean()) if low.height else float("nan")
    out.append(Value("F6-cluster-1", _bool(share1 >= 0.1), note=f"share with ratio <= 1.5: {share1:.3g}"))
    one = rt.filter(pl.col("ratio") <= 1.0)
    p95 = float(one["cold_starts"].quantile(0.95, interpolation="linear")) if one.height else float("nan")
    out.append(Value("F6b-cluster-cs", _bool(p95 < 44_640) if one.height else None,
                     note=f"95th percentile of cold starts at ratio 1: {p95:.4g}"))
    pods, cpu = data["fig07a_pods"], data["fig07b_cpu"]

    def peak_day(d: pl.DataFrame, r: str) -> float | None:
        s = d.filter(pl.col("region") == r).sort(["proportion", "day"], descending=[True, False])
        return float(s["day"][0]) if s.height else None
    out += [Value(f"F7a-peakday-{r}", peak_day(pods, r), "holiday") for r in ("R1", "R2", "R4", "R5")]
    r2h = pods.filter((pl.col("region") == "R2") & pl.col("day").is_between(14, 21))
    out.append(Value("F7a-R2-holiday-min", float(r2h["proportion"].min()) if r2h.height else None, "holiday"))
    d12, d14 = _get(pods, "proportion", region="R3", day=12), _get(pods, "proportion", region="R3", day=14)
    out.append(Value("F7a-R3-rise", None if d12 is None or d14 is None else d14 - d12, "holiday"))
    flat = cpu.filter(pl.col("region").is_in(["R1", "R2", "R4", "R5"]))
    out.append(Value("F7b-flat", float(flat["proportion"].min()) if flat.height else None))
    out.append(Value("F7b-R3-peakday", peak_day(cpu, "R3")))
    return out


# --------------------------------------------------------------------------- Figs 8-9
_SHARE_KEYS = {"functions": {"trigger": FUNCTION_TABLE, "runtime": FUNCTION_TABLE, "config": FUNCTION_TABLE}}


def fig08_09_claims(data: dict[str, pl.DataFrame], claim_ids: list[str], async_share: float | None,
                    weekday_ratio: float | None) -> list[Value]:
    """Claims F8-*, F9-*. ``claim_ids`` = all claim ids of the paper (the F8 share ids encode
    kind, group and measure); ``async_share`` and ``weekday_ratio`` come from the notebook's calls
    to :func:`triggers.invocation_class_expr` and :func:`composition.weekday_weekend_ratio`."""
    out = []
    names = {}
    for kind in ("trigger", "runtime", "config"):
        for g in data[f"fig08_shares_{kind}"]["group"].unique().to_list():
            for meas in ("functions", "cold starts", "pods"):
                names[f"F8-{kind}-{g.replace('/', '_').replace('.', '')}-{meas.replace(' ', '')}"] = (kind, g, meas)
    for cid in claim_ids:
        if cid in names:
            kind, g, meas = names[cid]
            v = _get(data[f"fig08_shares_{kind}"], "share", group=g, measure=meas)
            out.append(Value(cid, v, _SHARE_KEYS.get(meas, {}).get(kind)))
    rt = data["fig08_shares_runtime"]
    out.append(Value("F8-python3-cs-text", _get(rt, "share", group="Python3", measure="cold starts")))
    cf = data["fig08_shares_config"].filter(pl.col("measure") == "cold starts")
    out.append(Value("F8-small-cs", float(cf.filter(pl.col("group").is_in(["300/128", "400/256"]))["share"].sum())))
    out.append(Value("F8-weekday", weekday_ratio, "day_volume"))
    out.append(Value("F8-async", async_share, FUNCTION_TABLE))
    return out


def fig09_claims(combo_shares: pl.DataFrame, crosstab: pl.DataFrame) -> list[Value]:
    """Claims F9-* from the raw trigger-string shares and the runtime x trigger crosstab."""
    def combo(c: str) -> float:
        return float(combo_shares.filter(pl.col("combo") == c)["share"].sum())
    multi = float(combo_shares.filter(pl.col("combo").str.contains(" "))["share"].sum())
    cu = crosstab.filter((pl.col("runtime") == "Custom") & (pl.col("trigger") != "unknown")).sort(
        ["share", "trigger"], descending=[True, False])
    return [Value("F9-timer", combo("TIMER-A"), FUNCTION_TABLE),
            Value("F9-apig", combo("APIG-S"), FUNCTION_TABLE),
            Value("F9-apig-timer", combo("APIG-S TIMER-A"), FUNCTION_TABLE),
            Value("F9-multi", multi, FUNCTION_TABLE),
            Value("F9-python3-timer", _get(crosstab, "share", runtime="Python3", trigger="TIMER-A"), FUNCTION_TABLE),
            Value("F9-java-apig", _get(crosstab, "share", runtime="Java", trigger="APIG-S"), FUNCTION_TABLE),
            Value("F9-http-apig", _get(crosstab, "share", runtime="http", trigger="APIG-S"), FUNCTION_TABLE),
            Value("F9-custom-obs", _bool(cu.height > 0 and cu["trigger"][0] == "OBS-A"), FUNCTION_TABLE,
                  note=f"most common known: {cu['trigger'][0] if cu.height else 'none'}")]


# --------------------------------------------------------------------------- Figs 10-11
def fig10_11_claims(data: dict[str, pl.DataFrame], iat_scale: float = 1.0) -> list[Value]:
    """Claims F10-*, F11-*.

    ``iat_scale``: a synthetic trace at ``scale`` s has s times the paper's cold starts over the
    same 31 days, so its inter-arrival times are 1/s times longer; IAT medians and the Weibull
    mean are multiplied by ``iat_scale`` (= s for such a trace, 1 for the release) to compare.
    """
    ln, wb = data["fig10b_lognormal"].row(0, named=True), data["fig10d_weibull"].row(0, named=True)
    q, iat = data["fig10_cs_quartiles"], data["fig10_iat_summary"]
    out = [Value("F10-lognormal-mean", ln["mean"]), Value("F10-lognormal-sd", ln["sd"]),
           Value("F10-lognormal-median", ln["median"]),
           Value("F10-weibull-mean", wb["mean"] * iat_scale,
                 note=f"x {iat_scale:g} (trace scale)" if iat_scale != 1 else ""),
           Value("F10-weibull-shape", wb["shape"])]
    out += [Value(f"F10a-median-{r}", _get(q, "median", region=r), "cold_start_median_s") for r in ("R1", "R2", "R3", "R4", "R5")]
    out += [Value(f"F10c-iat-median-{r}", None if _get(iat, "median", region=r) is None
                  else _get(iat, "median", region=r) * iat_scale,
                  note=f"x {iat_scale:g} (trace scale)" if iat_scale != 1 else "")
            for r in ("R1", "R2", "R3", "R4", "R5")]
    out += [Value(f"F10c-below1ms-{r}", _get(iat, "below_1ms", region=r), note="zeros (same ms) included")
            for r in ("R1", "R4")]
    h = data["fig11_hourly"]
    hmax = h.filter(pl.col("cold_starts") >= 10).group_by("region").agg(pl.col(TOTAL).max().alias("mx"))
    out += [Value("F11-R1-max", _get(hmax, "mx", region="R1"), note="max over hours with >= 10 cold starts"),
            Value("F11-R2-max", _get(hmax, "mx", region="R2"), note="max over hours with >= 10 cold starts")]
    comps = ["deployCodeCost", "deployDependencyCost", "schedulingCost", "podAllocationCost"]
    means = h.group_by("region").agg(
        *[((pl.col(c) * pl.col("cold_starts")).sum() / pl.col("cold_starts").sum()).alias(c) for c in [*comps, TOTAL]])
    out += [Value("F11-R1-mean", _get(means, TOTAL, region="R1")), Value("F11-R3-mean", _get(means, TOTAL, region="R3"))]
    r2 = means.filter(pl.col("region") == "R2")
    out.append(Value("F11-R2-pod-share", float(r2["podAllocationCost"][0] / r2[TOTAL][0]) if r2.height else None,
                     "component_share"))
    top2 = all(
        "schedulingCost" in sorted(comps, key=lambda c: -row[c])[:2] for row in means.iter_rows(named=True))
    out.append(Value("F11-sched-top2", _bool(top2), "component_share"))
    return out


# --------------------------------------------------------------------------- Figs 12-16
_F12 = {"cs": "cold start time", "n": "Num. cold starts", "sched": "scheduling time", "dep": "deploy dep. time",
        "pod": "pod alloc. time"}


def fig12_16_claims(data: dict[str, pl.DataFrame], claim_ids: list[str]) -> list[Value]:
    """Claims F12-* .. F16-*."""
    out = []
    sp = data["fig12_spearman"]
    for cid in claim_ids:
        if cid.startswith("F12-"):
            _, r, a, b = cid.split("-")
            out.append(Value(cid, _get(sp, "rho", region=r, row=_F12[a], col=_F12[b])))
    q = data["fig13_quartiles"].filter(pl.col("component") == TOTAL)
    w = q.pivot(on="pool_size", index="region", values="median")
    for r in ("R1", "R2", "R3", "R4", "R5"):
        row = w.filter(pl.col("region") == r)
        ok = row.height and {"small", "large"} <= set(w.columns) and row["small"][0] and row["large"][0] is not None
        out.append(Value(f"F13a-ratio-{r}", float(row["large"][0] / row["small"][0]) if ok else None, "small"))
    longer = all(float(rw["large"]) > float(rw["small"]) for rw in w.filter(pl.col("region") != "R5").iter_rows(named=True)
                 if rw.get("large") is not None and rw.get("small") is not None)
    out.append(Value("F13-large-longer", _bool(longer), "small"))
    pf = data["fig14_per_function"]
    rare = pf.filter((pl.col("requests") > 0) & (pl.col("requests") < 44_640))
    busy = pf.filter(pl.col("requests") >= 44_640)
    out.append(Value("F14-diagonal", float((rare["cold_starts"] >= 0.9 * rare["requests"]).mean()) if rare.height else None))
    out.append(Value("F14-above", float((busy["cold_starts"] < busy["requests"]).mean()) if busy.height else None))
    out.append(Value("F14-max-cs", float(pf["cold_starts"].max()) if pf.height else None,
                     note=f"over {pf.height} functions"))
    q15 = data["fig15_quartiles"]
    for g in ("Custom", "http", "Node.js", "Python3", "Java", "PHP7.3", "all"):
        key = "creation_mixture" if g in ("Custom", "http") else None
        out.append(Value(f"F15a-median-{g.replace('.', '')}", _get(q15, "median", runtime=g, component=TOTAL), key))
    out.append(Value("F15e-sched-Nodejs", _get(q15, "median", runtime="Node.js", component="schedulingCost")))
    out.append(Value("F15c-code-Go", _get(q15, "median", runtime="Go1.x", component="deployCodeCost")))
    q16 = data["fig16_quartiles"].filter(pl.col("component") == TOTAL)
    out.append(Value("F16a-median-OBS", _get(q16, "median", trigger="OBS-A")))
    out.append(Value("F16a-median-workflow", _get(q16, "median", trigger="workflow-S")))
    others = q16.filter(~pl.col("trigger").is_in(["OBS-A", "unknown", "all"]))
    out.append(Value("F16a-others-lt-1", _bool(others.height > 0 and float(others["median"].max()) < 1.0),
                     note=f"largest non-OBS median {float(others['median'].max()):.3g} s" if others.height else ""))
    return out


# --------------------------------------------------------------------------- Fig 17
def fig17_claims(data: dict[str, pl.DataFrame]) -> list[Value]:
    """Claims F17-*."""
    if "fig17_summary_runtime" not in data:
        return [Value(c, None, note="no per-request table in this trace") for c in
                ("F17-below1-all", "F17-median-all", "F17-below1-Nodejs", "F17-gt100-Go", "F17-le10-PHP",
                 "F17-le10-Java", "F17-below1-timer", "F17-median-workflow")]
    sr, st = data["fig17_summary_runtime"], data["fig17_summary_trigger"]
    return [Value("F17-below1-all", _get(sr, "share_le_1", runtime="all")),
            Value("F17-median-all", _get(sr, "median", runtime="all")),
            Value("F17-below1-Nodejs", _get(sr, "share_le_1", runtime="Node.js")),
            Value("F17-gt100-Go", _get(sr, "share_gt_100", runtime="Go1.x")),
            Value("F17-le10-PHP", _get(sr, "share_le_10", runtime="PHP7.3")),
            Value("F17-le10-Java", _get(sr, "share_le_10", runtime="Java")),
            Value("F17-below1-timer", _get(st, "share_le_1", trigger="TIMER-A")),
            Value("F17-median-workflow", _get(st, "median", trigger="workflow-S"))]


# ---------------------------------------------------------------------------------------------
# notebook 01: the dataset overview (§2.1) and Figure 1
def spread_decades(x: list[float]) -> float:
    """log10(max / min) of positive values."""
    a = np.asarray(x, dtype=float)
    return float(math.log10(a.max() / a.min()))


def rank_correlation(x: list[float], y: list[float]) -> float:
    """Spearman rank correlation."""
    return float(stats.spearmanr(x, y).statistic)


@dataclass(frozen=True)
class ClaimValue:
    """One value for the claims table."""

    id: str
    value: float | None
    tier: str
    role: str | None = None  # None: the claims file's role
    note: str = ""
    reason: str = ""  # set when not checkable


def overview_claims(trace: data.Trace, sizes: pl.DataFrame, meta: pl.DataFrame, meta_tier: str,
                    n_columns: int) -> list[ClaimValue]:
    """Values for the §0 and Figure 1 claims. Counts are divided by ``trace.scale``; on the
    synthetic tier every quantity the generator was calibrated to gets role "calibration", and the
    exact released row counts are not checkable."""
    syn = trace.tier == "synthetic"
    role = "calibration" if syn else None
    s, fs = trace.scale, trace.functions
    div = f"trace count / scale {s:g}" if s != 1 else ""
    fdiv = f"trace count / functions share {fs:g}" if fs != 1 else ""
    out: list[ClaimValue] = []
    has_req = sizes["n_requests"].null_count() == 0
    req = sizes["n_requests"].sum() if has_req else None
    out.append(ClaimValue("D1", req / s if has_req else None, trace.tier, role,
                          div, "" if has_req else "needs the quantiles/requests series"))
    out.append(ClaimValue("D2", sizes["n_cold_starts"].sum() / s, trace.tier, None, div))
    out.append(ClaimValue("D3", sizes["n_pods"].sum() / s, trace.tier, None,
                          "distinct podIDs in cold_start/ (pods alive at the start not in the "
                          "trace)" + (f"; {div}" if div else "")))
    out.append(ClaimValue("D4", float(sizes.height), trace.tier, role))
    out.append(ClaimValue("D5", float(sizes["n_clusters"].max()), trace.tier, role,
                          "max over regions of distinct clusterName"))
    out.append(ClaimValue("D6", float(sizes["n_days"].max()), trace.tier, role,
                          "distinct days with cold starts"))
    out.append(ClaimValue("D7", None, trace.tier, reason="a platform setting, not a trace field"))
    for cid, n in (("D8", sizes["n_cold_starts"].sum()),
                   ("D9", sizes.filter(pl.col("region") == "R2")["n_cold_starts"].sum())):
        if syn:
            out.append(ClaimValue(cid, None, trace.tier, reason="exact count of the real release; "
                                  "needs the real trace (make data GROUPS=huawei-coldstart)"))
        else:
            out.append(ClaimValue(cid, float(n), trace.tier))
    out.append(ClaimValue("D10", float(n_columns), trace.tier, role,
                          "columns of scan_cold_starts (released + region)"))
    mrole = None if meta_tier == "public" else "calibration"
    ids = meta["funcID"].str.split("---")
    out.append(ClaimValue("D11", float(meta.height), meta_tier, mrole, "runtime/trigger table rows"))
    out.append(ClaimValue("D12", float(ids.list.get(0).n_unique()), meta_tier, mrole))
    out.append(ClaimValue("D13", float(ids.list.get(1).n_unique()), meta_tier, mrole))
    return out + _fig1_claims(trace, sizes, role, div, fdiv)


def _fig1_claims(trace: data.Trace, sizes: pl.DataFrame, role: str | None, div: str,
                 fdiv: str) -> list[ClaimValue]:
    """Figure 1 values per region (functions / functions share, requests and pods / scale) and
    the span and rank claims over the regions."""
    syn, s, fs = trace.tier == "synthetic", trace.scale, trace.functions
    has_req = sizes["n_requests"].null_count() == 0
    out: list[ClaimValue] = []
    for row in sizes.iter_rows(named=True):
        r = row["region"]
        floor = syn and row["n_functions"] <= generate.MIN_FUNCTIONS
        out.append(ClaimValue(
            f"F1-functions-{r}", None if floor else row["n_functions"] / fs, trace.tier, role,
            f"{row['functions_source']}" + (f"; {fdiv}" if fdiv else ""),
            "the generator's minimum of 3 functions per region applies at this functions share" if floor else ""))
        out.append(ClaimValue(
            f"F1-requests-{r}", row["n_requests"] / s if row["n_requests"] is not None else None,
            trace.tier, role, div, "" if row["n_requests"] is not None else
            "needs the quantiles/requests series"))
        out.append(ClaimValue(f"F1-pods-{r}", row["n_pods"] / s, trace.tier, None,
                              "distinct podIDs" + (f"; {div}" if div else "")))
    if has_req and sizes.height >= 3:
        out.append(ClaimValue("F1-span", spread_decades(sizes["n_requests"].to_list()),
                              trace.tier, role, "over the regions present"))
        out.append(ClaimValue("F1-rank", rank_correlation(sizes["n_functions"].to_list(),
                                                          sizes["n_requests"].to_list()),
                              trace.tier, role, "over the regions present"))
    else:
        for cid in ("F1-span", "F1-rank"):
            out.append(ClaimValue(cid, None, trace.tier,
                                  reason="needs the requests series of at least 3 regions"))
    return out


def record_overview(tab, values: list[ClaimValue]) -> None:
    """Record :func:`overview_claims` values into a :class:`paperkit.claims.ClaimsTable`."""
    for v in values:
        if v.value is None or v.reason:
            tab.not_checkable(v.id, tier=v.tier, reason=v.reason or "no value")
        else:
            tab.record(v.id, v.value, tier=v.tier, role=v.role, note=v.note)
