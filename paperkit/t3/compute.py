"""Compute role module of T3 (a facade): the model and the analyses a notebook calls.

The model itself lives in ``closed_form`` (bounds, bytes), ``des`` (the discrete-event contention model,
one function per mode) and ``model`` (``simulate`` / ``sweep``); ``analysis`` adds summaries and projections.
"""
from paperkit.t3.analysis import (breakdown_shape_holds, byte_breakdown, byte_reduction, comm_share, comm_share_window, contention_shape_holds,  # noqa: F401
                                  cu_split_frame, dram_efficiency, end_to_end, parameter_table, sensitivity, speedup_summary,
                                  t3_vs_mca)
from paperkit.t3.model import simulate, sweep, timeline_frame  # noqa: F401
