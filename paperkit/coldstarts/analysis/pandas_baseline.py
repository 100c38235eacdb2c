"""The straightforward pandas version of :func:`figure_data.all_figure_data` (benchmark baseline).

Written the way the authors' demo notebook (sir-lab/data-release ``src/demo_cold_start.ipynb``)
works: ``pd.read_csv`` every daily CSV of a region, concatenate (wide per-minute frames with one
column per funcID), then group with pandas.  Regions and series are processed one at a time and
freed, as the demo does with ``gc``.  It computes the same figure data (same keys, same
definitions, same log grids) so the benchmark compares like with like; the per-function
peak-to-trough algorithm and the MLE fits are shared with paperkit (they are not data handling).
"""
from __future__ import annotations

import gc
from glob import glob
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.ndimage import uniform_filter1d
from scipy.signal import find_peaks

from .. import fit
from . import peaks as _peaks
from .cdf import log_grid
from .distributions import CS_GRID, IAT_GRID, N_GRID, N_IAT_GRID, PANELS, TOTAL
from .triggers import TRIGGER_COL, aggregate_trigger


SEC_PER_DAY = 86_400


def _regions(data_dir: Path, part: str) -> list[str]:
    return sorted(p.name for p in (data_dir / part).glob("R*") if p.is_dir())


def read_cold_starts(data_dir: Path) -> pd.DataFrame:
    """All cold-start CSVs of all regions, concatenated, + ``region`` (demo step 1)."""
    frames = []
    for r in _regions(data_dir, "cold_start"):
        df = pd.concat([pd.read_csv(f) for f in sorted(glob(str(data_dir / "cold_start" / r / "*.csv")))],
                       ignore_index=True)
        df["region"] = r
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def read_wide(data_dir: Path, region: str, name: str) -> pd.DataFrame:
    """The 31 daily wide files of one series of one region, concatenated (demo step 3)."""
    files = sorted(glob(str(data_dir / "quantiles" / region / name / "*.csv")))
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)


def _cdf(values: np.ndarray, lo: float, hi: float, n: int = N_GRID) -> tuple[np.ndarray, np.ndarray, int]:
    v = values[np.isfinite(values) & (values > 0)]
    grid = log_grid(lo, hi, n)
    return grid, np.searchsorted(np.sort(v), grid, side="right") / max(v.size, 1), v.size


def _cdf_frame(key: dict, values: np.ndarray, lo: float, hi: float, n_grid: int = N_GRID) -> pd.DataFrame:
    x, c, n = _cdf(np.asarray(values, dtype=float), lo, hi, n_grid)
    return pd.DataFrame({**key, "x": x, "cdf": c, "n": n})


def _func_id(df: pd.DataFrame) -> pd.Series:
    pool = df["podID"].str.split("-").str[:3].str.join("-")
    return df["funcName"].astype(str) + "---" + df["userID"].astype(str) + "---" + pool


def _meta(data_dir: Path) -> pd.DataFrame:
    f = data_dir / "runtime_triggerType" / "df_funcID_runtime_triggerType.csv"
    m = pd.read_csv(f)
    m["trigger"] = m[TRIGGER_COL].map(aggregate_trigger)
    big = ["Custom", "Java", "Node.js", "Python2", "Python3", "http"]
    m["runtime_group"] = m["runtime"].where(m["runtime"].isin(big), "other")
    cpu_mem = m["funcID"].str.split("---").str[2].str.split("-")
    lab = cpu_mem.str[-2] + "/" + cpu_mem.str[-1]
    m["config"] = lab.where(lab.isin(["300/128", "400/256", "600/512", "1000/1024"]), "other")
    return m


