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
- :mod:`rowtrace`   -- synthetic six-week normalised row power envelope (the row as the
  controller sees it is calibrated to 79 % peak, 11.8 % max 40 s rise in :mod:`row`). *Synthetic*.
- :mod:`workload`   -- per-server request arrivals (Azure token mix, rate following the row
  trace) -> per-second per-server GPU activity, aggregated per priority class in chunks.
- :mod:`control`    -- the controller API (stages of caps per class + a Markov decision rule);
  POLCA, uniform, power-cap and brake-only built on it; ``PATH.py:Class`` loader.
- :mod:`sim`        -- event-driven engine running a controller over the aggregated series on
  telemetry (PDU mean), cost per event; metrics. :mod:`reference` -- the first controller (oracle).
- :mod:`protection` -- breaker and UPS trip curves on the true 1-s power; excursions.
- :mod:`serving`    -- fluid serving loop per class (prefill queue, batch growth): TTFT, TBT.
- :mod:`safelevel`  -- the safety criterion (once) and the safe level by bisection over seeds.
- :mod:`sweep`      -- oversubscription grid and sensitivities.
- :mod:`sampler`, :mod:`harness` -- NVML power sampler thread and the random-weight LLM-shaped
  inference/training harness (GPU campaign; toy size on CPU in tests).
- :mod:`bench`      -- benchmark of the whole evaluation (4 policies x bisection x 5 seeds x six weeks).
"""

PAPER = "polca"
