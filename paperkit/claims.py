"""The paper's claims, the reproduced values, their roles and verdicts.

Design: each paper's numbers live in one TOML file, ``data/claims/<paper>.toml`` (one
``[[claim]]`` table per claim: id, text, value, unit, source, reliability tag, quantity kind,
default role). A notebook opens a :class:`ClaimsTable`, records the values its code computed
(never typed in) with the data tier they were computed on, and ends with
:meth:`ClaimsTable.show`, which displays the table and writes ``build/claims/<notebook>.json``
(sorted, rounded, with the run's provenance and no timestamps: byte-stable across runs).

**Tolerances follow from the source's reliability tag by one written rule** (:data:`RULE`),
never from a per-claim number: how precisely the paper states a number decides how close a
reproduction must come. The tag is ``exact`` (a value printed in the text or a table),
``derived`` (computed from printed values), ``figure`` (read off a figure) or ``approximate``
(the paper says "about", "nearly", "up to"). The quantity kind says how the tolerance applies:
``rel`` (a fraction of the value), ``abs`` (in the claim's unit: shares, fractions,
correlations), ``discrete`` (counts, days: the rule gives whole steps), ``bool`` (yes = 1 /
no = 0: no tolerance), ``bound`` (the
paper gives a bound: ``|reproduced| <= value``) or ``range`` (the paper gives a range ``[low,
high]``: the value is its midpoint and the tolerance its half-width).

**Roles** (:data:`ROLES`) say what a match means: ``check`` (an independent comparison with the
paper), ``calibration`` (the value was an input of a fit or generator), ``consistency`` (the
paper's number and the value come from the same public data: a data-integrity check),
``invariant`` (true by the model's construction) and ``extension`` (paperkit's own question).
Only ``check`` counts toward the headline, :func:`headline`.

**Verdicts**: ``match`` (within the tolerance; ``edge`` too when in its outer tenth), ``off``,
``not checkable`` (no number, or the data cannot support it) and ``needs real data`` (a claim
on the synthetic tier about a quantity the generator does not model).

**Rules applied by mechanism, not by hand** (all fields optional, so older files load):

- *The form follows the words* (:func:`paperkit.claimtext.stated_form`): a point claim whose
  text states its value as a bound ("< 1 %", "below 30 %") is judged as ``bound``; as a lower
  bound ("over 12 million") as ``at_least`` (``reproduced >= value``); as a range whose midpoint
  it is ("40-45 %") as ``range``. :attr:`Claim.form` says where the kind came from.
- *One value, one vote*: ``same_as = "<id>"`` marks a claim computed from the same value as
  another; :func:`headline` counts each such group once.
- *Unmodelled by quantity*: ``quantity = "<name>"`` names what a claim measures; a claim is
  ``unmodelled`` when its paper's generator lists that quantity as not modelled (the per-paper
  hook :func:`not_modelled`: ``paperkit.<paper>.NOT_MODELLED``), or when the file says so.
- *Vacuous checks*: ``trivial = <number>`` (or a list) names a trivial baseline or the calibrated
  input; a ``check`` whose tolerance window accepts it is ``vacuous``: flagged, not counted.
- *Unverified sources*: a claim whose every source tag is unverified (``[REC]``, a recollection;
  a file adds its own with the top-level ``unverified_tags = [...]``) is ``not checkable``.

A file's top level may also hold ``paper_kind = "data"`` (a paper about a data set, scored apart
from the model papers) and ``[source_tags]`` (tag -> meaning, merged over :data:`SOURCE_TAGS`).
"""

from __future__ import annotations

import importlib
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import display

from paperkit import atomic, claimtext, paths, provenance, tables
from paperkit.figures import check_tier

