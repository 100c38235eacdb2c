"""Fuyou's compute role: one import point for the model and the analyses (a thin facade).

* ``mechanism``: the closed-form mechanism model with three fitted parameters, the fit on the
  authors' artifact measurements, held-out and leave-one-SSD-count-out validation, and the
  ZeRO-Infinity schedule (notebook 05).
* ``model`` / ``timeline``: the discrete-event model of Fuyou, ZeRO-Infinity and ZeRO-Offload
  (per-resource timelines, ablations; notebooks 01-03).
* ``sweeps``: figure frames from the discrete-event model; ``memory``: capacity feasibility.
"""
from __future__ import annotations

from . import mechanism, memory, model, sweeps  # noqa: F401
from .mechanism import Fitted, curve, errors, leave_one_out, validate  # noqa: F401
from .model import Schedule, build_timeline, predict  # noqa: F401
