"""Committed measurements and their provenance: one schema for every paper.

Design: a measurement is a data file under ``data/measured/<paper>/`` (parquet, CSV or JSON)
plus ``<stem>.provenance.json`` beside it, in the schema below (:data:`SCHEMA`). Writers build
the record with :func:`record` and commit both files through :func:`write`; readers open data
through :func:`path`, which checks the data file's sha256 against its record (a file changed
after it was recorded stops with the fix) and notes it as a ``measured`` input of the run.

Schema ``paperkit.measured/1`` (JSON object):

- ``schema``: ``"paperkit.measured/1"``;
- ``machine``: a name for the machine (``"h200-lent-2026-11-28"``, ``"cpu-dev"``);
- ``device``: what was measured (``"NVIDIA H200"``, ``"CPU: 2 cores"``);
- ``driver``: GPU driver version, or null on a CPU;
- ``software``: versions that matter (``{"python": ..., "torch": ..., "cuda": ...}``);
- ``date``: ``YYYY-MM-DD`` of the measurement (the only date paperkit keeps: it is a fact of the
  data, not of the run);
- ``command``: how to re-run it;
- ``files``: ``{file name: sha256}`` of the data files it describes;
- ``notes``: free text (settings left as found, limits of the measurement), may be empty;
- ``extra``: an object for campaign-specific facts (rates, sizes), may be empty.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from paperkit import atomic, paths, provenance

SCHEMA = "paperkit.measured/1"
REQUIRED = ("schema", "machine", "device", "driver", "software", "date", "command", "files",
            "notes", "extra")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class MeasurementError(ValueError):
    """A measurement or its provenance record is missing, malformed or altered."""


def sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def provenance_file(data_file: Path) -> Path:
    """``<stem>.provenance.json`` beside a data file."""
    data_file = Path(data_file)
    return data_file.with_name(data_file.name.split(".")[0] + ".provenance.json")


def record(*, machine: str, device: str, driver: str | None, software: dict[str, str],
           date: str, command: str, files: dict[str, str], notes: str = "",
           extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A provenance record in the schema (validated)."""
    doc = {"schema": SCHEMA, "machine": machine, "device": device, "driver": driver,
           "software": software, "date": date, "command": command, "files": files,
           "notes": notes, "extra": extra or {}}
    validate(doc, "record")
    return doc | {"software": dict(sorted(software.items())), "files": dict(sorted(files.items()))}


def validate(doc: Any, where: str) -> None:
    """Raise :class:`MeasurementError` naming ``where`` and the first problem in ``doc``."""
    if not isinstance(doc, dict):
        raise MeasurementError(f"{where}: a provenance record is a JSON object")
    missing = [k for k in REQUIRED if k not in doc]
    if missing:
        raise MeasurementError(f"{where}: missing field(s) {', '.join(missing)} "
                               f"(schema {SCHEMA}, see paperkit/measured.py)")
    if doc["schema"] != SCHEMA:
        raise MeasurementError(f"{where}: schema {doc['schema']!r}, expected {SCHEMA!r}")
    if not isinstance(doc["date"], str) or not _DATE.match(doc["date"]):
        raise MeasurementError(f"{where}: date {doc['date']!r} must be YYYY-MM-DD")
    if not isinstance(doc["files"], dict) or not doc["files"]:
        raise MeasurementError(f"{where}: files must name at least one data file and its sha256")
    for key in ("software", "extra"):
        if not isinstance(doc[key], dict):
            raise MeasurementError(f"{where}: {key} must be an object")


def read_provenance(prov_file: Path) -> dict[str, Any]:
    """Read and validate one provenance record."""
    prov_file = Path(prov_file)
    try:
        doc = json.loads(prov_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MeasurementError(f"{_rel(prov_file)} is missing: every measurement needs its "
                               "provenance record beside it") from None
    except json.JSONDecodeError as exc:
        raise MeasurementError(f"{_rel(prov_file)}: not valid JSON ({exc})") from None
    validate(doc, _rel(prov_file))
    return doc


def path(name: str, directory: Path | None = None) -> Path:
    """A verified committed measurement ``data/measured/<name>``, noted as a run input."""
    data_file = (Path(directory) if directory else paths.measured_dir()) / name
    if not data_file.is_file():
        raise MeasurementError(f"{_rel(data_file)} does not exist; the measurement campaigns "
                               "are `make gpu-polca`, `make gpu-fuyou`, `make gpu-t3`")
    doc = read_provenance(provenance_file(data_file))
    expected = doc["files"].get(data_file.name)
    got = sha256(data_file)
    if expected != got:
        raise MeasurementError(f"{_rel(data_file)} has sha256 {got}, but its provenance records "
                               f"{expected}: restore it with `git checkout -- {_rel(data_file)}`")
    provenance.note_input("measured", name=_rel(data_file), sha256=got)
    return data_file


def write(directory: Path, files: dict[str, bytes], **fields: Any) -> Path:
    """Write the data ``files`` ({name: bytes}) and one provenance record describing them,
    atomically; return the provenance file. ``fields`` are :func:`record`'s arguments."""
    directory = Path(directory)
    for name, data in sorted(files.items()):
        atomic.write_bytes(directory / name, data)
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    doc = record(files=digests, **fields)
    out = provenance_file(directory / sorted(files)[0])
    atomic.write_text(out, json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return out


def all_records(directory: Path | None = None) -> list[Path]:
    """Every ``*.provenance.json`` under ``data/measured``."""
    return sorted((Path(directory) if directory else paths.measured_dir()).rglob(
        "*.provenance.json"))


def _rel(p: Path) -> str:
    return str(p.relative_to(paths.ROOT)) if p.is_absolute() and p.is_relative_to(paths.ROOT) \
        else str(p)
