"""Fuyou's compute role: one import point for the model and the analyses (a thin facade).

* ``mechanism`` / ``prediction``: the one performance model (closed-form terms per system, the
  swap-amount decision, ``predict``); ``timeline``: its phase timeline.
* ``fitting``: the three fitted parameters, the fit on the authors' artifact measurements,
  held-out and leave-one-SSD-count-out validation.
* ``sweeps``: figure frames; ``memory``: capacity feasibility.
"""
from __future__ import annotations

from . import fitting, mechanism, memory, sweeps  # noqa: F401
from .fitting import Fitted, curve, errors, leave_one_out, validate  # noqa: F401
from .mechanism import Schedule  # noqa: F401
from .prediction import predict  # noqa: F401