VERDICTS = ("match", "off", "not checkable", "needs real data")
ROLES = ("check", "calibration", "consistency", "invariant", "extension")
RELIABILITIES = ("exact", "derived", "figure", "approximate")
KINDS = ("rel", "abs", "discrete", "bool", "bound", "at_least", "range")
RULE: dict[str, dict[str, float]] = {
    #               relative  absolute  discrete steps
    "exact":       {"rel": 0.05, "abs": 0.02, "discrete": 0},
    "derived":     {"rel": 0.10, "abs": 0.04, "discrete": 0},
    "figure":      {"rel": 0.20, "abs": 0.06, "discrete": 1},
    "approximate": {"rel": 0.30, "abs": 0.10, "discrete": 1},
}
"""The tolerance rule: per reliability tag, the tolerance of each quantity kind."""
EDGE_FRACTION = 0.1
"""A match whose distance is in the outer tenth of its tolerance is marked ``edge``."""
_REQUIRED = ("id", "text", "unit", "source", "reliability")
_OPTIONAL = ("value", "tol_kind", "role", "unmodelled", "range", "same_as", "quantity", "trivial")
PAPER_KINDS = ("model", "data")
SOURCE_TAGS = {
    "A": "the paper's abstract", "ABS": "the paper's abstract", "Q": "a verbatim quote",
    "Q-fragment": "a fragment of a verbatim quote", "S": "a secondary reading of the paper",
    "S1": "a detailed secondary reading of the paper (not checked against the PDF)",
    "S2": "a second secondary reading", "SS": "a machine-written summary (tertiary)",
    "SEC": "secondary summaries, paraphrased by third parties",
    "P": "other public material", "P-weak": "other public material, weak",
    "D": "the paper's public data", "DER": "arithmetic on stated values (derived)",
    "REC": "a recollection of the text, NOT verified against the paper: not checkable",
    "text": "the paper's text, at the page given", "fig": "read off the paper's figure",
    "approx": "approximate reading", "nb": "the authors' notebook outputs on the release",
    "meta": "counts over the released metadata table",
    "ext": "another paper, named in the source", "preprint": "the paper's arXiv preprint",
    "?": "not given by the paper: paperkit's assumption, stated in the claim",
}
"""Meanings of the source tags used in the claims files (a file's ``[source_tags]`` adds its
own). Shown as the report's legend."""
UNVERIFIED_TAGS = frozenset({"REC"})
"""Tags of sources that are not verified against the paper: such a claim is not checkable."""


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
    tol_kind: str = "rel"
    role: str = "check"
    unmodelled: bool = False
    """True when the synthetic generator does not model this quantity."""
    half_width: float | None = None
    """For ``range`` claims: half the range's width."""
    same_as: str | None = None
    """The id of a claim computed from the same value (counted once in the headline)."""
    quantity: str | None = None
    """What the claim measures, in the words of the paper's ``NOT_MODELLED`` list."""
    trivial: tuple[float, ...] = ()
    """Trivial baselines or calibrated inputs: a window that accepts one is vacuous."""
    unverified: bool = False
    """Every source of the claim is unverified (e.g. ``[REC]``): not checkable."""
    form: str = ""
    """Where the kind came from when the text decided it (``"upper bound stated in the text"``)."""

    @property
    def tolerance(self) -> float | None:
        """The allowed distance from the paper's value, by :data:`RULE` (None without a value)."""
        if self.value is None:
            return None
        if self.tol_kind == "bound":
            return abs(self.value)
        if self.tol_kind == "range":
            return self.half_width
        if self.tol_kind in ("bool", "at_least"):
            return 0.0
        return RULE[self.reliability][self.tol_kind]

    def allowed(self) -> float:
        """The tolerance in the claim's unit."""
        tol = self.tolerance or 0.0
        return tol * abs(self.value or 0.0) if self.tol_kind == "rel" else tol

    def accepts(self, x: float) -> bool:
        """Whether ``x`` lies in the claim's tolerance window."""
        return verdict(self, x) == "match"

    def vacuous(self) -> bool:
        """The window also accepts a trivial baseline or the calibrated input."""
        return any(self.accepts(t) for t in self.trivial)

    def tolerance_label(self) -> str:
        """Human form of the tolerance: ``±10%``, ``±0.05 fraction``, ``|x| <= 0.01``."""
        if self.value is None:
            return ""
        if self.tol_kind == "bound":
            return f"|x| ≤ {_fmt(self.value)}"
        if self.tol_kind == "at_least":
            return f"x ≥ {_fmt(self.value)}"
        if self.tol_kind == "range":
            lo, hi = self.value - self.half_width, self.value + self.half_width
            return f"in [{_fmt(lo)}, {_fmt(hi)}]"
        if self.tol_kind == "bool":
            return "yes/no"
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


