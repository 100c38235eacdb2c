"""Huawei Cloud 2025 cold-start trace ("Serverless Cold Starts and Where to Find Them", EuroSys'25).

Design of the data layer:

- :mod:`.schema`   -- the released columns and dtypes of every table (cold starts, per-minute
  series, request tables, Region 2 runtime/trigger table) and header validation; a wrong or
  missing column raises ``ValueError`` naming the file and the column.
- :mod:`.load`     -- lazy polars scans of a trace in the release's own on-disk layout
  (``cold_start/R{n}/day_XX.csv``, ``quantiles/R{n}/<folder>/day_XX.csv``,
  ``per_request/R{n}/*.csv`` or the release's zips, ``runtime_triggerType/df_funcID_runtime_triggerType.csv``).
  Each CSV is converted once, atomically, to a parquet cache under
  ``paths.cache_dir()/coldstarts/parquet/<hash of data_dir>/`` and re-used while its size and
  mtime are unchanged and the parquet keeps its recorded SHA-256, so the full release (11.9 M cold
  starts) fits a 24 GB laptop.
- :mod:`.widecsv`  -- the sparse reader of the wide per-minute files (only non-empty cells parsed).
- :mod:`.validate` -- cold-start row rules (costs, components vs total, days, short/long and
  duplicate rows), run once per file at conversion: an error naming file, line and fix, or
  ``on_invalid="drop"``.
- :mod:`.cachefiles` -- unique temporary names and content digests of every cache the package writes.
- :mod:`.generate` -- a seeded, vectorised synthetic-trace generator writing exactly that layout at
  a ``scale`` (1.0 = the paper's 11.9 M cold starts; the release's 14,108 functions at any scale), calibrated to the fingerprints of
  numbers read from the paper and the released Region 2 table (:data:`generate.FINGERPRINTS`). Its output is tier ``synthetic`` and carries a
  ``SYNTHETIC.json`` manifest with the generator's parameters.
- :mod:`.fit`      -- maximum-likelihood LogNormal and Weibull fits.
- :mod:`.summarize` -- per-region summary (counts, cold-start time, fits, component shares) behind
  ``python -m paperkit.coldstarts summarize DATA_DIR``; the same functions the notebooks use.
- :mod:`.data`     -- the data role: ``open_trace`` (the one entry of every notebook) and Fig. 1's data.
- :mod:`.rules`    -- the trigger, config and pool rules and the manifest name, shared by the
  generator and the analysis.
- :mod:`.overview` -- notebook 01: Table 1 (schema summary), the Figure 1 plot, §0 claims.
- :mod:`.fingerprints` -- the generator's calibration targets (``generate.FINGERPRINTS``).
- :mod:`.bench`    -- ``python -m paperkit.coldstarts.bench``: the DuckDB/pandas peer comparison and
  the request tables at three sizes (wall time, peak RSS, disk).

Units follow the release: seconds for times and costs, cores for CPU, MB for memory.
"""

PAPER = "coldstarts"
REGIONS: tuple[str, ...] = ("R1", "R2", "R3", "R4", "R5")
N_DAYS = 31
DAY_S = 86_400
NOT_MODELLED: dict[str, str] = {
    "timer_bursts": "timer bursts at minute boundaries",
    "pod_allocation_modes": "the pod-allocation multimodality",
    "peak_to_trough": "per-function periodicity (peak-to-trough ratios)",
    "r3_gap": "the R3 data gap",
}
"""What the synthetic generator does not model (:mod:`.generate`'s "Not modelled"), by the
``quantity`` name a claim gives; :func:`paperkit.claims.not_modelled` reads it."""
