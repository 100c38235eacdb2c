"""Read what a run left in ``build/`` without trusting it: damaged records are set aside and
named, and every claim's verdict is recomputed from the rules.

Design: :func:`read` returns the per-paper records the report renders and a list of plain-words
**findings** (a file set aside and why, a claim id the paper's claims file does not hold, a
verdict that was edited). A record is read only if it is a JSON object of the expected shape and
at most :data:`MAX_RECORD_BYTES` long (a notebook's claims file is a few tens of kB: a 46 MB one
is refused at once, never parsed). A claims record is **re-judged** (:func:`rejudge`): the paper
value, tolerance, form and flags come from ``data/claims/<paper>.toml``, the verdict from
:func:`paperkit.claims.judge`; the record supplies only what the notebook computed (value, tier,
and a role that may only leave ``check``, never enter it). So hand-edited verdicts, roles or
invented ids never change the headline.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

from paperkit import claims
from paperkit.figures import check_tier

MAX_RECORD_BYTES = 4_000_000
"""Largest record read (bytes): 40x the largest claims file a notebook writes today (~100 kB)."""
RUN_STATE = "run-state.json"
FAILED_DIR = "failed"


class Damaged(ValueError):
    """A record that cannot be used; the message says why."""


def load_json(path: Path) -> Any:
    """The JSON in ``path``, refused (:class:`Damaged`) when too large or not valid JSON."""
    size = path.stat().st_size
    if size > MAX_RECORD_BYTES:
        raise Damaged(f"{size / 1e6:.1f} MB, over the {MAX_RECORD_BYTES / 1e6:.0f} MB limit of a "
                      "record")
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Damaged(f"not valid JSON ({exc})") from None


def _need(doc: Any, fields: dict[str, type | tuple[type, ...]]) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise Damaged(f"a JSON object was expected, found {type(doc).__name__}")
    for key, kind in fields.items():
        if key not in doc:
            raise Damaged(f"no {key!r}")
        if not isinstance(doc[key], kind) or isinstance(doc[key], bool) and kind is not bool:
            raise Damaged(f"{key!r} is {type(doc[key]).__name__}, not "
                          f"{getattr(kind, '__name__', 'the expected type')}")
    return doc


_RECORD = {"id": str, "role": str, "tier": str}


def _reproduced(r: dict[str, Any]) -> float | None:
    x = r.get("reproduced")
    if x is None:
        return None
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
        raise Damaged(f"claim {r['id']!r}: reproduced {x!r} is not a finite number or null")
    return float(x)


def rejudge(r: dict[str, Any], claim: claims.Claim, notebook: str) -> dict[str, Any]:
    """One record re-judged against its claim (see the module docstring)."""
    _need(r, _RECORD)
    if r["role"] not in claims.ROLES:
        raise Damaged(f"claim {r['id']!r}: role {r['role']!r} is not one of {claims.ROLES}")
    try:
        tier = check_tier(r["tier"])
    except ValueError as exc:
        raise Damaged(f"claim {r['id']!r}: {exc}") from None
    reproduced = _reproduced(r)
    role = claim.role if r["role"] == "check" else r["role"]
    j = claims.judge(claim, reproduced, tier, role)
    note = r.get("note") if isinstance(r.get("note"), str) else ""
    return {"id": claim.id, "paper": claim.value, "reproduced": reproduced, "unit": claim.unit,
            "tier": tier, "verdict": j.verdict, "edge": j.edge, "vacuous": j.vacuous,
            "role": role, "text": claim.text, "source": claim.source,
            "reliability": claim.reliability, "tolerance": claim.tolerance,
            "tol_kind": claim.tol_kind, "half_width": claim.half_width,
            "same_as": claim.same_as, "form": claim.form, "notebook": notebook,
            "note": note if j.note and j.note in note else claims._join(j.note, note),
            "recorded_verdict": r.get("verdict"), "recorded_role": r["role"]}


def _claims_doc(doc: Any, known: dict[str, dict[str, claims.Claim]],
                where: str) -> tuple[dict[str, Any], list[str]]:
    """A claims document with its records re-judged; findings about single records."""
    doc = _need(doc, {"paper_name": str, "notebook": str, "claims": list})
    _check_run(doc.get("run", {}))
    paper = doc["paper_name"]
    if paper not in known:
        try:
            known[paper] = claims.load_claims(paper)
        except claims.ClaimsFileError as exc:
            raise Damaged(f"paper {paper!r} has no usable claims file ({exc})") from None
    table, out, findings = known[paper], [], []
    for i, r in enumerate(doc["claims"]):
        if not isinstance(r, dict) or not isinstance(r.get("id"), str):
            raise Damaged(f"claim #{i + 1} is not a record with an id")
        if r["id"] not in table:
            findings.append(f"{where}: claim id {r['id']!r} is not in "
                            f"data/claims/{paper}.toml: set aside")
            continue
        new = rejudge(r, table[r["id"]], doc["notebook"]) | {"paper_name": paper}
        if r.get("verdict") != new["verdict"] or r["role"] != new["role"]:
            findings.append(f"{where}: {paper}:{r['id']} was recorded as {r.get('verdict')!r} "
                            f"({r['role']}); the rule gives {new['verdict']!r} "
                            f"({new['role']}): the rule's is shown")
        out.append(new)
    return doc | {"claims": out}, findings


def _check_run(run: Any) -> None:
    """The run record's shape, as the report reads it."""
    if not isinstance(run, dict):
        raise Damaged(f"'run' is {type(run).__name__}, not an object")
    for key, kind in (("parameters", dict), ("overrides", dict), ("git", dict), ("inputs", list)):
        if key in run and not isinstance(run[key], kind):
            raise Damaged(f"run {key!r} is {type(run[key]).__name__}, not {kind.__name__}")
    if not all(isinstance(i, dict) and isinstance(i.get("kind"), str)
               for i in run.get("inputs", [])):
        raise Damaged("run 'inputs' must be objects with a 'kind'")