@dataclass(frozen=True)
class PaperMeta:
    """A claims file's top level: the kind of paper and its source tags."""

    paper: str
    kind: str = "model"
    source_tags: dict[str, str] = field(default_factory=dict)
    unverified_tags: frozenset[str] = UNVERIFIED_TAGS


def _read(paper: str, path: Path | None) -> tuple[dict[str, Any], Path]:
    path = path or paths.claims_file(paper)
    if not path.exists():
        raise ClaimsFileError(f"no claims file for paper {paper!r}: expected {path}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), path
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ClaimsFileError(f"{path}: not valid TOML ({exc})") from None


def _meta(paper: str, doc: dict[str, Any], path: Path) -> PaperMeta:
    kind = doc.get("paper_kind", "model")
    if kind not in PAPER_KINDS:
        raise ClaimsFileError(f"{path}: paper_kind {kind!r} is not one of {PAPER_KINDS}")
    tags, unverified = doc.get("source_tags", {}), doc.get("unverified_tags", [])
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        raise ClaimsFileError(f"{path}: [source_tags] must map tags to meanings (strings)")
    if not isinstance(unverified, list) or not all(isinstance(v, str) for v in unverified):
        raise ClaimsFileError(f"{path}: unverified_tags must be a list of tags (strings)")
    return PaperMeta(paper, kind, SOURCE_TAGS | tags, UNVERIFIED_TAGS | frozenset(unverified))


def load_meta(paper: str, path: Path | None = None) -> PaperMeta:
    """The top level of ``data/claims/<paper>.toml`` (:class:`PaperMeta`)."""
    doc, path = _read(paper, path)
    return _meta(paper, doc, path)


def not_modelled(paper: str) -> frozenset[str]:
    """The per-paper hook: the quantities ``paperkit.<paper>.NOT_MODELLED`` lists as not
    modelled by that paper's generator (empty when the paper has no such list)."""
    try:
        module = importlib.import_module(f"paperkit.{paper}")
    except ModuleNotFoundError:
        return frozenset()
    return frozenset(getattr(module, "NOT_MODELLED", ()))


def load_claims(paper: str, path: Path | None = None, *,
                unmodelled: frozenset[str] | None = None) -> dict[str, Claim]:
    """Read and validate ``data/claims/<paper>.toml``; return claims by id, in file order.

    ``unmodelled``: the quantities the generator does not model (default :func:`not_modelled`).
    """
    doc, path = _read(paper, path)
    meta = _meta(paper, doc, path)
    gaps = not_modelled(paper) if unmodelled is None else unmodelled
    out: dict[str, Claim] = {}
    for i, raw in enumerate(doc.get("claim", [])):
        if not isinstance(raw, dict):
            raise ClaimsFileError(f"{path}, claim #{i + 1}: not a table")
        claim = _parse_claim(raw, f"{path}, claim #{i + 1} (id={raw.get('id', '?')!r})",
                             meta.unverified_tags, gaps)
        if claim.id in out:
            raise ClaimsFileError(f"{path}, claim #{i + 1}: duplicate id {claim.id!r}")
        out[claim.id] = claim
    if not out:
        raise ClaimsFileError(f"{path}: no [[claim]] entries")
    for c in out.values():
        if c.same_as is not None and (c.same_as not in out or c.same_as == c.id):
            raise ClaimsFileError(f"{path}: claim {c.id!r}: same_as {c.same_as!r} must name "
                                  "another claim of this file")
    return out


def _check_fields(raw: dict[str, Any], where: str) -> None:
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise ClaimsFileError(f"{where}: missing field(s) {', '.join(missing)}")
    if "tolerance" in raw:
        raise ClaimsFileError(f"{where}: remove 'tolerance': tolerances follow from the "
                              "reliability tag by paperkit.claims.RULE")
    unknown = set(raw) - set(_REQUIRED) - set(_OPTIONAL)
    if unknown:
        raise ClaimsFileError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    for key, allowed in (("reliability", RELIABILITIES), ("tol_kind", KINDS), ("role", ROLES)):
        if key in raw and raw[key] not in allowed:
            raise ClaimsFileError(f"{where}: {key} {raw[key]!r} is not one of {allowed}")
    for key in ("id", "text", "unit", "source", "same_as", "quantity"):
        if key in raw and not isinstance(raw[key], str):
            raise ClaimsFileError(f"{where}: {key} must be a string")


def _finite(x: Any) -> bool:
    return not isinstance(x, bool) and isinstance(x, int | float) and math.isfinite(x)


def _value_and_half(raw: dict[str, Any], where: str) -> tuple[float | None, float | None]:
    value = raw.get("value")
    if raw.get("tol_kind") == "range":
        lo_hi = raw.get("range")
        if (value is not None or not isinstance(lo_hi, list) or len(lo_hi) != 2
                or not all(_finite(x) for x in lo_hi) or lo_hi[0] > lo_hi[1]):
            raise ClaimsFileError(f"{where}: a range claim needs range = [low, high] (and no value)")
        return (lo_hi[0] + lo_hi[1]) / 2, (lo_hi[1] - lo_hi[0]) / 2
    if "range" in raw:
        raise ClaimsFileError(f"{where}: 'range' needs tol_kind = \"range\"")
    if value is not None and not _finite(value):
        raise ClaimsFileError(f"{where}: value {value!r} must be a finite number (or be omitted)")
    return (None if value is None else float(value)), None


def _stated(raw: dict[str, Any], value: float | None,
            half: float | None) -> tuple[str, float | None, float | None, str]:
    """The kind the claim's own words give a point claim (bound, at_least, range), else its own."""
    kind = raw.get("tol_kind", "rel")
    if kind not in ("rel", "abs", "discrete"):
        return kind, value, half, ""
    stated = claimtext.stated_form(raw["text"], value, raw["unit"])
    if stated is None:
        return kind, value, half, ""
    form, lo, hi = stated
    if form == "range":
        return "range", (lo + hi) / 2, (hi - lo) / 2, "range stated in the text"
    return ("bound" if form == "upper" else "at_least"), value, half, f"{form} bound stated in the text"


def _parse_claim(raw: dict[str, Any], where: str, unverified_tags: frozenset[str],
                 gaps: frozenset[str]) -> Claim:
    _check_fields(raw, where)
    value, half = _value_and_half(raw, where)
    kind, value, half, form = _stated(raw, value, half)
    trivial = raw.get("trivial", [])
    trivial = trivial if isinstance(trivial, list) else [trivial]
    if not all(_finite(t) for t in trivial):
        raise ClaimsFileError(f"{where}: trivial must be a finite number or a list of them")
    tags = claimtext.source_tags(raw["source"])
    quantity = raw.get("quantity")
    return Claim(id=raw["id"], text=raw["text"], unit=raw["unit"], source=raw["source"],
                 reliability=raw["reliability"], value=value, tol_kind=kind,
                 role=raw.get("role", "check"),
                 unmodelled=bool(raw.get("unmodelled", False)) or quantity in gaps,
                 half_width=half, same_as=raw.get("same_as"), quantity=quantity,
                 trivial=tuple(float(t) for t in trivial),
                 unverified=bool(tags) and all(t in unverified_tags for t in tags), form=form)


def distance(claim: Claim, reproduced: float) -> float:
    """How far ``reproduced`` is from the claim, in the claim's unit (for ``at_least``: how far
    below the bound)."""
    if claim.tol_kind == "bound":
        return max(0.0, abs(reproduced))
    if claim.tol_kind == "at_least":
        return max(0.0, (claim.value or 0.0) - reproduced)
    return abs(reproduced - (claim.value or 0.0))


def verdict(claim: Claim, reproduced: float | None) -> str:
    """``match`` / ``off`` / ``not checkable`` for one reproduced value."""
    if claim.value is None or reproduced is None or not math.isfinite(reproduced):
        return "not checkable"
    return "match" if distance(claim, reproduced) <= claim.allowed() * (1 + 1e-12) else "off"


def is_edge(claim: Claim, reproduced: float | None) -> bool:
    """A match in the outer tenth of its tolerance (a bound's top tenth)."""
    if verdict(claim, reproduced) != "match" or claim.allowed() == 0:
        return False
    return distance(claim, reproduced) > (1 - EDGE_FRACTION) * claim.allowed()


@dataclass(frozen=True)
class Judgement:
    """What the rules say about one reproduced value: verdict, edge, vacuous, and why."""

    verdict: str
    edge: bool = False
    vacuous: bool = False
    note: str = ""


def judge(claim: Claim, reproduced: float | None, tier: str, role: str) -> Judgement:
    """Apply every rule to one value: unverified source -> ``not checkable``; an unmodelled
    quantity on the synthetic tier -> ``needs real data``; else the tolerance window, with a
    ``check`` whose window accepts a trivial value marked vacuous."""
    if claim.unverified:
        return Judgement("not checkable", note="the source is an unverified recollection "
                                               f"({claim.source})")
    if claim.unmodelled and "synthetic" in tier.split("+"):
        return Judgement("needs real data",
                         note="the synthetic generator does not model this quantity")
    v = verdict(claim, reproduced)
    vacuous = role == "check" and v in ("match", "off") and claim.vacuous()
    note = (f"vacuous: the window also accepts the trivial value "
            f"{', '.join(_fmt(t) for t in claim.trivial)}" if vacuous else "")
    return Judgement(v, is_edge(claim, reproduced), vacuous, note)


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


@dataclass
class Result:
    """A claim with what this notebook computed for it."""

    claim: Claim
    reproduced: float | None
    tier: str
    verdict: str
    role: str = "check"
    note: str = ""
    edge: bool = False
    vacuous: bool = False

    def as_dict(self, paper: str) -> dict[str, Any]:
        c = self.claim
        return {
            "id": c.id, "paper": c.value, "reproduced": self.reproduced, "unit": c.unit,
            "tier": self.tier, "verdict": self.verdict, "edge": self.edge, "role": self.role,
            "text": c.text, "source": c.source, "reliability": c.reliability,
            "tolerance": c.tolerance, "tol_kind": c.tol_kind, "note": self.note,
            "paper_name": paper, "same_as": c.same_as, "vacuous": self.vacuous,
        }


def verdict_label(verdict_: str, edge: bool) -> str:
    """``match (edge)`` or the verdict itself."""
    return f"{verdict_} (edge)" if edge else verdict_


def counted_checks(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records that count in the headline: role ``check``, verdict match/off, not vacuous,
    and one per ``same_as`` group (the first in order)."""
    seen: set[str] = set()
    out = []
    for r in rows:
        if r["role"] != "check" or r["verdict"] not in ("match", "off") or r.get("vacuous"):
            continue
        key = r.get("same_as") or r["id"]
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def headline(rows: list[dict[str, Any]], n_claims: int) -> dict[str, Any]:
    """The honest scoreboard of a set of claim records (``ClaimsTable.records()`` dicts).

    ``share``: of the independent checks (role ``check``) that are checkable on this data,
    the fraction that match, each value counted once (``same_as``) and vacuous checks left out.
    ``coverage``: those checkable checks over all ``n_claims`` of the paper. Other roles are
    counted apart and never enter the share."""
    checks = counted_checks(rows)
    matched = sum(r["verdict"] == "match" for r in checks)
    by_role = {role: sum(r["role"] == role for r in rows) for role in ROLES}
    raw = [r for r in rows if r["role"] == "check" and r["verdict"] in ("match", "off")]
    return {"checks": len(checks), "matched": matched,
            "share": matched / len(checks) if checks else None,
            "coverage": len(checks) / n_claims if n_claims else None,
            "n_claims": n_claims, "by_role": by_role,
            "by_verdict": {v: sum(r["verdict"] == v for r in rows) for v in VERDICTS},
            "edge": sum(bool(r.get("edge")) for r in checks),
            "vacuous": sum(bool(r.get("vacuous")) for r in raw),
            "same_value": len(raw) - len(checks) - sum(bool(r.get("vacuous")) for r in raw)}


def headline_line(h: dict[str, Any]) -> str:
    """``14 of 35 independent checks match (40%); coverage 35 of 161 claims (22%)``."""
    if not h["checks"]:
        return f"no independent check is checkable on this data (0 of {h['n_claims']} claims)"
    edge = f", {h['edge']} at the edge of tolerance" if h["edge"] else ""
    apart = [f"{n} {what}" for n, what in ((h.get("vacuous", 0), "vacuous"),
                                           (h.get("same_value", 0), "repeating a counted value"))
             if n]
    return (f"{h['matched']} of {h['checks']} independent checks match ({h['share']:.0%}{edge}); "
            f"coverage: {h['checks']} of {h['n_claims']} claims checkable independently "
            f"({h['coverage']:.0%})"
            + (f"; checks not counted: {', '.join(apart)}" if apart else ""))


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
               role: str | None = None, note: str = "") -> Result:
        """Record the value the notebook computed for ``claim_id`` on data of ``tier``.

        ``role`` overrides the claims file's role (e.g. ``calibration`` on the synthetic
        tier, where the generator was given the value). A claim marked ``unmodelled`` gets
        ``needs real data`` on the synthetic tier, whatever its value."""
        claim = self._claim(claim_id)
        role = role or claim.role
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
        tier = check_tier(tier)
        j = judge(claim, reproduced, tier, role)
        result = Result(claim, reproduced, tier, j.verdict, role, _join(j.note, note), j.edge,
                        j.vacuous)
        self.results[claim_id] = result
        return result

    def not_checkable(self, claim_id: str, tier: str, reason: str) -> Result:
        """Record that this data tier cannot check ``claim_id``, and why."""
        claim = self._claim(claim_id)
        result = Result(claim, None, check_tier(tier), "not checkable", claim.role, reason)
        self.results[claim_id] = result
        return result

    def _ordered(self) -> list[Result]:
        order = {cid: i for i, cid in enumerate(self.claims)}
        return sorted(self.results.values(), key=lambda r: order[r.claim.id])

    def records(self) -> list[dict[str, Any]]:
        """One dict per recorded claim, in the claims file's order."""
        return [r.as_dict(self.paper) for r in self._ordered()]

    def counts(self) -> dict[str, dict[str, int]]:
        """Number of claims per role and verdict: ``{role: {verdict: n}}``."""
        out = {role: dict.fromkeys(VERDICTS, 0) for role in ROLES}
        for r in self.results.values():
            out[r.role][r.verdict] += 1
        return out

    def frame(self) -> pd.DataFrame:
        """The table as a pandas DataFrame (rounded, for display)."""
        rows = []
        for r in self._ordered():
            c = r.claim
            rows.append({
                "id": c.id, "claim": c.text,
                "paper value": _fmt(c.value), "unit": c.unit,
                "source": f"{c.source} ({c.reliability})",
                "reproduced": _fmt(r.reproduced), "tier": r.tier,
                "tolerance": c.tolerance_label(), "role": r.role,
                "verdict": verdict_label(r.verdict, r.edge), "note": r.note,
            })
        return pd.DataFrame(rows, columns=["id", "claim", "paper value", "unit", "source",
                                           "reproduced", "tier", "tolerance", "role",
                                           "verdict", "note"])

    def document(self) -> dict[str, Any]:
        """The claims file's content: the records, their scoreboard and the run's provenance."""
        records = self.records()
        return {"paper_name": self.paper, "notebook": self.notebook,
                "headline": headline(records, len(self.results)),
                "counts": self.counts(), "claims": records,
                "run": provenance.run_record(self.paper, self.notebook)}

    def write(self, directory: Path | None = None) -> Path:
        """Write ``<claims_dir>/<notebook>.json`` atomically; return its path."""
        path = (directory or paths.claims_dir()) / f"{self.notebook}.json"
        return atomic.write_text(path, json.dumps(self.document(), indent=1, sort_keys=True)
                                 + "\n")

    def summary(self) -> str:
        """Two lines: the independent checks first, then the other roles apart."""
        h = headline(self.records(), len(self.results))
        others = ", ".join(f"{n} {role}" for role, n in h["by_role"].items()
                           if role != "check" and n)
        nc = h["by_verdict"]["not checkable"] + h["by_verdict"]["needs real data"]
        return (f"{self.paper}/{self.notebook}: {headline_line(h)}\n"
                f"  not counted: {others or 'no other roles'}; "
                f"{nc} not checkable or needing real data")

    def show(self) -> None:
        """Write the JSON file and display the table (call it last in the notebook)."""
        self.write()
        display(tables.Table(self.frame(), wide=("claim", "note"), index=True))
        print(self.summary())
