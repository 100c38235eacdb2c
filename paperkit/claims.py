"""The paper's claims, the reproduced values and their verdicts.

Design: each paper's numbers live in one TOML file, ``data/claims/<paper>.toml`` (one
``[[claim]]`` table per claim: id, text, value, unit, source tag, reliability, tolerance,
tol_kind). A notebook opens a :class:`ClaimsTable`, records the values its code computed
(never typed in) with the data tier they were computed on, and ends with
:meth:`ClaimsTable.show`, which displays the table and writes
``build/claims/<notebook>.json`` (sorted, rounded: byte-stable across runs).

Verdicts: ``match`` when ``|reproduced - value| <= tolerance`` (relative tolerances are a
fraction of ``|value|``), ``off`` otherwise, ``not checkable`` when the claim has no number
or the data tier cannot support it. ``role="calibration"`` marks values that were inputs of a
generator or fit: a match then only shows that the pipeline recovers its own input.
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paperkit import paths
from paperkit.figures import check_tier

VERDICTS = ("match", "off", "not checkable")
ROLES = ("check", "calibration")
RELIABILITIES = ("primary", "approximate", "secondary")
_REQUIRED = ("id", "text", "unit", "source", "reliability")


class ClaimsFileError(ValueError):
    """A claims TOML file is malformed; the message names the file and the claim."""


@dataclass(frozen=True)
class Claim:
    """One number (or statement) that a paper makes, as recorded in its claims file."""

    id: str
    text: str
    unit: str
    source: str
    reliability: str
    value: float | None = None
    tolerance: float | None = None
    tol_kind: str = "rel"

    def tolerance_label(self) -> str:
        """Human form of the tolerance: ``±10%`` or ``±0.5 s``."""
        if self.value is None or self.tolerance is None:
            return ""
        if self.tol_kind == "rel":
            return f"±{_fmt(self.tolerance * 100)}%"
        return f"±{_fmt(self.tolerance)} {self.unit}".rstrip()


def _fmt(x: float | None, digits: int = 4) -> str:
    if x is None:
        return ""
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return f"{x:.{digits}g}"


def round_sig(x: float, digits: int = 6) -> float:
    """Round to ``digits`` significant digits (float noise from parallel sums stays out)."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    return round(float(x), digits - 1 - int(math.floor(math.log10(abs(x)))))


def load_claims(paper: str, path: Path | None = None) -> dict[str, Claim]:
    """Read and validate ``data/claims/<paper>.toml``; return claims by id, in file order."""
    path = path or paths.claims_file(paper)
    if not path.exists():
        raise ClaimsFileError(f"no claims file for paper {paper!r}: expected {path}")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ClaimsFileError(f"{path}: not valid TOML ({exc})") from None
    out: dict[str, Claim] = {}
    for i, raw in enumerate(doc.get("claim", [])):
        where = f"{path}, claim #{i + 1} (id={raw.get('id', '?')!r})"
        missing = [k for k in _REQUIRED if k not in raw]
        if missing:
            raise ClaimsFileError(f"{where}: missing field(s) {', '.join(missing)}")
        unknown = set(raw) - set(_REQUIRED) - {"value", "tolerance", "tol_kind"}
        if unknown:
            raise ClaimsFileError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        if raw["id"] in out:
            raise ClaimsFileError(f"{where}: duplicate id {raw['id']!r}")
        if raw["reliability"] not in RELIABILITIES:
            raise ClaimsFileError(
                f"{where}: reliability {raw['reliability']!r} is not one of {RELIABILITIES}")
        kind = raw.get("tol_kind", "rel")
        if kind not in ("rel", "abs"):
            raise ClaimsFileError(f"{where}: tol_kind {kind!r} must be 'rel' or 'abs'")
        value = raw.get("value")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ClaimsFileError(f"{where}: value {value!r} must be a number (or be omitted)")
        tol = raw.get("tolerance")
        if value is not None and (tol is None or not isinstance(tol, int | float) or tol < 0):
            raise ClaimsFileError(f"{where}: a numeric claim needs a tolerance >= 0")
        out[raw["id"]] = Claim(
            id=str(raw["id"]), text=raw["text"], unit=raw["unit"], source=raw["source"],
            reliability=raw["reliability"],
            value=None if value is None else float(value),
            tolerance=None if tol is None else float(tol), tol_kind=kind,
        )
    if not out:
        raise ClaimsFileError(f"{path}: no [[claim]] entries")
    return out


def verdict(claim: Claim, reproduced: float | None) -> str:
    """``match`` / ``off`` / ``not checkable`` for one reproduced value."""
    if claim.value is None or reproduced is None or not math.isfinite(reproduced):
        return "not checkable"
    tol = claim.tolerance or 0.0
    allowed = tol * abs(claim.value) if claim.tol_kind == "rel" else tol
    return "match" if abs(reproduced - claim.value) <= allowed * (1 + 1e-12) else "off"


