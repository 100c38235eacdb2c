import json
import textwrap

import pytest

from paperkit import claims, paths, provenance

TOML = textwrap.dedent("""
    paper = "demo"
    [[claim]]
    id = "A"
    text = "speedup"
    value = 1.30
    unit = "x"
    source = "[abstract]"
    reliability = "exact"
    [[claim]]
    id = "B"
    text = "share"
    value = 0.40
    unit = "fraction"
    source = "[fig, approx]"
    reliability = "figure"
    tol_kind = "abs"
    [[claim]]
    id = "C"
    text = "five regions"
    unit = ""
    source = "[text p.2]"
    reliability = "exact"
    [[claim]]
    id = "D"
    text = "impact below 1 %"
    value = 0.01
    unit = "fraction"
    source = "[Q]"
    reliability = "exact"
    tol_kind = "bound"
    [[claim]]
    id = "E"
    text = "events, 10^1..10^4"
    unit = "log10"
    source = "[S]"
    reliability = "approximate"
    tol_kind = "range"
    range = [1.0, 4.0]
    [[claim]]
    id = "F"
    text = "peak day"
    value = 13
    unit = "day"
    source = "[fig, approx]"
    reliability = "figure"
    tol_kind = "discrete"
    role = "consistency"
    [[claim]]
    id = "H"
    text = "fits on one GPU"
    value = 1
    unit = "yes=1"
    source = "[abstract]"
    reliability = "approximate"
    tol_kind = "bool"
    [[claim]]
    id = "G"
    text = "peak-to-trough ratio"
    value = 1000
    unit = "x"
    source = "[text]"
    reliability = "approximate"
    unmodelled = true
""")


@pytest.fixture
def table(tmp_path):
    f = tmp_path / "demo.toml"
    f.write_text(TOML)
    return claims.ClaimsTable("demo", "01_demo", claims=claims.load_claims("demo", f))


def test_tolerance_follows_the_rule(table):
    c = table.claims
    assert c["A"].tolerance == claims.RULE["exact"]["rel"] and c["A"].tolerance_label() == "±5%"
    assert c["B"].allowed() == claims.RULE["figure"]["abs"]
    assert c["F"].allowed() == claims.RULE["figure"]["discrete"] == 1
    assert c["D"].tolerance_label() == "|x| ≤ 0.01"
    assert c["E"].value == 2.5 and c["E"].tolerance_label() == "in [1, 4]"
    # the rule widens with the source's vagueness
    for kind in ("rel", "abs"):
        widths = [claims.RULE[t][kind] for t in claims.RELIABILITIES]
        assert widths == sorted(widths) and len(set(widths)) == len(widths)


def test_verdicts_and_edge(table):
    assert table.record("A", 1.36, tier="modelled").verdict == "match"  # within 5 %
    assert table.record("A", 1.37, tier="modelled").verdict == "off"
    r = table.record("A", 1.30 * 1.049, tier="modelled")
    assert r.verdict == "match" and r.edge  # outer tenth of the tolerance
    assert not table.record("A", 1.30 * 1.04, tier="modelled").edge
    assert table.record("B", 0.46, tier="synthetic").verdict == "match"
    assert table.record("B", 0.47, tier="synthetic").verdict == "off"
    assert table.record("D", -0.009, tier="modelled").verdict == "match"
    assert table.record("D", 0.011, tier="modelled").verdict == "off"
    assert table.record("E", 3.9, tier="modelled").verdict == "match"
    assert table.record("E", 4.1, tier="modelled").verdict == "off"
    assert table.record("F", 14, tier="public").verdict == "match"
    assert table.record("F", 15, tier="public").verdict == "off"
    assert table.record("C", 5, tier="public").verdict == "not checkable"
    assert table.record("H", 1, tier="modelled").verdict == "match"
    assert table.record("H", 0, tier="modelled").verdict == "off"  # yes/no: never a step


def test_roles_default_from_the_file_and_override(table):
    assert table.record("F", 13, tier="public").role == "consistency"
    assert table.record("A", 1.3, tier="synthetic", role="calibration").role == "calibration"
    assert table.record("B", 0.4, tier="synthetic").role == "check"


def test_unmodelled_quantity_needs_real_data_on_the_synthetic_tier(table):
    r = table.record("G", 1000, tier="synthetic")
    assert r.verdict == "needs real data" and "does not model" in r.note
    assert table.record("G", 1000, tier="public").verdict == "match"


def test_headline_counts_only_independent_checks(table):
    table.record("A", 1.3, tier="modelled")                       # check, match
    table.record("B", 0.9, tier="synthetic")                      # check, off
    table.record("F", 13, tier="public")                          # consistency, match
    table.record("D", 0.0, tier="synthetic", role="calibration")  # calibration, match
    table.record("G", 5, tier="synthetic")                        # needs real data
    h = claims.headline(table.records(), n_claims=len(table.claims))
    assert (h["matched"], h["checks"], h["share"]) == (1, 2, 0.5)
    assert h["coverage"] == 2 / 8
    assert h["by_role"]["consistency"] == 1 and h["by_role"]["calibration"] == 1
    assert claims.headline_line(h).startswith("1 of 2 independent checks match (50%)")
    counts = table.counts()
    assert counts["check"]["match"] == 1 and counts["consistency"]["match"] == 1


