"""The scoreboard rules are mechanisms (issue 19 §1): forms from the words, one value one vote,
unmodelled by quantity, vacuous windows, unverified sources."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperkit import claims, claimtext


def _load(tmp_path, body: str, *, head: str = "", unmodelled=frozenset()) -> dict:
    f = tmp_path / "demo.toml"
    f.write_text(textwrap.dedent(head) + textwrap.dedent(body))
    return claims.load_claims("demo", f, unmodelled=unmodelled)


def _claim(cid, text, value, *, unit="fraction", extra="", source="[A]", rel="approximate",
           kind="abs"):
    return (f'[[claim]]\nid = "{cid}"\ntext = "{text}"\nvalue = {value}\nunit = "{unit}"\n'
            f'source = "{source}"\nreliability = "{rel}"\ntol_kind = "{kind}"\n{extra}\n')


# ------------------------------------------------------------------ forms from the words
@pytest.mark.parametrize("text,value,unit,expect", [
    ("impact fewer than 5 %", 0.05, "fraction", ("upper", 0.05, 0.05)),
    ("HP P50 impact: < 1%", 0.01, "fraction", ("upper", 0.01, 0.01)),
    ("utilisation below 30 %", 0.3, "fraction", ("upper", 0.3, 0.3)),
    ("pods: over 12 million", 12e6, "pods", ("lower", 12e6, 12e6)),
    ("at least 3 regions", 3, "regions", ("lower", 3, 3)),
    ("40-45% of iteration time", 0.425, "fraction", ("range", 0.40, 0.45)),
    ("idle 40–70 %", 0.55, "fraction", ("range", 0.40, 0.70)),
    ("between 2 and 4 x", 3, "x", ("range", 2, 4)),
])
def test_stated_form_reads_bounds_and_ranges(text, value, unit, expect):
    got = claimtext.stated_form(text, value, unit)
    assert got is not None and got[0] == expect[0]
    assert got[1] == pytest.approx(expect[1]) and got[2] == pytest.approx(expect[2])


@pytest.mark.parametrize("text,value,unit", [
    ("pods over 31 days", 12e6, "pods"),             # the number is not the claim's value
    ("functions above 1 request/minute (share)", 1.0, "fraction"),  # another unit's number
    ("peak within days 10-25", 13, "day"),           # the value is not the range's midpoint
    ("speedup of 1.3x", 1.3, "x"),                   # a point
    ("error 6-192 MB, geomean", 0.06, "fraction"),
])
def test_stated_form_ignores_numbers_that_are_not_the_value(text, value, unit):
    assert claimtext.stated_form(text, value, unit) is None


def test_a_point_claim_that_states_a_bound_is_judged_as_a_bound(tmp_path):
    cs = _load(tmp_path, _claim("U", "impact fewer than 5 %", 0.05)
               + _claim("L", "over 12 million pods", 12e6, unit="pods", kind="rel")
               + _claim("R", "40-45% of time", 0.425))
    assert (cs["U"].tol_kind, cs["L"].tol_kind, cs["R"].tol_kind) == ("bound", "at_least", "range")
    assert "upper bound" in cs["U"].form and "lower bound" in cs["L"].form
    # a point with tolerance 0.10 would accept 0.14; a bound of 5 % does not
    assert claims.verdict(cs["U"], 0.049) == "match" and claims.verdict(cs["U"], 0.051) == "off"
    assert claims.verdict(cs["L"], 11.9e6) == "off" and claims.verdict(cs["L"], 12.1e6) == "match"
    assert cs["R"].value == pytest.approx(0.425) and cs["R"].half_width == pytest.approx(0.025)
    assert claims.verdict(cs["R"], 0.39) == "off" and claims.verdict(cs["R"], 0.449) == "match"
    assert cs["L"].tolerance_label() == "x ≥ 1.2e+07"


def test_explicit_bool_and_range_kinds_are_kept(tmp_path):
    cs = _load(tmp_path, _claim("B", "all medians under 1 s (1 = holds)", 1, unit="bool",
                                kind="bool"))
    assert cs["B"].tol_kind == "bool" and cs["B"].form == ""


@settings(max_examples=40, deadline=None)
@given(st.floats(0.001, 1e6, allow_nan=False), st.floats(-1e7, 1e7, allow_nan=False))
def test_at_least_is_a_one_sided_law(value, x):
    c = claims.Claim("X", "t", "u", "[A]", "exact", value=value, tol_kind="at_least")
    assert (claims.verdict(c, x) == "match") == (x >= value)


# ------------------------------------------------------------------ one value, one vote
def _rows(*specs):
    return [{"id": i, "role": "check", "verdict": v, "same_as": s, "vacuous": vac, "edge": False}
            for i, v, s, vac in specs]


def test_two_claims_of_one_value_count_once():
    rows = _rows(("H2a", "match", None, False), ("H2c", "match", "H2a", False),
                 ("H3", "off", None, False))
    h = claims.headline(rows, 3)
    assert (h["checks"], h["matched"], h["same_value"]) == (2, 1, 1)
    # the alias counts when its target was not recorded
    h = claims.headline(_rows(("H2c", "off", "H2a", False)), 3)
    assert (h["checks"], h["matched"]) == (1, 0)


def test_same_as_must_name_another_claim(tmp_path):
    with pytest.raises(claims.ClaimsFileError, match="same_as 'Z'"):
        _load(tmp_path, _claim("A", "a", 1.0, extra='same_as = "Z"'))
    with pytest.raises(claims.ClaimsFileError, match="same_as 'A'"):
        _load(tmp_path, _claim("A", "a", 1.0, extra='same_as = "A"'))


def test_same_as_reaches_the_record_and_the_headline(tmp_path, build_dir):
    cs = _load(tmp_path, _claim("A", "a", 1.0) + _claim("B", "b", 1.0, extra='same_as = "A"'))
    tab = claims.ClaimsTable("demo", "01", claims=cs)
    tab.record("A", 1.0, "modelled")
    tab.record("B", 1.0, "modelled")
    doc = tab.document()
    assert [r["same_as"] for r in doc["claims"]] == [None, "A"]
    assert doc["headline"]["checks"] == 1


# ------------------------------------------------------------------ unmodelled by quantity
def test_unmodelled_follows_the_generators_list_for_every_sibling(tmp_path, build_dir):
    body = (_claim("P1", "peak-to-trough max", 27000, kind="rel", extra='quantity = "periodicity"')
            + _claim("P2", "peak-to-trough median", 10, kind="rel",
                     extra='quantity = "periodicity"')
            + _claim("Q", "median IAT", 5, kind="rel", extra='quantity = "iat"'))
    cs = _load(tmp_path, body, unmodelled=frozenset({"periodicity"}))
    assert [c.unmodelled for c in cs.values()] == [True, True, False]
    tab = claims.ClaimsTable("demo", "01", claims=cs)
    assert tab.record("P2", 10, "synthetic").verdict == "needs real data"
    assert tab.record("P1", 27000, "public").verdict == "match"
    assert tab.record("Q", 5, "synthetic").verdict == "match"


def test_the_coldstarts_hook_lists_what_the_generator_does_not_model():
    gaps = claims.not_modelled("coldstarts")
    assert "peak_to_trough" in gaps
    assert claims.not_modelled("no-such-paper") == frozenset()


# ------------------------------------------------------------------ vacuous windows
def test_a_check_whose_window_accepts_the_trivial_value_is_vacuous(tmp_path, build_dir):
    # POLCA C6's shape: 0.09 +- 0.10 accepts 0 (the trivial "no effect")
    cs = _load(tmp_path, _claim("C6", "loss", 0.09, extra="trivial = 0.0")
               + _claim("C7", "loss", 0.5, extra="trivial = [0.0, 1.0]"))
    assert cs["C6"].vacuous() and not cs["C7"].vacuous()
    tab = claims.ClaimsTable("demo", "01", claims=cs)
    r6, r7 = tab.record("C6", 0.1, "modelled"), tab.record("C7", 0.5, "modelled")
    assert r6.vacuous and "vacuous" in r6.note and not r7.vacuous
    h = claims.headline(tab.records(), 2)
    assert (h["checks"], h["vacuous"]) == (1, 1)
    # only checks are flagged: a calibration is not a vote anyway
    assert not tab.record("C6", 0.1, "modelled", role="calibration").vacuous


@pytest.mark.parametrize("bad", ["trivial = nan", 'trivial = "0"', "trivial = [1, inf]"])
def test_trivial_must_be_finite_numbers(tmp_path, bad):
    with pytest.raises(claims.ClaimsFileError, match="trivial"):
        _load(tmp_path, _claim("A", "a", 1.0, extra=bad))


# ------------------------------------------------------------------ unverified sources
def test_an_unverified_recollection_is_not_checkable(tmp_path, build_dir):
    cs = _load(tmp_path, _claim("H7", "throughput", 172, source="[REC]", kind="rel")
               + _claim("H8", "other", 1.0, source="[REC][ABS]")
               + _claim("H9", "mine", 1.0, source="[MEMO]"),
               head='unverified_tags = ["MEMO"]\n')
    assert [c.unverified for c in cs.values()] == [True, False, True]
    tab = claims.ClaimsTable("demo", "01", claims=cs)
    r = tab.record("H7", 172, "modelled")
    assert r.verdict == "not checkable" and "unverified" in r.note


def test_meta_paper_kind_and_tags(tmp_path):
    f = tmp_path / "demo.toml"
    f.write_text('paper_kind = "data"\n[source_tags]\nX = "a thing"\n'
                 + _claim("A", "a", 1.0))
    meta = claims.load_meta("demo", f)
    assert meta.kind == "data" and meta.source_tags["X"] == "a thing"
    assert meta.source_tags["REC"].startswith("a recollection")
    f.write_text('paper_kind = "poem"\n' + _claim("A", "a", 1.0))
    with pytest.raises(claims.ClaimsFileError, match="paper_kind"):
        claims.load_meta("demo", f)


def test_source_tags_are_read_from_brackets():
    assert claimtext.source_tags("[A, Q, S]") == ["A", "Q", "S"]
    assert claimtext.source_tags("[text p.3], [fig, approx]") == ["text", "fig", "approx"]
    assert claimtext.source_tags("[A][S1][SS]") == ["A", "S1", "SS"]
    assert claimtext.source_tags("v2 abstract") == []
    assert claimtext.source_tags("[text p.11, p.13] ('quote')") == ["text"]  # pages are not tags
    assert claimtext.source_tags("[text pp. 2-3, fig]") == ["text", "fig"]


def test_every_source_tag_of_the_claims_files_has_a_meaning():
    for paper in ("coldstarts", "polca", "fuyou", "t3"):
        meta = claims.load_meta(paper)
        for c in claims.load_claims(paper).values():
            missing = [t for t in claimtext.source_tags(c.source) if t not in meta.source_tags]
            assert not missing, (paper, c.id, missing)


@pytest.mark.parametrize("head,match", [
    ("[source_tags]\nX = 3\n", "source_tags"), ('source_tags = "x"\n', "source_tags"),
    ('unverified_tags = "REC"\n', "unverified_tags"), ("unverified_tags = [1]\n", "unverified_tags"),
])
def test_hostile_top_level_fields_are_refused(tmp_path, head, match):
    f = tmp_path / "demo.toml"
    f.write_text(head + _claim("A", "a", 1.0))
    with pytest.raises(claims.ClaimsFileError, match=match):
        claims.load_meta("demo", f)


@pytest.mark.parametrize("extra,match", [("quantity = 3", "quantity"),
                                         ('same_as = ["A"]', "same_as"),
                                         ("trivial = [[0]]", "trivial")])
def test_hostile_claim_fields_are_refused(tmp_path, extra, match):
    with pytest.raises(claims.ClaimsFileError, match=match):
        _load(tmp_path, _claim("A", "a", 1.0) + _claim("B", "b", 1.0, extra=extra))


@pytest.mark.parametrize("text", ["< 1e308 %", "over 99999999999999999999999 million",
                                  "between 5 and 1 x", "1,2,3-4,5 %", "< nan %", "-" * 10000])
def test_stated_form_survives_odd_text(text):
    claimtext.stated_form(text, 0.05, "fraction")  # no exception, whatever it returns
    assert claimtext.stated_form(text, None, "x") is None