@dataclass
class Result:
    """A claim with what this notebook computed for it."""

    claim: Claim
    reproduced: float | None
    tier: str
    verdict: str
    role: str = "check"
    note: str = ""

    def as_dict(self, paper: str) -> dict[str, Any]:
        c = self.claim
        return {
            "id": c.id, "paper": c.value, "reproduced": self.reproduced, "unit": c.unit,
            "tier": self.tier, "verdict": self.verdict, "role": self.role,
            "text": c.text, "source": c.source, "reliability": c.reliability,
            "tolerance": c.tolerance, "tol_kind": c.tol_kind, "note": self.note,
            "paper_name": paper,
        }


@dataclass
class ClaimsTable:
    """The claims scoreboard of one notebook."""

    paper: str
    notebook: str
    claims: dict[str, Claim] = field(default_factory=dict)
    results: dict[str, Result] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.claims:
            self.claims = load_claims(self.paper)

    def _claim(self, claim_id: str) -> Claim:
        try:
            return self.claims[claim_id]
        except KeyError:
            raise KeyError(
                f"claim {claim_id!r} is not in {paths.claims_file(self.paper).name}; "
                f"known ids: {', '.join(self.claims)}") from None

    def record(self, claim_id: str, reproduced: float | None, tier: str, *,
               role: str = "check", note: str = "") -> Result:
        """Record the value the notebook computed for ``claim_id`` on data of ``tier``."""
        claim = self._claim(claim_id)
        if role not in ROLES:
            raise ValueError(f"role {role!r} must be one of {ROLES}")
        if reproduced is not None:
            if isinstance(reproduced, bool):
                reproduced = float(reproduced)
            try:
                reproduced = round_sig(float(reproduced))
            except (TypeError, ValueError):
                raise TypeError(
                    f"claim {claim_id}: reproduced value must be a number, got "
                    f"{type(reproduced).__name__}") from None
        result = Result(claim, reproduced, check_tier(tier), verdict(claim, reproduced),
                        role, note)
        self.results[claim_id] = result
        return result

    def not_checkable(self, claim_id: str, tier: str, reason: str) -> Result:
        """Record that this data tier cannot check ``claim_id``, and why."""
        result = Result(self._claim(claim_id), None, check_tier(tier), "not checkable",
                        "check", reason)
        self.results[claim_id] = result
        return result

    def _ordered(self) -> list[Result]:
        order = {cid: i for i, cid in enumerate(self.claims)}
        return sorted(self.results.values(), key=lambda r: order[r.claim.id])

    def records(self) -> list[dict[str, Any]]:
        """One dict per recorded claim, in the claims file's order."""
        return [r.as_dict(self.paper) for r in self._ordered()]

    def counts(self) -> dict[str, int]:
        """Number of claims per verdict."""
        out = dict.fromkeys(VERDICTS, 0)
        for r in self.results.values():
            out[r.verdict] += 1
        return out

    def frame(self):
        """The table as a pandas DataFrame (rounded, for display)."""
        import pandas as pd

        rows = []
        for r in self._ordered():
            c = r.claim
            rows.append({
                "id": c.id, "claim": c.text,
                "paper value": _fmt(c.value), "unit": c.unit,
                "source": f"{c.source} ({c.reliability})",
                "reproduced": _fmt(r.reproduced), "tier": r.tier,
                "tolerance": c.tolerance_label(), "verdict": r.verdict,
                "role": r.role, "note": r.note,
            })
        return pd.DataFrame(rows, columns=["id", "claim", "paper value", "unit", "source",
                                           "reproduced", "tier", "tolerance", "verdict",
                                           "role", "note"])

    def write(self, directory: Path | None = None) -> Path:
        """Write ``<claims_dir>/<notebook>.json`` atomically; return its path."""
        directory = directory or paths.claims_dir()
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.notebook}.json"
        doc = {"paper_name": self.paper, "notebook": self.notebook,
               "counts": self.counts(), "claims": self.records()}
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        tmp.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        return path

    def summary(self) -> str:
        """One line: counts per verdict."""
        c = self.counts()
        return (f"{self.paper}/{self.notebook}: {c['match']} match, {c['off']} off, "
                f"{c['not checkable']} not checkable")

    def show(self) -> None:
        """Write the JSON file and display the table (call it last in the notebook)."""
        import pandas as pd

        self.write()
        with pd.option_context("display.max_colwidth", 70, "display.width", 250,
                               "display.max_columns", None, "display.max_rows", 500):
            try:
                from IPython.display import display
            except ImportError:  # pragma: no cover - IPython is a dependency
                print(self.frame().to_string(index=False))
            else:
                display(self.frame())
        print(self.summary())
