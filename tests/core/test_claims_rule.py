"""The scoreboard's rules pinned cell by cell (issue 24): every expected value here is derived by
hand from the rule as the module docstring states it, never read back from ``claims.RULE``, so a
one-line change of a tolerance, a comparison or an ``abs`` fails a test."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperkit import claims, paths

# The rule as written in the docstring: (relative, absolute, discrete steps) per reliability tag.
HAND_RULE = {"exact": (0.05, 0.02, 0), "derived": (0.10, 0.04, 0),
             "figure": (0.20, 0.06, 1), "approximate": (0.30, 0.10, 1)}
TIERS_IN_ORDER = ("exact", "derived", "figure", "approximate")


def claim(value=1.0, kind="rel", reliability="exact", **kw) -> claims.Claim:
    return claims.Claim(id=kw.pop("id", "X"), text=kw.pop("text", "t"), unit=kw.pop("unit", "u"),
                        source="s", reliability=reliability, value=value, tol_kind=kind, **kw)


def test_every_cell_of_the_rule_is_pinned():
    assert {t: (c["rel"], c["abs"], c["discrete"]) for t, c in claims.RULE.items()} == HAND_RULE
    assert list(claims.RULE) == list(TIERS_IN_ORDER)
    assert all(set(c) == {"rel", "abs", "discrete"} for c in claims.RULE.values())
    assert claims.EDGE_FRACTION == 0.1
    assert claims.RELIABILITIES == TIERS_IN_ORDER
    assert claims.KINDS == ("rel", "abs", "discrete", "bool", "bound", "at_least", "range")
    assert claims.ROLES == ("check", "calibration", "consistency", "invariant", "extension")
    assert claims.VERDICTS == ("match", "off", "not checkable", "needs real data")


@pytest.mark.parametrize("tag", TIERS_IN_ORDER)
def test_each_tolerance_decides_the_verdict_at_its_edge(tag):
    rel, ab, steps = HAND_RULE[tag]
    c = claim(2.0, "rel", tag)
    assert c.tolerance == rel and c.allowed() == pytest.approx(2.0 * rel)
    assert claims.verdict(c, 2.0 * (1 + 0.99 * rel)) == "match"
    assert claims.verdict(c, 2.0 * (1 - 0.99 * rel)) == "match"
    assert claims.verdict(c, 2.0 * (1 + 1.01 * rel)) == "off"
    assert claims.verdict(c, 2.0 * (1 - 1.01 * rel)) == "off"
    c = claim(0.5, "abs", tag)
    assert c.tolerance == ab and c.allowed() == ab
    assert claims.verdict(c, 0.5 + 0.99 * ab) == "match"
    assert claims.verdict(c, 0.5 - 1.01 * ab) == "off"
    c = claim(13, "discrete", tag)
    assert c.allowed() == steps
    assert claims.verdict(c, 13 + steps) == "match" and claims.verdict(c, 13 - steps) == "match"
    assert claims.verdict(c, 13 + steps + 1) == "off" and claims.verdict(c, 13 - steps - 1) == "off"


def test_a_value_exactly_on_the_tolerance_matches():
    # 0.42 - 0.40 is 0.02000000000000002 in floats: the rule's 1e-12 slack makes it a match
    assert claims.verdict(claim(0.40, "abs"), 0.42) == "match"
    assert claims.verdict(claim(0.40, "abs"), 0.4201) == "off"
    assert claims.verdict(claim(10.0, "bound"), 10.0) == "match"
    assert claims.verdict(claim(10.0, "bound"), 10.0 * (1 + 1e-9)) == "off"


def test_relative_tolerance_uses_the_size_of_a_negative_value():
    c = claim(-2.0, "rel", "derived")
    assert c.tolerance == 0.10 and c.allowed() == pytest.approx(0.2)
    assert claims.verdict(c, -2.19) == "match" and claims.verdict(c, -1.81) == "match"
    assert claims.verdict(c, -2.21) == "off" and claims.verdict(c, -1.79) == "off"


def test_bound_claims_judge_the_size_of_the_reproduced_value():
    c = claim(0.01, "bound")
    assert c.tolerance == 0.01 and c.allowed() == 0.01
    assert claims.distance(c, -0.02) == 0.02 and claims.distance(c, 0.005) == 0.005
    assert claims.distance(c, 0.0) == 0.0
    assert claims.verdict(c, -0.02) == "off" and claims.verdict(c, -0.5) == "off"
    assert claims.verdict(c, -0.0099) == "match" and claims.verdict(c, 0.0099) == "match"
    neg = claim(-0.01, "bound")  # a bound written negative still means |x| <= 0.01
    assert neg.tolerance == 0.01 and neg.allowed() == 0.01
    assert claims.verdict(neg, 0.005) == "match" and claims.verdict(neg, -0.011) == "off"


def test_lower_bound_claims_judge_only_the_shortfall():
    c = claim(12.0, "at_least", "approximate")
    assert c.tolerance == 0.0 and c.allowed() == 0.0 and c.tolerance_label() == "x ≥ 12"
    assert claims.distance(c, 11.0) == 1.0 and claims.distance(c, 13.0) == 0.0
    assert claims.verdict(c, 12.0) == "match" and claims.verdict(c, 1e9) == "match"
    assert claims.verdict(c, 11.99) == "off" and claims.verdict(c, -12.0) == "off"
    assert claims.is_edge(c, 12.0) is False


def test_distance_of_other_kinds_is_symmetric_and_absolute():
    c = claim(1.3, "rel")
    assert claims.distance(c, 1.0) == pytest.approx(0.3)
    assert claims.distance(c, 1.6) == pytest.approx(0.3)
    assert claims.distance(claim(None, "abs"), -0.25) == 0.25


def test_range_and_bool_tolerances():
    r = claim(2.5, "range", "approximate", half_width=1.5)
    assert r.tolerance == 1.5 and r.allowed() == 1.5
    assert claims.verdict(r, 1.0) == "match" and claims.verdict(r, 4.0) == "match"
    assert claims.verdict(r, 0.99) == "off" and claims.verdict(r, 4.01) == "off"
    b = claim(1.0, "bool", "approximate")
    assert b.tolerance == 0.0 and b.allowed() == 0.0
    assert claims.verdict(b, 1.0) == "match" and claims.verdict(b, 0.0) == "off"


def test_no_value_or_no_number_is_not_checkable():
    c = claim(None, "abs")
    assert c.tolerance is None and c.allowed() == 0.0 and c.tolerance_label() == ""
    assert claims.verdict(c, 1.0) == "not checkable"
    for bad in (None, math.nan, math.inf, -math.inf):
        assert claims.verdict(claim(1.0), bad) == "not checkable"
        assert claims.is_edge(claim(1.0), bad) is False


def test_edge_is_the_outer_tenth_and_only_for_matches():
    c = claim(10.0, "bound")              # allowed 10; the outer tenth is (9, 10]
    assert claims.is_edge(c, 9.0) is False     # exactly 0.9 of the tolerance: not the edge
    assert claims.is_edge(c, 9.01) is True and claims.is_edge(c, -9.5) is True
    assert claims.is_edge(c, 10.0) is True
    assert claims.is_edge(c, 10.5) is False    # off is never an edge
    assert claims.is_edge(c, 5.0) is False
    assert claims.is_edge(claim(1.0, "bool"), 1.0) is False   # no tolerance: no edge
    assert claims.is_edge(claim(13, "discrete"), 13) is False
    assert claims.is_edge(claim(13, "discrete", "figure"), 14) is True    # allowed is 1 step


def test_tolerance_labels():
    assert claim(1.3, "rel", "derived").tolerance_label() == "±10%"
    assert claim(0.4, "abs", "figure", unit="fraction").tolerance_label() == "±0.06 fraction"
    assert claim(0.4, "abs", "exact", unit="").tolerance_label() == "±0.02"
    assert claim(13, "discrete", "figure", unit="day").tolerance_label() == "±1 day"
    assert claim(0.01, "bound").tolerance_label() == "|x| ≤ 0.01"
    assert claim(2.5, "range", half_width=1.5).tolerance_label() == "in [1, 4]"
    assert claim(1.0, "bool").tolerance_label() == "yes/no"


def test_fmt_and_round_sig():
    assert claims._fmt(None) == "" and claims._fmt(math.inf) == "inf"
    assert claims._fmt(math.nan) == "nan" and claims._fmt(-math.inf) == "-inf"
    assert claims._fmt(1.23456789) == "1.235" and claims._fmt(1.23456789, 2) == "1.2"
    assert claims._fmt(3) == "3" and claims._fmt(123456.0) == "1.235e+05"
    assert claims.round_sig(0) == 0.0 and claims.round_sig(math.inf) == math.inf
    assert math.isnan(claims.round_sig(math.nan))
    assert claims.round_sig(123456789) == 123457000.0
    assert claims.round_sig(0.000123456789) == 0.000123457
    assert claims.round_sig(-987654.321) == -987654.0
    assert claims.round_sig(1234, 2) == 1200.0 and claims.round_sig(0.01) == 0.01
    assert claims.round_sig(99.99996) == 100.0 and claims.round_sig(1.0000004) == 1.0


def test_verdict_labels_and_headline_lines():
    assert claims.verdict_label("match", True) == "match (edge)"
    assert claims.verdict_label("off", False) == "off"
    none = claims.headline([], 7)
    assert none == {"checks": 0, "matched": 0, "share": None, "coverage": 0.0, "n_claims": 7,
                    "by_role": dict.fromkeys(claims.ROLES, 0),
                    "by_verdict": dict.fromkeys(claims.VERDICTS, 0), "edge": 0, "vacuous": 0,
                    "same_value": 0}
    assert claims.headline([], 0)["coverage"] is None
    assert claims.headline_line(none) == ("no independent check is checkable on this data "
                                          "(0 of 7 claims)")


def _row(role, verdict, edge=False):
    _row.n = getattr(_row, "n", 0) + 1
    return {"id": f"R{_row.n}", "role": role, "verdict": verdict, "edge": edge}


def test_headline_by_hand():
    rows = [_row("check", "match", True), _row("check", "match"), _row("check", "off", True),
            _row("check", "not checkable"), _row("check", "needs real data"),
            _row("calibration", "match", True), _row("invariant", "off"),
            _row("extension", "match")]
    h = claims.headline(rows, 12)
    assert (h["checks"], h["matched"], h["n_claims"]) == (3, 2, 12)
    assert h["share"] == pytest.approx(2 / 3) and h["coverage"] == 0.25
    assert h["edge"] == 2       # edges of checks only (match or off), never of a calibration
    assert h["by_role"] == {"check": 5, "calibration": 1, "consistency": 0, "invariant": 1,
                            "extension": 1}
    assert h["by_verdict"] == {"match": 4, "off": 2, "not checkable": 1, "needs real data": 1}
    assert claims.headline_line(h) == (
        "2 of 3 independent checks match (67%, 2 at the edge of tolerance); coverage: 3 of 12 "
        "claims checkable independently (25%)")
    h = claims.headline([_row("check", "off")], 1)
    assert claims.headline_line(h) == ("0 of 1 independent checks match (0%); coverage: 1 of 1 "
                                       "claims checkable independently (100%)")


# --- the claims file -------------------------------------------------------------------------

HEAD = 'id="{id}"\ntext="t"\nunit="u"\nsource="s"\nreliability="exact"\n'


def write(tmp_path, *bodies: str):
    f = tmp_path / "demo.toml"
    f.write_text("".join("[[claim]]\n" + b for b in bodies))
    return f


def test_parse_defaults_and_file_order(tmp_path):
    f = write(tmp_path, HEAD.format(id="B") + "value=3\n", HEAD.format(id="A"),
              HEAD.format(id="R") + 'tol_kind="range"\nrange=[2, 2]\nrole="invariant"\n'
              "unmodelled=true\n")
    got = claims.load_claims("demo", f)
    assert list(got) == ["B", "A", "R"]
    b = got["B"]
    assert (b.value, type(b.value), b.tol_kind, b.role, b.unmodelled, b.half_width) == (
        3.0, float, "rel", "check", False, None)
    assert (b.text, b.unit, b.source, b.reliability) == ("t", "u", "s", "exact")
    assert got["A"].value is None
    r = got["R"]
    assert (r.value, r.half_width, r.role, r.unmodelled) == (2.0, 0.0, "invariant", True)


@pytest.mark.parametrize("body,msg", [
    ('id="A"\ntext="t"\n', "missing field\\(s\\) unit, source, reliability$"),
    (HEAD + 'zeta=1\nalpha=2\n', "unknown field\\(s\\) alpha, zeta$"),
    (HEAD + 'tol_kind="ratio"\n', "tol_kind 'ratio' is not one of"),
    (HEAD + "value=true\n", "value True must be a finite number"),
    (HEAD + 'value="1"\n', "must be a finite number"),
    (HEAD + "value=nan\n", "must be a finite number"),
    (HEAD + "value=inf\n", "must be a finite number"),
    (HEAD + 'tol_kind="range"\nrange=[1, 2]\nvalue=1.5\n', "range = \\[low, high\\]"),
    (HEAD + 'tol_kind="range"\nrange=[1, 2, 3]\n', "range = \\[low, high\\]"),
    (HEAD + 'tol_kind="range"\nrange=[1]\n', "range = \\[low, high\\]"),
    (HEAD + 'tol_kind="range"\nrange=["1", 2]\n', "range = \\[low, high\\]"),
    (HEAD + 'tol_kind="range"\nrange=3\n', "range = \\[low, high\\]"),
    (HEAD + "range=[1, 2]\n", "'range' needs tol_kind"),
])
def test_bad_claims_name_the_claim(tmp_path, body, msg):
    f = write(tmp_path, HEAD.format(id="OK"), body.format(id="A"))
    with pytest.raises(claims.ClaimsFileError, match=msg) as info:
        claims.load_claims("demo", f)
    assert f"{f}, claim #2 (id='A')" in str(info.value)


def test_file_level_errors(tmp_path):
    with pytest.raises(claims.ClaimsFileError, match="no claims file for paper 'demo': expected"):
        claims.load_claims("demo", tmp_path / "none.toml")
    f = write(tmp_path, HEAD.format(id="A"), HEAD.format(id="A"))
    with pytest.raises(claims.ClaimsFileError, match=r"demo.toml, claim #2: duplicate id 'A'$"):
        claims.load_claims("demo", f)
    f.write_text('paper = "demo"\n')
    with pytest.raises(claims.ClaimsFileError, match=r"demo.toml: no \[\[claim\]\] entries$"):
        claims.load_claims("demo", f)
    f.write_text("[[claim]]\ntext='t'\n")
    with pytest.raises(claims.ClaimsFileError, match=r"claim #1 \(id='\?'\): missing field"):
        claims.load_claims("demo", f)
    f.write_text("[[claim]]\n" + HEAD.format(id="T") + "tolerance=0.1\n")
    with pytest.raises(claims.ClaimsFileError, match=r"remove 'tolerance': tolerances follow from "
                                                     r"the reliability tag by paperkit\.claims\.RULE$"):
        claims.load_claims("demo", f)


# --- the table ---------------------------------------------------------------------------------

@pytest.fixture
def table(tmp_path):
    f = write(tmp_path, HEAD.format(id="A") + "value=2.0\n",
              HEAD.format(id="B") + 'value=0.5\ntol_kind="abs"\nrole="consistency"\n',
              HEAD.format(id="U") + "value=4.0\nunmodelled=true\n")
    return claims.ClaimsTable("demo", "01_demo", claims=claims.load_claims("demo", f))


def test_table_loads_its_paper_file_when_given_no_claims():
    t = claims.ClaimsTable("t3", "00_x")
    assert t.claims == claims.load_claims("t3", paths.claims_file("t3"))


def test_record_rounds_converts_and_overrides(table):
    r = table.record("A", True, tier="modelled")          # a bool counts as 1.0
    assert r.reproduced == 1.0 and type(r.reproduced) is float and r.verdict == "off"
    r = table.record("A", 2.0987654321, tier="public+modelled", role="invariant", note="n")
    assert r.reproduced == 2.09877 and r.tier == "public+modelled"
    assert (r.verdict, r.edge, r.role, r.note) == ("match", True, "invariant", "n")
    r = table.record("B", None, tier="public")
    assert (r.reproduced, r.verdict, r.edge, r.role) == (None, "not checkable", False, "consistency")
    assert table.results["B"] is r


def test_unmodelled_claims_on_synthetic_data(table):
    r = table.record("U", 4.0, tier="synthetic")
    assert (r.verdict, r.edge) == ("needs real data", False)
    assert r.note == "the synthetic generator does not model this quantity"
    r = table.record("U", 3.9, tier="modelled+synthetic", note="why")
    assert r.verdict == "needs real data"
    assert r.note == "the synthetic generator does not model this quantity; why"
    r = table.record("U", 4.0, tier="synthetic", note="see figure X")
    assert r.note == "the synthetic generator does not model this quantity; see figure X"
    r = table.record("U", 3.81, tier="public", note="why")
    assert (r.verdict, r.edge, r.note) == ("match", True, "why")


def test_a_reproduced_value_must_be_a_number(table):
    with pytest.raises(TypeError, match=r"^claim A: reproduced value must be a number, got str$"):
        table.record("A", "fast", tier="modelled")
    with pytest.raises(TypeError, match=r"got list$"):
        table.record("A", [1.0], tier="modelled")
    assert list(table.frame().columns)[:3] == ["id", "claim", "paper value"]   # empty table


def test_not_checkable_and_unknown_ids(table):
    r = table.not_checkable("B", "public", "the trace has no such column")
    assert (r.reproduced, r.tier, r.verdict, r.role, r.note, r.edge) == (
        None, "public", "not checkable", "consistency", "the trace has no such column", False)
    assert table.results["B"] is r
    with pytest.raises(ValueError, match="unknown data tier"):
        table.not_checkable("B", "paper", "x")
    with pytest.raises(KeyError, match=r"claim 'Z' is not in demo.toml; known ids: A, B, U"):
        table.not_checkable("Z", "public", "x")


def test_records_counts_and_document(table, build_dir):
    table.record("U", 4.0, tier="public")
    table.record("A", 3.0, tier="modelled")
    table.record("B", 0.5, tier="public")
    recs = table.records()
    assert [r["id"] for r in recs] == ["A", "B", "U"]
    assert recs[1] == {"id": "B", "paper": 0.5, "reproduced": 0.5, "unit": "u", "tier": "public",
                       "verdict": "match", "edge": False, "role": "consistency", "text": "t",
                       "source": "s", "reliability": "exact", "tolerance": 0.02,
                       "tol_kind": "abs", "note": "", "paper_name": "demo", "same_as": None,
                       "vacuous": False}
    counts = table.counts()
    assert set(counts) == set(claims.ROLES)
    assert counts["check"] == {"match": 1, "off": 1, "not checkable": 0, "needs real data": 0}
    assert counts["consistency"] == {"match": 1, "off": 0, "not checkable": 0,
                                     "needs real data": 0}
    assert sum(sum(v.values()) for v in counts.values()) == 3
    doc = table.document()
    assert set(doc) == {"paper_name", "notebook", "headline", "counts", "claims", "run"}
    assert (doc["paper_name"], doc["notebook"]) == ("demo", "01_demo")
    assert doc["headline"]["checks"] == 2 and doc["headline"]["n_claims"] == 3
    assert doc["claims"] == recs and doc["counts"] == counts


def test_write_into_a_given_folder(table, tmp_path):
    table.record("A", 2.0, tier="modelled")
    path = table.write(tmp_path / "out")
    assert path == tmp_path / "out" / "01_demo.json"
    text = path.read_text()
    assert text.endswith("}\n") and json.loads(text)["claims"][0]["verdict"] == "match"
    assert text == json.dumps(json.loads(text), indent=1, sort_keys=True) + "\n"


def test_frame_summary_and_show(table, build_dir, capsys):
    table.record("B", 0.57, tier="public", note="n")
    table.record("A", 2.095, tier="modelled")
    frame = table.frame()
    assert list(frame.columns) == ["id", "claim", "paper value", "unit", "source", "reproduced",
                                   "tier", "tolerance", "role", "verdict", "note"]
    assert frame.iloc[0].to_dict() == {
        "id": "A", "claim": "t", "paper value": "2", "unit": "u", "source": "s (exact)",
        "reproduced": "2.095", "tier": "modelled", "tolerance": "±5%", "role": "check",
        "verdict": "match (edge)", "note": ""}
    assert list(frame["verdict"]) == ["match (edge)", "off"]
    assert table.summary() == (
        "demo/01_demo: 1 of 1 independent checks match (100%, 1 at the edge of tolerance); "
        "coverage: 1 of 2 claims checkable independently (50%)\n"
        "  not counted: 1 consistency; 0 not checkable or needing real data")
    table.not_checkable("U", "synthetic", "no")
    assert table.summary().endswith("; 1 not checkable or needing real data")
    table.show()
    out = capsys.readouterr().out
    assert table.summary() in out and "match (edge)" in out
    assert json.loads((build_dir / "claims" / "01_demo.json").read_text())["notebook"] == "01_demo"


def test_counts_and_summary_add_up(tmp_path):
    f = write(tmp_path, *(HEAD.format(id=i) + f'value=1\nrole="{r}"\n' for i, r in
                          (("A", "check"), ("B", "check"), ("C", "invariant"), ("D", "extension"),
                           ("E", "extension"))))
    t = claims.ClaimsTable("demo", "03", claims=claims.load_claims("demo", f))
    for cid in "ABCDE":
        t.record(cid, 1.0, tier="modelled")
    assert t.counts()["check"]["match"] == 2 and t.counts()["extension"]["match"] == 2
    assert t.summary().splitlines()[1] == ("  not counted: 1 invariant, 2 extension; 0 not "
                                           "checkable or needing real data")


def test_summary_without_other_roles(tmp_path):
    t = claims.ClaimsTable("demo", "02", claims=claims.load_claims(
        "demo", write(tmp_path, HEAD.format(id="A") + "value=1\n")))
    t.record("A", 1.0, tier="public")
    assert t.summary().splitlines()[1] == ("  not counted: no other roles; 0 not checkable or "
                                           "needing real data")


# --- properties ----------------------------------------------------------------------------------

values = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@settings(max_examples=50, deadline=None)
@given(value=values, kind=st.sampled_from(("rel", "abs", "discrete")))
def test_tolerance_is_monotonic_in_the_reliability_tag(value, kind):
    allowed = [claim(value, kind, tag).allowed() for tag in TIERS_IN_ORDER]
    assert all(a >= 0 for a in allowed)
    assert allowed == sorted(allowed)
    if kind != "discrete" and (kind == "abs" or abs(value) >= 1e-6):   # no underflow to 0
        assert len(set(allowed)) == 4     # strictly wider at each step


@settings(max_examples=50, deadline=None)
@given(value=values, reproduced=values, kind=st.sampled_from(("rel", "abs", "discrete")))
def test_a_match_stays_a_match_under_a_vaguer_tag(value, reproduced, kind):
    verdicts = [claims.verdict(claim(value, kind, tag), reproduced) for tag in TIERS_IN_ORDER]
    first = verdicts.index("match") if "match" in verdicts else 4
    assert verdicts == ["off"] * first + ["match"] * (4 - first)


@settings(max_examples=50, deadline=None)
@given(bound=values, reproduced=values)
def test_bound_verdict_depends_only_on_sizes(bound, reproduced):
    c = claim(bound, "bound")
    assert claims.verdict(c, reproduced) == claims.verdict(c, -reproduced)
    assert claims.verdict(c, reproduced) == claims.verdict(claim(-bound, "bound"), reproduced)
    expected = "match" if abs(reproduced) <= abs(bound) * (1 + 1e-12) else "off"
    assert claims.verdict(c, reproduced) == expected
