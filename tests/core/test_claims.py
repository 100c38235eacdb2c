import json
import textwrap

import pytest

from paperkit import claims

TOML = textwrap.dedent("""
    paper = "demo"
    [[claim]]
    id = "A"
    text = "speedup"
    value = 1.30
    unit = "x"
    source = "[abstract]"
    reliability = "primary"
    tolerance = 0.1
    [[claim]]
    id = "B"
    text = "latency"
    value = 10.0
    unit = "s"
    source = "[fig, approx]"
    reliability = "approximate"
    tolerance = 2
    tol_kind = "abs"
    [[claim]]
    id = "C"
    text = "five regions"
    unit = ""
    source = "[text p.2]"
    reliability = "primary"
""")


@pytest.fixture
def table(tmp_path):
    f = tmp_path / "demo.toml"
    f.write_text(TOML)
    return claims.ClaimsTable("demo", "01_demo", claims=claims.load_claims("demo", f))


def test_verdicts(table):
    assert table.record("A", 1.42, tier="modelled").verdict == "match"   # within 10 %
    assert table.record("A", 1.44, tier="modelled").verdict == "off"
    assert table.record("B", 12.0, tier="synthetic").verdict == "match"  # abs 2 s
    assert table.record("B", 12.5, tier="synthetic").verdict == "off"
    assert table.record("C", 5, tier="public").verdict == "not checkable"
    assert table.not_checkable("A", "synthetic", "needs the real trace").verdict == "not checkable"
    assert table.counts() == {"match": 0, "off": 1, "not checkable": 2}


def test_json_fields_and_order(table, build_dir):
    table.record("B", 10.123456789, tier="synthetic", role="calibration", note="n")
    table.record("A", 1.3, tier="modelled")
    path = table.write()
    assert path == build_dir / "claims" / "01_demo.json"
    doc = json.loads(path.read_text())
    assert [r["id"] for r in doc["claims"]] == ["A", "B"]  # file order, not record order
    row = doc["claims"][1]
    for key in ("id", "paper", "reproduced", "unit", "tier", "verdict"):
        assert key in row
    assert row["paper"] == 10.0 and row["reproduced"] == 10.1235 and row["role"] == "calibration"
    first = path.read_bytes()
    table.write()
    assert path.read_bytes() == first


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
    assert list(frame["verdict"]) == ["match"]
    assert frame.loc[0, "tolerance"] == "±10%"
    table.show()
    assert "1 match, 0 off, 0 not checkable" in capsys.readouterr().out
    assert (build_dir / "claims" / "01_demo.json").exists()


@pytest.mark.parametrize("bad,msg", [
    ('[[claim]]\nid="A"\ntext="t"\nunit=""\nsource="s"\n', "missing field"),
    ('[[claim]]\nid="A"\ntext="t"\nunit=""\nsource="s"\nreliability="sure"\n', "reliability"),
    ('[[claim]]\nid="A"\ntext="t"\nunit=""\nsource="s"\nreliability="primary"\nvalue=1\n',
     "tolerance"),
    ('[[claim]]\nid="A"\ntext="t"\nunit=""\nsource="s"\nreliability="primary"\nvalue="1"\n'
     'tolerance=1\n', "must be a number"),
    ('[[claim]]\nid="A"\ntext="t"\nunit=""\nsource="s"\nreliability="primary"\nvalu=1\n',
     "unknown field"),
    ("x = [", "not valid TOML"),
])
def test_bad_claims_files_name_file_and_claim(tmp_path, bad, msg):
    f = tmp_path / "bad.toml"
    f.write_text(bad)
    with pytest.raises(claims.ClaimsFileError, match=msg) as info:
        claims.load_claims("bad", f)
    assert "bad.toml" in str(info.value)


def test_every_committed_claims_file_loads():
    from paperkit import paths

    files = sorted((paths.ROOT / "data" / "claims").glob("*.toml"))
    for f in files:
        loaded = claims.load_claims(f.stem, f)
        assert loaded, f