def series_figures(data_dir: Path) -> dict[str, pd.DataFrame]:
    """Figs 1, 3-8 (series parts) region by region from the wide CSVs."""
    out: dict[str, list] = {k: [] for k in ("fig01", "fig03a", "fig03b", "fig03c", "med", "fig04", "fig05", "fig06",
                                            "fig07a", "fig07b", "fig08")}
    for r in _regions(data_dir, "quantiles"):
        req = read_wide(data_dir, r, "requests")
        funcs = [c for c in req.columns if c not in ("day", "time")]
        vals = req[funcs].fillna(0)
        total = vals.sum()
        out["fig01"].append(pd.DataFrame({"region": [r], "functions": [len(funcs)], "requests": [total.sum()]}))
        daily = vals.groupby(req["time"] // SEC_PER_DAY).sum()
        out["fig03a"].append(pd.DataFrame({"region": r, "funcID": funcs, "median_per_day": daily.median().values}))
        users = pd.DataFrame({"user": [f.split("---")[1] for f in funcs], "requests": total.values})
        u = users.groupby("user").agg(functions=("requests", "size"), requests=("requests", "sum")).reset_index()
        out["fig04"].append(u.assign(region=r))
        per_min = vals.sum(axis=1).to_numpy()[: 3 * 1440]
        norm = (per_min - per_min.min()) / max(per_min.max() - per_min.min(), 1e-300)
        sm = pd.Series(norm).rolling(45, center=True, min_periods=1).mean().to_numpy()
        pk, _ = find_peaks(sm)
        out["fig05"].append(pd.DataFrame({"region": r, "t_days": np.arange(sm.size) / 1440, "norm": norm,
                                          "smooth": sm, "is_peak": np.isin(np.arange(sm.size), pk)}))
        hourly = vals.groupby(req["time"] // 3600).sum()
        ratio = [_peaks.ratio_of_series(hourly[c].to_numpy()) for c in funcs]
        out["fig06"].append(pd.DataFrame({"region": r, "funcID": funcs, "ratio": ratio}))
        del req, vals, daily, hourly
        gc.collect()
        for name, key, lo, hi in (("totalCost_avg", "fig03b", 1e-4, 1e3), ("cpu_usage_avg", "fig03c", 1e-3, 1e2)):
            w = read_wide(data_dir, r, name)
            m = w.drop(columns=["day", "time"])
            cells = m.to_numpy().ravel()
            cells = cells[~np.isnan(cells)]
            out[key].append(_cdf_frame({"region": r}, cells, lo, hi))
            out["med"].append(pd.DataFrame({"region": [r], "stat": [name], "median": [np.median(cells[cells > 0])]}))
            if name == "cpu_usage_avg":
                day = w["time"] // SEC_PER_DAY
                d = m.groupby(day).sum().sum(axis=1) / m.groupby(day).count().sum(axis=1)
                out["fig07b"].append(pd.DataFrame({"region": r, "day": d.index, "value": d.values}))
            del w, m, cells
            gc.collect()
        pods = read_wide(data_dir, r, "num_pods")
        pf = [c for c in pods.columns if c not in ("day", "time")]
        pm = pods[pf].fillna(0)
        d = pm.sum(axis=1).groupby(pods["time"] // SEC_PER_DAY).sum() / 1440
        out["fig07a"].append(pd.DataFrame({"region": r, "day": d.index, "value": d.values}))
        if r == "R2":
            meta = _meta(data_dir).set_index("funcID")
            for kind, col in (("trigger", "trigger"), ("runtime", "runtime_group"), ("config", "config")):
                groups = meta[col].reindex(pf).fillna("unknown" if kind == "trigger" else "other")
                by = pm.T.groupby(groups.values).sum().T
                hourly_pods = by.groupby(pods["time"] // 3600).sum() / 60.0
                out["fig08"].append(hourly_pods.stack().rename("pods").reset_index().assign(kind=kind))
        del pods, pm
        gc.collect()
    res = {k: pd.concat(v, ignore_index=True) for k, v in out.items() if v}
    for k in ("fig07a", "fig07b"):
        w = res[k][res[k]["day"].between(10, 25)].copy()
        w["proportion"] = w["value"] / w.groupby("region")["value"].transform("max")
        res[k] = w
    return res


def _fig13(cs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Fig 13: component CDFs and quartiles by region and pool size (adds ``pool_size`` to ``cs``)."""
    pool = cs["podID"].str.split("-")
    cpu, mem = pool.str[1].astype(int), pool.str[2].astype(int)
    cs["pool_size"] = np.where((cpu <= 400) & (mem <= 256), "small", "large")
    frames, qs = [], []
    for comp in PANELS:
        sub = cs[cs[comp] > 0]
        for (r, s), g in sub.groupby(["region", "pool_size"]):
            frames.append(_cdf_frame({"region": r, "pool_size": s, "component": comp}, g[comp].to_numpy(), *CS_GRID))
        q = sub.groupby(["region", "pool_size"])[comp].quantile([0.25, 0.5, 0.75]).unstack()
        qs.append(q.assign(component=comp))
    return {"fig13_cdf": pd.concat(frames), "fig13_quartiles": pd.concat(qs)}


def _fig17(data_dir: Path, r2: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Fig 17: utility ratio of the last day's Region 2 pods from the request tables (if any)."""
    req_files = sorted(glob(str(data_dir / "per_request" / "R2" / "*.csv")))
    if not req_files:
        return {}
    rq = pd.concat([pd.read_csv(f) for f in req_files], ignore_index=True)
    rq["end"] = rq["time_worker"] + rq["totalCost_worker"].fillna(0)
    last = rq.groupby("podID")["end"].max().rename("last_end").reset_index()
    day = r2[r2["day"] == r2["day"].max()].merge(last, on="podID")
    day["ratio"] = (day["last_end"] - day["time"] - day[TOTAL]).clip(lower=0) / day[TOTAL]
    return {"fig17": day[["podID", "runtime", "trigger", "ratio"]]}


def cold_start_figures(data_dir: Path) -> dict[str, pd.DataFrame]:
    """Figs 1 (pods), 8d-f / 10-16 from the concatenated cold-start frame; Fig 17 from the requests."""
    cs = read_cold_starts(data_dir)
    res: dict[str, pd.DataFrame] = {}
    res["fig01_pods"] = cs.groupby("region").size().rename("pods").reset_index()
    # Fig 10
    res["fig10a"] = pd.concat([_cdf_frame({"region": r}, g[TOTAL].to_numpy(), *CS_GRID) for r, g in cs.groupby("region")]
                              + [_cdf_frame({"region": "all"}, cs[TOTAL].to_numpy(), *CS_GRID)])
    cs = cs.sort_values(["region", "time"])
    cs["iat"] = cs.groupby("region")["time"].diff()
    iat = cs["iat"].dropna()
    res["fig10c"] = pd.concat([_cdf_frame({"region": r}, g["iat"].dropna().to_numpy(), *IAT_GRID, N_IAT_GRID)
                               for r, g in cs.groupby("region")] + [_cdf_frame({"region": "all"}, iat.to_numpy(), *IAT_GRID, N_IAT_GRID)])
    res["fig10_quartiles"] = cs[cs[TOTAL] > 0].groupby("region")[TOTAL].quantile([0.25, 0.5, 0.75]).unstack()
    mu, sigma = fit.fit_lognormal(cs[TOTAL].to_numpy())
    k, lam = fit.fit_weibull(iat.to_numpy())
    res["fig10_fits"] = pd.DataFrame({"mu": [mu], "sigma": [sigma], "shape": [k], "scale": [lam]})
    # Fig 11, 12
    cs["hour"] = (cs["time"] // 3600).astype(int)
    comps = ["deployCodeCost", "deployDependencyCost", "schedulingCost", "podAllocationCost", TOTAL]
    res["fig11"] = cs.groupby(["region", "hour"])[comps].mean().join(cs.groupby(["region", "hour"]).size().rename("cold_starts"))
    cs["minute"] = (cs["time"] // 60).astype(int)
    pm = cs.groupby(["region", "minute"])[comps].mean().join(cs.groupby(["region", "minute"]).size().rename("cold_starts"))
    res["fig12"] = pm.groupby(level="region").corr(method="spearman")
    res.update(_fig13(cs))
    # Region 2: Figs 8 (cold-start shares), 14, 15, 16
    r2 = cs[cs["region"] == "R2"].copy()
    r2["funcID"] = _func_id(r2)
    meta = _meta(data_dir)
    r2 = r2.merge(meta[["funcID", "runtime", "trigger", "runtime_group", "config"]], on="funcID", how="left")
    r2["runtime"] = r2["runtime"].fillna("unknown")
    r2["trigger"] = r2["trigger"].fillna("unknown")
    res["fig08_cs_shares"] = pd.concat([r2[c].value_counts(normalize=True).rename("share").reset_index().assign(kind=c)
                                        for c in ("trigger", "runtime_group", "config")])
    res["fig09"] = pd.crosstab(meta["runtime"], meta["trigger"], normalize="index")
    res["fig14_cs"] = r2.groupby("funcID").size().rename("cold_starts").reset_index()
    for key, grp in (("fig15", "runtime"), ("fig16", "trigger")):
        frames, qs = [], []
        for comp in PANELS:
            sub = r2[r2[comp] > 0]
            for g, d in list(sub.groupby(grp)) + [("all", sub)]:
                frames.append(_cdf_frame({grp: g, "component": comp}, d[comp].to_numpy(), *CS_GRID))
                qs.append(pd.DataFrame({grp: [g], "component": [comp], "median": [d[comp].median()]}))
        res[f"{key}_cdf"], res[f"{key}_quartiles"] = pd.concat(frames), pd.concat(qs)
    res.update(_fig17(data_dir, r2))
    return res


def all_figure_data(data_dir: str | Path) -> dict[str, pd.DataFrame]:
    """Every figure's data with pandas (the benchmark baseline); keys name the figure."""
    d = Path(data_dir)
    out = series_figures(d)
    out.update(cold_start_figures(d))
    return out
