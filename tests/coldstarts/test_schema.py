"""Schema validation: a wrong or missing column is an error naming the file and the column."""

import shutil

import polars as pl
import pytest

from paperkit.coldstarts import load, schema


def _copy_trace(src, dst):
    shutil.copytree(src / "cold_start", dst / "cold_start")
    return dst


def test_released_columns():
    assert list(schema.COLD_START)[:2] == ["day", "time"] and len(schema.COLD_START) == 12
    assert set(schema.COMPONENTS) < set(schema.COLD_START)
    assert len(schema.released_series_names()) == 3 + 16 * 10
    assert "triggerType-invocationType" in schema.FUNCTION_META


def test_missing_column_names_file_and_column(tmp_path):
    f = tmp_path / "day_00.csv"
    cols = [c for c in schema.COLD_START if c != "podID"]
    f.write_text(",".join(cols) + "\n")
    with pytest.raises(ValueError, match=r"day_00\.csv.*missing column 'podID'"):
        schema.check_header(f, schema.COLD_START)


def test_unexpected_column_names_file_and_column(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text(",".join([*schema.FUNCTION_META, "bogus"]) + "\n")
    with pytest.raises(ValueError, match=r"x\.csv.*unexpected column 'bogus'"):
        schema.check_header(f, schema.FUNCTION_META)
    schema.check_header(f, schema.FUNCTION_META, extra_ok=True)


def test_empty_file(tmp_path):
    f = tmp_path / "e.csv"
    f.write_text("")
    with pytest.raises(ValueError, match="e.csv: empty file"):
        schema.read_header(f)


def test_loader_reports_renamed_column(tiny_trace, tmp_path):
    root = _copy_trace(tiny_trace, tmp_path / "t")
    f = root / "cold_start" / "R3" / "day_05.csv"
    text = f.read_text().replace("deployCodeCost", "deployCode", 1)
    f.write_text(text)
    with pytest.raises(ValueError, match=r"R3/day_05\.csv.*missing column 'deployCodeCost'"):
        load.scan_cold_starts(root)


def test_loader_reports_bad_dtype(tiny_trace, tmp_path):
    root = _copy_trace(tiny_trace, tmp_path / "t")
    f = root / "cold_start" / "R1" / "day_02.csv"
    df = pl.read_csv(f, infer_schema_length=0)
    df = df.with_columns(pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("abc"))
                         .otherwise(pl.col("clusterName")).alias("clusterName"))
    df.write_csv(f)
    with pytest.raises(ValueError, match=r"R1/day_02\.csv.*(clusterName|parse)"):
        load.scan_cold_starts(root)


def test_check_frame_dtype():
    df = pl.DataFrame({"funcID": ["a"], "cpu_request": [1.5], "runtime": ["x"],
                       "triggerType-invocationType": ["y"]})
    with pytest.raises(ValueError, match="t.csv: column 'cpu_request' has dtype Float64"):
        schema.check_frame(df, schema.FUNCTION_META, "t.csv")


def test_pandas_index_column_is_tolerated(tiny_trace, tmp_path):
    root = _copy_trace(tiny_trace, tmp_path / "t")
    f = root / "cold_start" / "R4" / "day_01.csv"
    df = pl.read_csv(f, schema=schema.COLD_START)
    df.with_row_index("").write_csv(f)  # as pandas' to_csv writes it
    lf = load.scan_cold_starts(root)
    assert list(lf.collect_schema()) == [*schema.COLD_START, "region"]
    got = lf.filter((pl.col("region") == "R4") & (pl.col("day") == 1)).drop("region").collect()
    assert got.equals(df)
