"""Trigger-combination aggregation (Figs 8, 9, 14, 16, 17): the rule of :mod:`paperkit.coldstarts.rules`."""
from __future__ import annotations

from ..rules import (  # noqa: F401  (re-exported for the analysis modules)
    TRIGGER_COL, TRIGGER_ORDER, aggregate_trigger, invocation_class_expr, trigger_category_expr,
    trigger_string_shares,
)
