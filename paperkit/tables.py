"""Tables in notebooks: an HTML table in JupyterLab, the same plain text everywhere else.

Design: :func:`preview` wraps a pandas or polars frame in a :class:`Table` that a notebook
displays (last expression of a cell, or ``display(...)``): Lab renders ``_repr_html_`` (a real
table; the named ``wide`` text columns get a minimum width so that long text is not squeezed
into a narrow column many lines high), while the text form (nbval's comparison, a terminal) is
``to_string(index=False)``, stable across library versions. Use it instead of
``print(df.to_string())`` for data previews.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

WIDE_EM = 22
"""Minimum width (em) of a long-text column: about 40 characters of the report's font."""


class Table:
    """A frame shown as HTML in Jupyter and as fixed text elsewhere."""

    def __init__(self, frame: pd.DataFrame, wide: tuple[str, ...] = (), *,
                 index: bool = False) -> None:
        self.frame = frame
        self.wide = tuple(c for c in wide if c in frame.columns)
        self.index = index

    def _repr_html_(self) -> str:
        cols = [None] * self.index + list(self.frame.columns)
        css = "".join(f".paperkit-table td:nth-child({cols.index(c) + 1}){{min-width:{WIDE_EM}em;"
                      "text-align:left}" for c in self.wide)
        body = self.frame.to_html(index=self.index, escape=True, classes="paperkit-table",
                                  na_rep="", border=0)
        return f"<style>{html.escape(css, quote=False)}</style>{body}"

    def __repr__(self) -> str:
        with pd.option_context("display.max_colwidth", None, "display.width", 250,
                               "display.max_columns", None, "display.max_rows", 500):
            return self.frame.to_string(index=self.index)


def preview(frame: Any, *, digits: int | None = None, wide: tuple[str, ...] = ()) -> Table:
    """A :class:`Table` of a pandas or polars ``frame`` (rounded to ``digits`` if given)."""
    if hasattr(frame, "to_pandas"):
        frame = frame.to_pandas()
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"preview needs a pandas or polars DataFrame, got {type(frame).__name__}")
    return Table(frame.round(digits) if digits is not None else frame, wide)