def test_json_fields_order_and_run_record(table, build_dir):
    provenance.reset()
    provenance.note_input("synthetic", generator="g", version=4, seed=0, scale=0.01)
    table.record("B", 0.40123456789, tier="synthetic", role="calibration", note="n")
    table.record("A", 1.3, tier="modelled")
    path = table.write()
    assert path == build_dir / "claims" / "01_demo.json"
    doc = json.loads(path.read_text())
    assert [r["id"] for r in doc["claims"]] == ["A", "B"]  # file order, not record order
    row = doc["claims"][1]
    for key in ("id", "paper", "reproduced", "unit", "tier", "verdict", "role", "edge"):
        assert key in row
    assert row["paper"] == 0.4 and row["reproduced"] == 0.401235 and row["role"] == "calibration"
    run = doc["run"]
    assert set(run) == {"git", "parameters", "overrides", "inputs", "packages"}
    assert run["inputs"] == [{"kind": "synthetic", "generator": "g", "version": 4, "seed": 0,
                              "scale": 0.01}]
    assert run["packages"]["polars"] and "time" not in json.dumps(run).lower()
    first = path.read_bytes()
    table.write()
    assert path.read_bytes() == first
    provenance.reset()


def test_unknown_id_and_bad_input(table):
    with pytest.raises(KeyError, match="known ids: A, B, C"):
        table.record("Z", 1.0, tier="modelled")
    with pytest.raises(ValueError, match="unknown data tier"):
        table.record("A", 1.0, tier="paper")
    with pytest.raises(ValueError, match="role"):
        table.record("A", 1.0, tier="modelled", role="guess")
    with pytest.raises(TypeError, match="must be a number"):
        table.record("A", "fast", tier="modelled")


def test_frame_and_show(table, build_dir, capsys):
    table.record("A", 1.3, tier="modelled")
    frame = table.frame()
    assert list(frame["verdict"]) == ["match"] and list(frame["role"]) == ["check"]
    assert frame.loc[0, "tolerance"] == "±5%"
    table.show()
    assert "1 of 1 independent checks match (100%)" in capsys.readouterr().out
    assert (build_dir / "claims" / "01_demo.json").exists()


@pytest.mark.parametrize("bad,msg", [
    ('[[claim]]\nid="A"\ntext="t"\nunit=""\nsource="s"\n', "missing field"),
    ('[[claim]]\nid="A"\ntext="t"\nunit=""\nsource="s"\nreliability="sure"\n', "reliability"),
    ('[[claim]]\nid="A"\ntext="t"\nunit=""\nsource="s"\nreliability="exact"\nvalue=1\n'
     'tolerance=0.1\n', "follow from the reliability tag"),
    ('[[claim]]\nid="A"\ntext="t"\nunit=""\nsource="s"\nreliability="exact"\nvalue="1"\n',
     "must be a finite number"),
    ('[[claim]]\nid="A"\ntext="t"\nunit=""\nsource="s"\nreliability="exact"\nvalue=nan\n',
     "must be a finite number"),
    ('[[claim]]\nid="A"\ntext="t"\nunit=""\nsource="s"\nreliability="exact"\nvalu=1\n',
     "unknown field"),
    ('[[claim]]\nid="A"\ntext="t"\nunit=""\nsource="s"\nreliability="exact"\nrole="guess"\n',
     "role"),
    ('[[claim]]\nid="A"\ntext="t"\nunit=""\nsource="s"\nreliability="exact"\n'
     'tol_kind="range"\nrange=[3, 1]\n', "range = \\[low, high\\]"),
    ("x = [", "not valid TOML"),
])
def test_bad_claims_files_name_file_and_claim(tmp_path, bad, msg):
    f = tmp_path / "bad.toml"
    f.write_text(bad)
    with pytest.raises(claims.ClaimsFileError, match=msg) as info:
        claims.load_claims("bad", f)
    assert "bad.toml" in str(info.value)


def test_every_committed_claims_file_loads():
    files = sorted((paths.ROOT / "data" / "claims").glob("*.toml"))
    assert [f.stem for f in files] == ["coldstarts", "fuyou", "polca", "t3"]
    for f in files:
        loaded = claims.load_claims(f.stem, f)
        lines = f.read_text(encoding="utf-8").splitlines()
        tables = [ln for ln in lines if ln.strip() == "[[claim]]"]
        assert len(loaded) == len(tables) > 0, f   # every [[claim]] table became a claim
        assert all((c.tolerance is None) == (c.value is None) for c in loaded.values()), f
