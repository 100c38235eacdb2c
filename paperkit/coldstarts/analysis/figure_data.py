"""Every figure's data for a trace in the release layout (Figs 1, 3-17).

Each group function reads only what its figures need, so each notebook calls one of
them; :func:`all_figure_data` calls them all (the benchmark entry point) sharing the
in-memory inputs.  Returned frames are sorted; keys are ``figNN<panel>_<what>``.

Per-function counts (Figs 3a, 4, 6, 14) are divided by the trace's per-function scale: a synthetic
trace keeps the release's functions and has ``scale`` times their events, so these compare with
the paper's (a function with less than one event at that scale shows as 0).

Figs 3-7 and 14 run on polars' streaming engine over the parquet scans (series and cold-start
counts), so their memory does not grow with the trace; Figs 10-16 share the collected events.

Shared reductions (one pass over each input):

- requests and num_pods series -> per (region, funcID, hour) sums; every request/pod
  figure is computed from those (Fig 5 from the per-minute totals of days 0-2);
- the cold-start events are collected once (the columns the figures use) and reused.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl


from .. import data, load
from . import composition, correlation, distributions, holidays, peaks, regions, utility
from .cdf import binned_cdf
from .pools import funcid_expr, pool_from_pod_expr, pool_size_expr
from .runtimes import annotate_meta
from .series import MINUTES_PER_DAY, hour_expr

CS_COLUMNS = ("region", "day", "time", "funcName", "userID", "podID", "totalCost_cold_start",
              "podAllocationCost", "deployCodeCost", "deployDependencyCost", "schedulingCost")
FIG5_DAYS = 3


@dataclass
class TraceInputs:
    """Lazily collected, shared inputs of one trace (``data_dir`` in the release layout)."""

    data_dir: Path
    r2_table: str = "public"
    _cache: dict = field(default_factory=dict)

    def per_function_scale(self) -> float:
        """What per-function counts are divided by (1.0 for the release; a synthetic trace keeps
        the release's functions and has ``scale`` times their events)."""
        def build():
            man = load.manifest(self.data_dir)
            return 1.0 if man is None else float(man["scale"]) / data.manifest_functions(man)
        return self._get("pfs", build)

    def function_share(self) -> float:
        """The share of the release's functions the trace keeps (1.0 for the release): a region
        count of a stratified sample / this share estimates the whole region's."""
        def build():
            man = load.manifest(self.data_dir)
            return 1.0 if man is None else data.manifest_functions(man)
        return self._get("share", build)

    def per_function(self, df: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
        """``df`` with the per-function count columns ``cols`` divided by
        :meth:`per_function_scale`, so they compare with the paper's."""
        k = self.per_function_scale()
        return df if k == 1.0 else df.with_columns([pl.col(c) / k for c in cols])

    def _get(self, key, build):
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def cold_starts(self) -> pl.DataFrame:
        """Cold-start events (figure columns) + funcID and pool_size, in memory (funcName and userID
        are folded into funcID to save memory)."""
        def build():
            return (
                load.scan_cold_starts(self.data_dir).select(list(CS_COLUMNS))
                .with_columns(funcid_expr(), pool_from_pod_expr())
                .with_columns(pool_size_expr()).drop("poolName", "funcName", "userID")
                .collect()
            )
        return self._get("cs", build)

    def cold_start_counts(self) -> pl.DataFrame:
        """Cold starts per (region, funcID), counted from the scan by the streaming engine (the
        events are never all in memory): columns region, funcID, cold_starts."""
        def build():
            return (load.add_func_id(load.scan_cold_starts(self.data_dir))
                    .group_by("region", "funcID").agg(pl.len().alias("cold_starts"))
                    .collect(engine="streaming").sort(["region", "funcID"]))
        return self._get("cs_counts", build)

    def series(self, name: str) -> pl.LazyFrame:
        """Long per-minute series with the value column renamed to ``name``."""
        return load.scan_series(self.data_dir, name).rename({"value": name})

    def hourly(self, name: str) -> pl.DataFrame:
        """Per (region, funcID, hour) sums of a count series; ``time`` = hour start (s)."""
        def build():
            return (
                self.series(name).group_by("region", "funcID", hour_expr())
                .agg(pl.col(name).sum()).collect(engine="streaming")
                .with_columns((pl.col("hour") * 3600).alias("time"))
                .sort(["region", "funcID", "hour"])
            )
        return self._get(("hourly", name), build)

    def meta(self) -> tuple[pl.DataFrame, str]:
        """Region 2 runtime/trigger table and its tier (public when the real table is used)."""
        return self._get("meta", lambda: load.load_function_meta_tier(self.data_dir, self.r2_table))

    def function_table(self) -> tuple[pl.DataFrame, str]:
        """The Region 2 table for function shares and Fig 9: the trace's own for a real release,
        else the committed public table (``r2_table="public"``) or, when asked for, the generator's."""
        def build():
            meta, tier = self.meta()
            return (meta, tier) if load.trace_tier(self.data_dir) == "public" else load.load_function_meta_tier(
                None, self.r2_table)
        return self._get("ftable", build)

    def r2_cold_starts(self) -> pl.DataFrame:
        """Region 2 cold starts joined to the annotated metadata (runtime, trigger, config)."""
        def build():
            m = annotate_meta(self.meta()[0]).select("funcID", "runtime", "trigger", "config")
            return (
                self.cold_starts().filter(pl.col("region") == "R2").join(m, on="funcID", how="left")
                .with_columns(pl.col("runtime").fill_null("unknown"), pl.col("trigger").fill_null("unknown"))
            )
        return self._get("r2cs", build)


def inputs(trace: data.Trace) -> TraceInputs:
    """The shared figure inputs of a trace opened by :func:`paperkit.coldstarts.data.open_trace`."""
    return TraceInputs(trace.path, trace.r2_table)


def _inputs(data_dir: str | Path | TraceInputs) -> TraceInputs:
    return data_dir if isinstance(data_dir, TraceInputs) else TraceInputs(Path(data_dir))


def region_size(data_dir) -> dict[str, pl.DataFrame]:
    """Fig 1 data: functions, requests and pods (cold starts) per region."""
    t = _inputs(data_dir)
    sizes = data.region_sizes(t.data_dir).select(
        "region", pl.col("n_functions").alias("functions"), pl.col("n_requests").alias("requests"),
        pl.col("n_cold_starts").alias("pods"))
    return {"fig01_sizes": sizes}


def region_statistics(data_dir) -> dict[str, pl.DataFrame]:
    """Figs 3-4 data: median daily requests per function, per-minute execution time / CPU CDFs and
    medians, users."""
    t = _inputs(data_dir)
    req = t.hourly("requests").lazy()
    ex, cpu = t.series("totalCost_avg"), t.series("cpu_usage_avg")
    med = regions.pooled_minute_median(ex, "totalCost_avg").rename({"median": "exec_median_s"}).join(
        regions.pooled_minute_median(cpu, "cpu_usage_avg").rename({"median": "cpu_median_cores"}),
        on="region", how="full", coalesce=True)
    return {
        "fig03a_median_requests": t.per_function(regions.median_daily_requests(req),
                                                 ["median_per_day", "mean_per_day"]),
        "fig03b_exec_cdf": regions.pooled_minute_cdf(ex, "totalCost_avg", 1e-4, 1e3),
        "fig03c_cpu_cdf": regions.pooled_minute_cdf(cpu, "cpu_usage_avg", 1e-3, 1e2),
        "fig03_medians": med.sort("region"),
        "fig04_users": t.per_function(regions.users(req), ["requests"]),
    }


def peaks_holidays(data_dir) -> dict[str, pl.DataFrame]:
    """Figs 5-7 data: diurnal peaks, per-function peak-to-trough ratios, holiday normalisation."""
    t = _inputs(data_dir)
    req_h = t.hourly("requests")
    minute_req = t.series("requests").filter(pl.col("time") < FIG5_DAYS * MINUTES_PER_DAY * 60)
    s5, p5 = peaks.diurnal(minute_req, days=FIG5_DAYS)
    ratio = peaks.peak_to_trough(req_h.lazy())
    med = regions.median_daily_requests(req_h.lazy()).select("region", "funcID", "median_per_day")
    cs = t.cold_start_counts()
    tot = req_h.group_by("region", "funcID").agg(pl.col("requests").sum())
    ratio = (ratio.join(med, on=["region", "funcID"], how="left").join(tot, on=["region", "funcID"], how="left")
             .join(cs, on=["region", "funcID"], how="left")
             .with_columns(pl.col("cold_starts").fill_null(0)).sort(["region", "funcID"]))
    pods = holidays.normalise_window(holidays.daily_pods(t.hourly("num_pods").lazy()))
    cpu = holidays.normalise_window(holidays.daily_cpu(t.series("cpu_usage_avg")))
    ratio = t.per_function(ratio.with_columns(pl.col("cold_starts").cast(pl.Float64)),
                           ["median_per_day", "requests", "cold_starts"])
    return {"fig05_series": s5, "fig05_peaks": p5, "fig06_ratios": ratio,
            "fig07a_pods": pods, "fig07b_cpu": cpu}


def region2_composition(data_dir) -> dict[str, pl.DataFrame]:
    """Figs 8, 9 data (Region 2): running pods per hour and shares by trigger / runtime / config,
    runtime x trigger crosstab (function shares and Fig 9 from :meth:`TraceInputs.function_table`)."""
    t = _inputs(data_dir)
    meta, _tier = t.meta()
    pods = t.hourly("num_pods").filter(pl.col("region") == "R2").lazy()
    cs = t.cold_starts().filter(pl.col("region") == "R2").lazy()
    out: dict[str, pl.DataFrame] = {}
    for kind in composition.GROUP_KINDS:
        out[f"fig08_pods_{kind}"] = composition.pods_per_hour(pods, meta, kind)
        out[f"fig08_shares_{kind}"] = composition.shares(pods, cs, meta, kind, func_meta=t.function_table()[0])
    out["fig09_crosstab"] = composition.runtime_trigger_crosstab(t.function_table()[0])
    return out


def region2_requests_cold_starts(data_dir) -> dict[str, pl.DataFrame]:
    """Fig 14 data (Region 2): total requests vs cold starts per funcID, with its trigger."""
    t = _inputs(data_dir)
    req = t.hourly("requests").filter(pl.col("region") == "R2").lazy()
    cs = load.scan_cold_starts(t.data_dir).filter(pl.col("region") == "R2")
    pf = composition.requests_vs_cold_starts(req, cs, t.meta()[0])
    return {"fig14_per_function": t.per_function(
        pf.with_columns(pl.col("cold_starts").cast(pl.Float64)), ["requests", "cold_starts"])}


def cold_start_distributions(data_dir) -> dict[str, pl.DataFrame]:
    """Figs 10-11 data: cold-start time and IAT CDFs (per region and pooled 'all'), LogNormal and
    Weibull fits, medians, hourly component means."""
    t = _inputs(data_dir)
    cs = t.cold_starts().lazy()
    iat = distributions.inter_arrival_times(cs).collect()
    tot = distributions.TOTAL
    cs_cdf = pl.concat([distributions.cold_start_cdf(cs),
                        binned_cdf(cs.with_columns(pl.lit("all").alias("region")), tot, ["region"],
                                   *distributions.CS_GRID, n=distributions.N_GRID)])
    iat_all = iat.with_columns(pl.lit("all").alias("region"))
    iat_cdf = pl.concat([binned_cdf(iat, "iat", ["region"], *distributions.IAT_GRID, n=distributions.N_IAT_GRID),
                         binned_cdf(iat_all, "iat", ["region"], *distributions.IAT_GRID,
                                    n=distributions.N_IAT_GRID)])
    quart = pl.concat([distributions.quartiles(cs, tot, ["region"]),
                       distributions.quartiles(cs.with_columns(pl.lit("all").alias("region")), tot, ["region"])])
    return {
        "fig10a_cs_cdf": cs_cdf.sort(["region", "x"]),
        "fig10c_iat_cdf": iat_cdf.sort(["region", "x"]),
        "fig10_cs_quartiles": quart.sort("region"),
        "fig10_iat_summary": pl.concat([distributions.iat_summary(iat), distributions.iat_summary(iat_all)]).sort("region"),
        "fig10b_lognormal": pl.DataFrame([distributions.lognormal_fit(cs)]),
        "fig10d_weibull": pl.DataFrame([distributions.weibull_fit(iat)]),
        "fig11_hourly": distributions.hourly_components(cs).with_columns(
            cold_starts_region=pl.col("cold_starts") / t.function_share()),
    }


def components_by_group(data_dir) -> dict[str, pl.DataFrame]:
    """Figs 12, 13, 15, 16 data: Spearman matrices, pool-size distributions, Region 2 component
    CDFs by runtime and by trigger."""
    t = _inputs(data_dir)
    cs = t.cold_starts().lazy()
    ps_cdf, ps_q = distributions.pool_size_data(cs)
    r2 = t.r2_cold_starts().lazy()
    c15, q15 = distributions.group_data_with_all(r2, "runtime")
    c16, q16 = distributions.group_data_with_all(r2, "trigger")
    return {
        "fig12_spearman": correlation.spearman_matrix(correlation.per_minute_means(cs)),
        "fig13_cdf": ps_cdf,
        "fig13_quartiles": ps_q,
        "fig15_cdf": c15, "fig15_quartiles": q15, "fig16_cdf": c16, "fig16_quartiles": q16,
    }


def pod_utility(data_dir) -> dict[str, pl.DataFrame]:
    """Fig 17 data (Region 2, day 30): per-pod utility ratios with runtime and trigger, CDFs,
    summaries and request-table coverage per region; per-pod lifetimes of every region
    (``fig17_lifetimes``) and their quantiles (``fig17_lifetime_summary``). Streaming engine."""
    t = _inputs(data_dir)
    cs = t.cold_starts().lazy()
    try:
        req = load.scan_requests(t.data_dir)
    except ValueError:
        return {}
    last_day = int(t.cold_starts()["day"].max())
    r = utility.utility_ratios(cs, req, day=last_day)
    cov = utility.coverage(cs, r, day=last_day)
    m = annotate_meta(t.meta()[0]).select("funcID", "runtime", "trigger")
    r2 = (r.filter(pl.col("region") == "R2").join(m, on="funcID", how="left")
          .with_columns(pl.col("runtime").fill_null("unknown"), pl.col("trigger").fill_null("unknown")))
    life = utility.pod_lifetimes(cs, req, day=last_day)
    out = {"fig17_coverage": cov, "fig17_ratios": r2.sort("podID"), "fig17_lifetimes": life,
           "fig17_lifetime_summary": utility.lifetime_summary(life)}
    for g in ("runtime", "trigger"):
        d = pl.concat([r2.select(g, "ratio"), r2.select(pl.lit("all").alias(g), "ratio")])
        out[f"fig17_cdf_{g}"] = binned_cdf(d, "ratio", [g], 1e-3, 1e5, n=241)
        out[f"fig17_summary_{g}"] = utility.ratio_summary(r2, g)
    return dict(sorted(out.items()))


GROUPS = (region_size, region_statistics, peaks_holidays, region2_composition, region2_requests_cold_starts,
          cold_start_distributions, components_by_group, pod_utility)


def all_figure_data(data_dir: str | Path) -> dict[str, pl.DataFrame]:
    """Every figure's data (Figs 1, 3-17) for the trace at ``data_dir``, as sorted polars frames."""
    t = _inputs(data_dir)
    out: dict[str, pl.DataFrame] = {}
    for fn in GROUPS:
        out.update(fn(t))
    return dict(sorted(out.items()))


def rounded(df: pl.DataFrame, digits: int = 4):
    """A pandas copy of ``df`` with floats rounded to ``digits`` significant digits (for display)."""
    return df.with_columns([pl.col(c).round_sig_figs(digits) for c, t in df.schema.items()
                            if t in (pl.Float64, pl.Float32)]).to_pandas()
