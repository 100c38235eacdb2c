"""The sparse reader of wide per-minute files against a general CSV reader, and its errors."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from paperkit.coldstarts import widecsv


def _wide_text(rng, n_rows=30, n_funcs=12, index=False, density=0.2) -> str:
    cols = [f"{i}---{100 + i}---pool22-300-128" for i in range(n_funcs)]
    head = ([""] if index else []) + ["day", "time"] + cols
    lines = [",".join(head)]
    for r in range(n_rows):
        vals = ["" if rng.random() > density else repr(round(float(rng.lognormal()), 4))
                for _ in cols]
        if r == 3:
            vals[0] = "nan"                      # an explicit NaN is no data too
        pre = [str(r)] if index else []
        lines.append(",".join(pre + ["5", f"{432000 + 60 * r}.0"] + vals))
    return "\n".join(lines) + "\n"


def _reference(path) -> pl.DataFrame:
    """What a general reader gives: every column read, unpivoted, empty and NaN cells dropped."""
    df = pl.read_csv(path, infer_schema=False)
    df = df.drop([c for c in df.columns if c == "" or c.startswith("Unnamed")])
    return (df.with_columns(pl.col("day").cast(pl.Int64), pl.col("time").cast(pl.Float64).round(0).cast(pl.Int64))
            .unpivot(index=["day", "time"], variable_name="funcID", value_name="value")
            .with_columns(pl.col("value").cast(pl.Float64))
            .drop_nulls("value").filter(pl.col("value").is_not_nan()))


@pytest.mark.parametrize("index", [False, True])
@pytest.mark.parametrize("ending", ["\n", "\r\n", "none", "blank"])
def test_same_cells_as_a_general_reader(tmp_path, index, ending):
    text = _wide_text(np.random.default_rng(7), index=index)
    if ending == "\r\n":
        text = text.replace("\n", "\r\n")
    elif ending == "none":
        text = text.rstrip("\n")
    elif ending == "blank":
        text += "\n\n"
    f = tmp_path / "day_05.csv"
    f.write_text(text, newline="")
    got = widecsv.read_wide_long(f)
    ref = _reference(f)
    assert got.height == ref.height > 0
    assert got.equals(ref.select(got.columns))


def test_header_only_gives_no_rows(tmp_path):
    f = tmp_path / "day_00.csv"
    f.write_text("day,time,a,b\n")
    assert widecsv.read_wide_long(f).height == 0


def test_all_empty_columns_give_no_rows_but_read(tmp_path):
    f = tmp_path / "day_00.csv"
    f.write_text("day,time,a,b\n0,0,,\n0,60,,\n")
    assert widecsv.read_wide_long(f).height == 0


@pytest.mark.parametrize("body, where", [
    ("0,0,1,\n0,60,2\n", "line 3 has 3 fields, the header has 4"),
    ("0,0,1,,7\n", "line 2 has 5 fields"),
    ("0,0,1,x1\n", "line 2, column 'b': 'x1' is not a number"),
    ("0,,1,2\n", "line 2 has no 'day' or 'time'"),
])
def test_errors_name_the_line_and_the_fix(tmp_path, body, where):
    f = tmp_path / "day_00.csv"
    f.write_text("day,time,a,b\n" + body)
    with pytest.raises(ValueError) as e:
        widecsv.read_wide_long(f)
    assert str(f) in str(e.value) and where in str(e.value)
    assert "fix" in str(e.value) or "check" in str(e.value)


def test_first_columns_must_be_day_and_time(tmp_path):
    f = tmp_path / "day_00.csv"
    f.write_text("time,day,a\n0,0,1\n")
    with pytest.raises(ValueError, match="first columns must be 'day', 'time'"):
        widecsv.read_wide_long(f)
