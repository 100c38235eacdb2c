"""Data previews and claims tables render as tables in Lab, as stable text elsewhere."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pytest

from paperkit import tables


def test_html_is_a_table_with_wide_text_columns_and_text_is_stable():
    df = pd.DataFrame({"id": ["A"], "claim": ["a long sentence " * 5], "x": [1.23456]})
    t = tables.preview(df, digits=2, wide=("claim", "missing"))
    page = t._repr_html_()
    assert "<table" in page and "nth-child(2){min-width:22em" in page
    assert "nth-child(3)" not in page  # only the named text columns
    assert repr(t).splitlines()[1].split()[-1] == "1.23"
    assert "..." not in repr(t)  # long text is never cut in the text form


def test_polars_frames_and_escaping():
    t = tables.preview(pl.DataFrame({"name": ["<b>x</b>"]}))
    assert "&lt;b&gt;" in t._repr_html_()
    with pytest.raises(TypeError, match="pandas or polars"):
        tables.preview([1, 2])
