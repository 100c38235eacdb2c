import json

import pytest

from paperkit import measured, provenance


def _write(tmp_path, **over):
    fields = dict(machine="cpu-dev", device="CPU: 2 cores", driver=None,
                  software={"python": "3.11"}, date="2026-11-28", command="make gpu-x",
                  notes="left as found", extra={"rate": 1.5}) | over
    return measured.write(tmp_path / "x", {"runs.csv": b"a,b\n1,2\n"}, **fields)


def test_write_then_read_verifies_and_notes_the_input(tmp_path):
    prov = _write(tmp_path)
    assert prov.name == "runs.provenance.json"
    doc = measured.read_provenance(prov)
    assert doc["schema"] == measured.SCHEMA and doc["files"]["runs.csv"] == measured.sha256(
        tmp_path / "x" / "runs.csv")
    provenance.reset()
    assert measured.path("runs.csv", tmp_path / "x") == tmp_path / "x" / "runs.csv"
    assert provenance.inputs()[0]["kind"] == "measured"
    provenance.reset()


def test_an_altered_measurement_stops_with_the_fix(tmp_path):
    _write(tmp_path)
    (tmp_path / "x" / "runs.csv").write_bytes(b"a,b\n9,9\n")
    with pytest.raises(measured.MeasurementError, match="git checkout"):
        measured.path("runs.csv", tmp_path / "x")


@pytest.mark.parametrize("over,msg", [(dict(date="28/11/2026"), "YYYY-MM-DD"),
                                      (dict(software="3.11"), "software must be an object")])
def test_bad_records_are_refused(tmp_path, over, msg):
    with pytest.raises(measured.MeasurementError, match=msg):
        _write(tmp_path, **over)


def test_missing_fields_name_the_file(tmp_path):
    f = tmp_path / "a.provenance.json"
    f.write_text(json.dumps({"schema": measured.SCHEMA, "machine": "m"}))
    with pytest.raises(measured.MeasurementError, match=r"a\.provenance\.json: missing field"):
        measured.read_provenance(f)


def test_every_committed_record_follows_the_schema():
    for prov in measured.all_records():
        doc = measured.read_provenance(prov)
        for name, digest in doc["files"].items():
            assert measured.sha256(prov.parent / name) == digest, (prov, name)
