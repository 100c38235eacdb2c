"""Public POLCA inputs, loaded through ``paperkit.registry.fetch`` (tier ``public``).

- :func:`perf_model` -- splitwise-sim ``perf_model.csv`` (DGX-A100/H100 profiling by the POLCA
  first author), repeats averaged per configuration. Power columns are fractions of the 400 W
  A100 TDP (non-zero only for A100-80GB rows). Times in ms.
- :func:`azure_requests` -- Azure LLM inference trace 2023 (code + conversation): one row per
  request with arrival second and prompt / output token counts.
"""

from __future__ import annotations

import polars as pl

from paperkit import registry

PERF_FILE = "splitwise/perf_model.csv"
AZURE_FILES = {
    "code": "azure_llm_2023/AzureLLMInferenceTrace_code.csv",
    "conv": "azure_llm_2023/AzureLLMInferenceTrace_conv.csv",
}
KEYS = ["model", "hardware", "tensor_parallel", "prompt_size", "batch_size", "token_size"]


def _fetch(name: str):
    return registry.fetch(name)


def perf_model_raw() -> pl.DataFrame:
    """The raw ``perf_model.csv`` rows (1,260), unchanged."""
    return pl.read_csv(_fetch(PERF_FILE))


def aggregate_perf(raw: pl.DataFrame) -> pl.DataFrame:
    """Average repeats per configuration; adds ``n_rep``. Sorted by the key columns."""
    missing = [c for c in KEYS + ["peak_power", "average_power", "prompt_time", "token_time"]
               if c not in raw.columns]
    if missing:
        raise ValueError(f"perf_model frame lacks columns {missing}; pass perf_model_raw()")
    return (raw.group_by(KEYS)
            .agg(pl.len().alias("n_rep"),
                 pl.col("peak_power").mean(), pl.col("average_power").mean(),
                 pl.col("prompt_time").mean().alias("prompt_ms"),
                 pl.col("token_time").mean().alias("token_ms"),
                 pl.col("e2e_time").mean().alias("e2e_ms"))
            .sort(KEYS))


def perf_model(with_power_only: bool = True) -> pl.DataFrame:
    """Aggregated perf table; by default only rows with power data (A100-80GB).

    Adds ``tokens = prompt_size * batch_size`` (prefill tokens per batch) and
    ``mean_artefact`` (Llama2-70B at prompt 8192, where the mean of ~0.17 x TDP looks like a
    logging artefact; the spec flags it).
    """
    df = aggregate_perf(perf_model_raw())
    if with_power_only:
        df = df.filter(pl.col("peak_power") > 0)
    return df.with_columns(
        (pl.col("prompt_size") * pl.col("batch_size")).alias("tokens"),
        ((pl.col("model") == "llama2-70b") & (pl.col("prompt_size") >= 8192)).alias("mean_artefact"),
    )


def azure_requests(services: tuple[str, ...] = ("code", "conv")) -> pl.DataFrame:
    """Azure 2023 requests: ``service, t_s`` (s since the service trace's first request),
    ``prompt`` and ``output`` tokens. Sorted by service then time."""
    bad = [s for s in services if s not in AZURE_FILES]
    if bad:
        raise ValueError(f"unknown Azure service(s) {bad}; choose from {sorted(AZURE_FILES)}")
    frames = []
    for s in services:
        df = pl.read_csv(_fetch(AZURE_FILES[s]))
        ts = df["TIMESTAMP"].str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us")
        frames.append(pl.DataFrame({
            "service": [s] * df.height,
            "t_s": (ts - ts.min()).dt.total_microseconds().cast(pl.Float64) / 1e6,
            "prompt": df["ContextTokens"].cast(pl.Int64),
            "output": df["GeneratedTokens"].cast(pl.Int64),
        }))
    return pl.concat(frames).sort(["service", "t_s"])


def azure_summary(req: pl.DataFrame) -> pl.DataFrame:
    """Per service: requests, duration (s), rate (req/s), prompt/output medians and p99
    (linear interpolation). Sorted by service."""
    return (req.group_by("service").agg(
        pl.len().alias("requests"),
        pl.col("t_s").max().alias("duration_s"),
        pl.col("prompt").quantile(0.5, interpolation="linear").alias("prompt_p50"),
        pl.col("prompt").quantile(0.99, interpolation="linear").alias("prompt_p99"),
        pl.col("output").quantile(0.5, interpolation="linear").alias("output_p50"),
        pl.col("output").quantile(0.99, interpolation="linear").alias("output_p99"),
    ).with_columns((pl.col("requests") / pl.col("duration_s")).alias("rate_per_s")).sort("service"))