def _empty() -> dict[str, Any]:
    return {"claims": {}, "figures": [], "timings": {}, "failed": {}}


def _each(build: Path, pattern: str) -> list[tuple[Path, str]]:
    return [(f, str(f.relative_to(build))) for f in sorted(build.glob(pattern)) if f.is_file()]


def read(build: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Per paper ``{"claims": {notebook: doc}, "figures": [png], "timings": {nb: s},
    "failed": {nb: record}}``, and the findings (damaged records set aside, and why)."""
    out: dict[str, dict[str, Any]] = defaultdict(_empty)
    findings: list[str] = []
    known: dict[str, dict[str, claims.Claim]] = {}
    readers = (("claims/*.json", lambda d, w: _claims_doc(d, known, w), "claims"),
               ("timings/*.json", _timing, "timings"), (f"{FAILED_DIR}/*.json", _failure, "failed"))
    for pattern, reader, key in readers:
        for f, where in _each(build, pattern):
            try:
                doc, more = reader(load_json(f), where)
            except (Damaged, OSError) as exc:
                findings.append(f"{where} is damaged and was set aside: {exc}")
                continue
            findings += more
            paper = doc.get("paper_name", doc.get("paper"))
            out[paper][key][doc["notebook"]] = doc if key != "timings" else doc["seconds"]
    for d in sorted((build / "figures").glob("*")):
        if d.is_dir():
            out[d.name]["figures"] = sorted(d.glob("*.png"))
    return dict(sorted(out.items())), findings


def _timing(doc: Any, where: str) -> tuple[dict[str, Any], list[str]]:
    doc = _need(doc, {"paper": str, "notebook": str, "seconds": (int, float)})
    if not math.isfinite(doc["seconds"]) or doc["seconds"] < 0:
        raise Damaged(f"seconds {doc['seconds']!r} is not a duration")
    return doc, []


def _failure(doc: Any, where: str) -> tuple[dict[str, Any], list[str]]:
    return _need(doc, {"paper": str, "notebook": str, "state": str, "message": str}), []


def run_state(build: Path) -> tuple[dict[str, Any] | None, str | None]:
    """``build/run-state.json`` as ``(state, None)``, or ``(None, finding)`` when damaged."""
    f = build / RUN_STATE
    if not f.is_file():
        return None, None
    try:
        return _need(load_json(f), {"state": str}), None
    except (Damaged, OSError) as exc:
        return None, f"{RUN_STATE} is damaged and was set aside: {exc}"
