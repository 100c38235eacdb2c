"""Figure computations for "Serverless Cold Starts and Where to Find Them" (EuroSys'25).

One module per job; every function is a pure polars frame -> frame transformation
(or a small scalar helper) so that it can be unit-tested on hand-built frames:

- :mod:`triggers`      trigger-combination aggregation rule (Figs 8, 9, 14, 16, 17)
- :mod:`pools`         pool-name parsing, funcID construction, small/large and config groups
- :mod:`runtimes`      runtime grouping (Fig 8b/e) and the Region 2 metadata join
- :mod:`regions`       per-region size and per-function/user statistics (Figs 1, 3, 4)
- :mod:`peaks`         diurnal peaks and the per-function peak-to-trough ratio (Figs 5, 6)
- :mod:`holidays`      holiday-window normalisation (Fig 7)
- :mod:`composition`   Region 2 running pods / shares by group (Figs 8, 9, 14)
- :mod:`distributions` CDFs on log grids, IATs, LogNormal/Weibull fits, hourly components (Figs 10, 11, 13, 15, 16)
- :mod:`correlation`   Spearman matrices of per-minute component means (Fig 12)
- :mod:`utility`       pod utility ratio (Fig 17)
- :mod:`figure_data`   all figure data for a trace (benchmark entry point)
- :mod:`pandas_baseline` the straightforward pandas version of the same (benchmark baseline)
"""
