"""The cold-start validator's rules pinned one by one, on frames built in the test (issue 24):
boundaries (a zero cost is valid, day 30 is valid, 31 is not, the rounding tolerance of the
component sum), the priority of the rules, the counts and the message, and property tests over
generated rows. Expected values are derived by hand from the release's README as the module
docstrings restate it."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperkit.coldstarts import N_DAYS, schema, validate

CSV = Path("R1/day_03.csv")
COSTS = ["totalCost_cold_start", "podAllocationCost", "deployCodeCost", "deployDependencyCost",
         "schedulingCost"]


def rows(n: int = 3, day: int = 3, **cols) -> pl.DataFrame:
    """``n`` valid rows (components 0.25 + 0.5 + 0 + 0.75 = total 1.5); ``cols`` overrides
    columns with lists."""
    days = day if isinstance(day, list) else [day] * n
    data = {
        "day": days, "time": [(d or 0) * 86400 + 10.0 * k for k, d in enumerate(days)],
        "clusterName": [1] * n, "funcName": [10 + k for k in range(n)], "userID": [7] * n,
        "requestID": [f"{k:064x}" for k in range(n)],
        "totalCost_cold_start": [1.5] * n, "podAllocationCost": [0.25] * n,
        "deployCodeCost": [0.5] * n, "deployDependencyCost": [0.0] * n,
        "schedulingCost": [0.75] * n, "podID": [f"pool-{k:010d}" for k in range(n)]}
    data.update(cols)
    return pl.DataFrame(data, schema=schema.COLD_START)


def check(df, file_day=3, fields=None, on_invalid="drop"):
    return validate.validate_cold_starts(df, CSV, file_day=file_day, fields=fields, n_fields=12,
                                         on_invalid=on_invalid)


def reasons(df, **kw) -> dict[str, int]:
    return check(df, **kw)[1]


def test_constants_of_the_release():
    assert N_DAYS == 31
    assert validate.COSTS == tuple(COSTS)
    assert schema.COMPONENTS == tuple(COSTS[1:])
    assert schema.TOTAL_DECIMALS == 6
    assert schema.COMPONENT_SUM_TOL_S == pytest.approx(5.01e-7, rel=1e-9)
    assert schema.MAX_COST_S == 86_400.0        # one day: no cold start lasts longer
    assert validate.ON_INVALID == ("raise", "drop") and validate.MAX_EXAMPLES == 3
    assert validate.DAY_RANGE == "day outside 0..30"
    assert list(schema.COLD_START) == ["day", "time", "clusterName", "funcName", "userID",
                                       "requestID", *COSTS, "podID"]


def test_valid_rows_pass_unchanged_including_zero_costs():
    df = rows(3, podAllocationCost=[0.0] * 3, totalCost_cold_start=[1.25] * 3)
    out, counts = check(df)
    assert counts == {} and out is df
    assert reasons(rows(2, day=0), file_day=0) == {} and reasons(rows(2, day=30), file_day=30) == {}
    assert reasons(rows(2, day=30), file_day=None) == {}
    zero = rows(1, **{c: [0.0] for c in COSTS})
    assert reasons(zero) == {}


@pytest.mark.parametrize("col", COSTS)
@pytest.mark.parametrize("value,kind", [(None, "empty"), (math.nan, "NaN"), (math.inf, "infinite"),
                                        (-math.inf, "infinite"), (-1e-9, "negative"),
                                        (-0.5, "negative")])
def test_each_bad_cost_is_named(col, value, kind):
    good = rows(1)[col].item()
    df = rows(3, **{col: [good, value, good]})     # also breaks the sum: the cost rule wins
    out, counts = check(df)
    assert counts == {f"{kind} {col}": 1}
    assert out.height == 2 and out["funcName"].to_list() == [10, 12]
    assert out.columns == list(schema.COLD_START)


def test_a_cost_over_a_day_is_refused():
    day = 86_400.0
    ok = rows(1, totalCost_cold_start=[day], podAllocationCost=[day - 1.25])
    assert reasons(ok) == {}
    bad = rows(1, totalCost_cold_start=[day + 1.5], podAllocationCost=[day + 0.25])
    assert reasons(bad) == {"over a day: totalCost_cold_start": 1}
    with pytest.raises(validate.InvalidRowsError, match="line 2: totalCost_cold_start is 86401.5 s, "
                                                        "longer than a day"):
        check(bad, on_invalid="raise")


def test_negative_zero_is_not_negative():
    assert reasons(rows(1, deployDependencyCost=[-0.0])) == {}


def test_the_rules_are_tried_in_priority_order():
    # empty before NaN before infinite before negative; within a kind, the total first
    df = rows(1, podAllocationCost=[math.nan], schedulingCost=[None])
    assert reasons(df) == {"empty schedulingCost": 1}
    assert reasons(rows(1, podAllocationCost=[-1.0], schedulingCost=[math.inf])) == {
        "infinite schedulingCost": 1}
    assert reasons(rows(1, totalCost_cold_start=[-1.0], podAllocationCost=[-1.0])) == {
        "negative totalCost_cold_start": 1}
    # a negative component also breaks the sum: the cost rule wins
    assert reasons(rows(1, podAllocationCost=[-0.25])) == {"negative podAllocationCost": 1}
    assert reasons(rows(1, totalCost_cold_start=[9.0], day=[40])) == {validate.COMPONENT_SUM: 1}
    assert reasons(rows(1, day=[40]), file_day=3) == {validate.DAY_RANGE: 1}
    assert reasons(rows(2, day=[3, 40]).vstack(rows(2, day=[3, 40])), file_day=3) == {
        validate.DAY_RANGE: 2, validate.DUPLICATE: 1}    # the day rule comes before duplicates


def test_component_sum_tolerance_is_half_a_microsecond():
    for gap, ok in ((4.9e-7, True), (-4.9e-7, True), (5.0e-7, True), (5.2e-7, False),
                    (-5.2e-7, False), (1e-3, False)):
        df = rows(1, totalCost_cold_start=[1.5 + gap])
        assert reasons(df) == ({} if ok else {validate.COMPONENT_SUM: 1}), gap


@pytest.mark.parametrize("day,file_day,want", [
    (0, None, {}), (30, None, {}), (31, None, {validate.DAY_RANGE: 1}),
    (-1, None, {validate.DAY_RANGE: 1}), (None, None, {validate.DAY_RANGE: 1}),
    (4, 3, {validate.DAY_FILE: 1}), (2, 3, {validate.DAY_FILE: 1}), (3, 3, {}),
    (31, 3, {validate.DAY_RANGE: 1}),
])
def test_day_rules(day, file_day, want):
    df = rows(2, day=3).with_columns(day=pl.Series([3, day], dtype=pl.Int64))
    assert reasons(df, file_day=file_day) == want


def test_duplicates_keep_the_first_copy():
    df = rows(3)
    dup = pl.concat([df, df.slice(1, 1), df.slice(1, 1)])
    out, counts = check(dup)
    assert counts == {validate.DUPLICATE: 2} and out.equals(df)
    assert validate._may_have_duplicates(dup) is True
    assert validate._may_have_duplicates(df) is False
    # same podID, another column differs: not a duplicate
    other = pl.concat([df, df.slice(1, 1).with_columns(time=pl.lit(1.0))])
    assert validate._may_have_duplicates(other) is True and reasons(other) == {}


def test_field_counts_and_short_rows(tmp_path):
    f = tmp_path / "day_03.csv"
    f.write_text("a,b,c\n1,2,3\n1,2\n\n1,2,3,4\n")
    got = validate.field_counts(f, 4)
    assert got.name == "_fields" and got.to_list() == [3, 2, 0, 4]
    assert validate.field_counts(f, 3) is None and validate.field_counts(f, 5) is None
    df = rows(4)
    counts = reasons(df, fields=pl.Series("_fields", [12, 11, 0, 13]))
    assert counts == {validate.CUT_SHORT: 2, validate.TOO_LONG: 1}


def test_counts_are_sorted_by_size_then_first_seen():
    df = rows(6, day=[3, 31, 3, 31, 3, 3], podAllocationCost=[0.25, 0.25, -1.0, 0.25, 0.25, 0.25],
              totalCost_cold_start=[1.5, 1.5, 1.5, 1.5, 9.0, 1.5])
    out, counts = check(df)
    assert list(counts.items()) == [(validate.DAY_RANGE, 2), ("negative podAllocationCost", 1),
                                    (validate.COMPONENT_SUM, 1)]
    assert out["funcName"].to_list() == [10, 15]


def test_the_error_names_file_counts_lines_and_fix():
    df = rows(5, day=[3, 31, 3, 3, 3], podAllocationCost=[0.25, 0.25, math.nan, 0.25, 0.25],
              totalCost_cold_start=[1.5, 1.5, 1.5, 1.6, 1.5],
              schedulingCost=[0.75, 0.75, 0.75, 0.75, -1.0])
    with pytest.raises(validate.InvalidRowsError) as info:
        check(df, on_invalid="raise")
    e = info.value
    assert e.path == CSV and e.counts == {"NaN podAllocationCost": 1, validate.COMPONENT_SUM: 1,
                                          validate.DAY_RANGE: 1, "negative schedulingCost": 1}
    assert str(e) == (
        f"{CSV}: 4 invalid row(s) of 5 ({validate.DAY_RANGE}: 1, NaN podAllocationCost: 1, "
        f"{validate.COMPONENT_SUM}: 1, negative schedulingCost: 1); line 3: day is 31, outside 0..30; "
        "line 4: podAllocationCost is nan (NaN); line 5: podAllocationCost + deployCodeCost + "
        "deployDependencyCost + schedulingCost = 1.5 s but totalCost_cold_start = 1.6 s (allowed "
        "difference: the release's rounding, 0.501 µs); .... To proceed: " + validate.FIX)
    assert isinstance(e, ValueError)


def test_details_of_each_reason():
    row = {"_fields": 5, "day": 4, "_first": 7, "schedulingCost": -0.5, "deployCodeCost": None}
    d = validate._detail
    assert d(validate.CUT_SHORT, row, 3, 12) == ("5 of 12 fields (row cut short: the file may be "
                                                 "truncated)")
    assert d(validate.CUT_SHORT, {**row, "_fields": 0}, 3, 12) == "blank line"
    assert d(validate.TOO_LONG, {**row, "_fields": 13}, 3, 12) == "13 fields, the header has 12"
    assert d(validate.DAY_FILE, row, 3, 12) == "day is 4 but the file is day_03.csv"
    assert d(validate.DAY_RANGE, row, 3, 12) == "day is 4, outside 0..30"
    assert d(validate.DUPLICATE, row, 3, 12) == "repeats line 7"
    assert d("negative schedulingCost", row, 3, 12) == "schedulingCost is -0.5 (negative)"
    assert d("empty deployCodeCost", row, 3, 12) == "deployCodeCost is empty"


def test_message_and_summary_by_hand():
    msg = validate.message(CSV, 10, {"a": 2, "b": 1}, ["line 2: x", "line 3: y"])
    assert msg == f"{CSV}: 3 invalid row(s) of 10 (a: 2, b: 1); line 2: x; line 3: y; .... " \
                  f"To proceed: {validate.FIX}"
    msg = validate.message(CSV, 10, {"a": 1}, ["line 2: x"])
    assert msg == f"{CSV}: 1 invalid row(s) of 10 (a: 1); line 2: x. To proceed: {validate.FIX}"
    s = validate.summary({"R1/day_00.csv": {"a": 1, "b": 4}, "R2/day_01.csv": {"a": 2}})
    assert s == ("dropped 7 invalid cold-start row(s) (b: 4, a: 3) from R1/day_00.csv (5), "
                 "R2/day_01.csv (2)")


def test_on_invalid_is_checked_first():
    validate.check_on_invalid("raise")
    validate.check_on_invalid("drop")
    for bad in ("Drop", "warn", ""):
        with pytest.raises(ValueError, match=f"on_invalid must be 'raise' \\(default\\) or 'drop', "
                                             f"got {bad!r}"):
            check(rows(1), on_invalid=bad)


def test_rule_list_names_and_order():
    names = [r for r, _ in validate.row_rules(3, 12)]
    costs = [f"{k} {c}" for k in ("empty", "NaN", "infinite", "negative", "over a day:")
             for c in COSTS]
    assert names == [validate.CUT_SHORT, validate.TOO_LONG, *costs, validate.COMPONENT_SUM,
                     validate.DAY_RANGE, validate.DAY_FILE, validate.DUPLICATE]
    assert [r for r, _ in validate.row_rules(None, None)] == [*costs, validate.COMPONENT_SUM,
                                                              validate.DAY_RANGE,
                                                              validate.DUPLICATE]


# --- the header and frame checks of schema.py ---------------------------------------------------

def test_headers_are_parsed_and_checked(tmp_path):
    assert schema.parse_header(' "day" , time,\r\n') == ["day", "time", ""]
    f = tmp_path / "h.csv"
    f.write_text("a,b\n1,2\n")
    assert schema.read_header(f) == ["a", "b"]
    f.write_text("\n")
    with pytest.raises(ValueError, match="h.csv: empty file, expected a CSV header"):
        schema.read_header(f)
    assert schema.is_index_column("") and schema.is_index_column("Unnamed: 0")
    assert not schema.is_index_column("day") and not schema.is_index_column("unnamed: 0")
    sch = {"a": pl.Int64, "b": pl.Float64}
    schema.check_columns(["", "b", "a"], sch, "src")
    schema.check_columns(["a", "b", "c"], sch, "src", extra_ok=True)
    with pytest.raises(ValueError, match="^src: missing column 'b' \\(expected columns: a, b\\); "):
        schema.check_columns(["a"], sch, "src")
    with pytest.raises(ValueError, match="^src: unexpected column 'c' \\(expected columns: a, b\\)$"):
        schema.check_columns(["a", "b", "c"], sch, "src")
    with pytest.raises(ValueError, match="^src: duplicate column 'a'$"):
        schema.check_columns(["a", "b", "a"], sch, "src", extra_ok=True)


def test_frame_checks_and_series_schema():
    sch = {"a": pl.Int64, "b": pl.Float64}
    good = pl.DataFrame({"a": [1], "b": [1.0], "c": ["x"]})
    schema.check_frame(good, sch, "src")
    schema.check_frame(good.lazy(), sch, "src")
    with pytest.raises(ValueError, match="^src: missing column 'b'$"):
        schema.check_frame(good.select("a"), sch, "src")
    with pytest.raises(ValueError, match="^src: column 'b' has dtype Int64, expected Float64$"):
        schema.check_frame(good.with_columns(b=pl.lit(1, pl.Int64)).lazy(), sch, "src")
    assert schema.series_schema(["day", "time", "f1"]) == {"day": pl.Int64, "time": pl.Int64,
                                                           "f1": pl.Float64}
    names = schema.released_series_names()
    assert len(names) == 3 + 16 * 10 == len(set(names))
    assert names[:4] == ["requests", "num_pods", "num_cold_starts", "busCost_avg"]
    assert names[-1] == "writeRspCost_quantile_100"


# --- properties over generated rows --------------------------------------------------------------

component = st.floats(min_value=0.0, max_value=1e4, allow_nan=False, allow_infinity=False)


def generated(parts: list[tuple[float, float, float, float]]) -> pl.DataFrame:
    """Rows whose total is the 6-decimal rounding of its components, as the release writes it."""
    n = len(parts)
    cols = {c: [p[i] for p in parts] for i, c in enumerate(COSTS[1:])}
    return rows(n, totalCost_cold_start=[round(sum(p), 6) for p in parts], **cols)


rows_strategy = st.lists(st.tuples(component, component, component, component), min_size=1,
                         max_size=8)


@settings(max_examples=50, deadline=None)
@given(parts=rows_strategy)
def test_rows_as_the_release_writes_them_are_accepted(parts):
    df = generated(parts)
    out, counts = check(df, on_invalid="raise")
    assert counts == {} and out.equals(df)


@settings(max_examples=50, deadline=None)
@given(parts=rows_strategy, data=st.data(),
       bad=st.sampled_from([(math.nan, "NaN"), (math.inf, "infinite"), (-math.inf, "infinite"),
                            (-1e-6, "negative"), (-1e6, "negative"), (None, "empty")]))
def test_one_bad_cost_in_any_row_is_rejected_and_named(parts, data, bad):
    df = generated(parts)
    i = data.draw(st.integers(0, df.height - 1), label="row")
    col = data.draw(st.sampled_from(COSTS), label="column")
    value, kind = bad
    df = df.with_columns(pl.when(pl.int_range(pl.len()) == i).then(pl.lit(value, pl.Float64))
                         .otherwise(pl.col(col)).alias(col))
    out, counts = check(df)
    assert counts == {f"{kind} {col}": 1} and out.height == df.height - 1
    with pytest.raises(validate.InvalidRowsError, match=f"line {i + 2}: {col} is "):
        check(df, on_invalid="raise")


@settings(max_examples=50, deadline=None)
@given(parts=rows_strategy, data=st.data(), huge=st.floats(min_value=1e7, max_value=1e300))
def test_a_huge_component_is_rejected(parts, data, huge):
    df = generated(parts)
    i = data.draw(st.integers(0, df.height - 1), label="row")
    col = data.draw(st.sampled_from(COSTS[1:]), label="component")
    df = df.with_columns(pl.when(pl.int_range(pl.len()) == i).then(pl.lit(huge))
                         .otherwise(pl.col(col)).alias(col))
    assert reasons(df) == {f"over a day: {col}": 1}
