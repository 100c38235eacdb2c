"""POLCA (Patel et al., ASPLOS'24 / arXiv 2308.12908): LLM power characterisation and a
row-level power-oversubscription simulator.

Design: the role modules a notebook imports are :mod:`data` (public inputs), :mod:`measure`
(the GPU campaign and the committed H200 measurement), :mod:`compute` (a facade over the
models and the simulator, plus frame builders), :mod:`plots` (one function per figure),
:mod:`claimvalues` (claim values into a claims table), ``figures.toml``, :mod:`bench` and
``__main__``. The internal modules behind them (one job each):

- :mod:`data`       -- public inputs via ``paperkit.registry.fetch`` (splitwise ``perf_model.csv``,
  Azure LLM 2023 traces) into tidy polars frames.
- :mod:`phase`      -- per-phase GPU power model (prefill spike, decode plateau) and latency
  model, fitted to the public A100-80GB data; fit-quality report.
- :mod:`capping`    -- frequency-cap / power-cap effect on power and latency per phase, fitted to
  the paper's reported numbers (C14-C17). *Modelled*, never re-measured.
- :mod:`rowtrace`   -- synthetic six-week normalised row power trace calibrated to the paper's
  statistics (79 % peak, 11.8 % max 40 s rise). *Synthetic*.
- :mod:`workload`   -- per-server request arrivals (Azure token mix, rate following the row
  trace) -> per-second per-server GPU activity, aggregated per priority class in chunks.
- :mod:`sim`        -- event-driven row controller (POLCA and baselines) over the aggregated
  series, cost per event (state powers precomputed, next crossing by binary search); metrics
  (brake events, capping episodes, latency/throughput impact).
- :mod:`sweep`      -- oversubscription sweep, sensitivities, the pass criterion (once).
- :mod:`sampler`, :mod:`harness` -- NVML power sampler thread and the random-weight LLM-shaped
  inference/training harness (GPU campaign; toy size on CPU in tests).
- :mod:`bench`      -- sweep speed benchmark (six weeks, 4 policies x 0-50 %, against the first
  implementation).
"""

PAPER = "polca"
