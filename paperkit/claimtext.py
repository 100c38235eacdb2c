"""What a claim's own words say about its form: a bound, a range, or a point; its source tags.

Design: pure functions over the claim's text and source strings, used by
:mod:`paperkit.claims` when it loads a claims file, so that the form of a claim is read from the
paper's words and never chosen by hand.

- :func:`stated_form`: "HP P50 impact < 1 %" with value 0.01 is an **upper bound**, "over 12
  million" with value 12e6 a **lower bound**, "idles 40-70 %" with a value inside [0.40, 0.70] (or
  ``range = [0.4, 0.7]``) a **range**. A number in the text counts only when it *is* the claim's
  value in some unit (``N``, ``N %``, ``N k/M/B``; :data:`SCALES`), so "over 31 days" on a claim
  worth 12e6 is no bound.
- :func:`source_tags`: ``"[A, Q, S]"`` -> ``["A", "Q", "S"]``, ``"[text p.3]"`` -> ``["text"]``
  (the first word of each comma-separated part of each bracket).
"""

from __future__ import annotations

import math
import re

UPPER = (r"<=?", "≤", "fewer than", "less than", "lower than", "below", "under", "at most",
         "no more than", "within", "not exceeding", "does not exceed")
LOWER = (r">=?", "≥", "more than", "greater than", "over", "above", "at least", "exceeds?")
_NUM = (r"(\d[\d,]*(?:\.\d+)?)\s*(%|k\b|K\b|M\b|B\b|million|billion|thousand)?"
        r"(?:\s*([A-Za-z]+))?")
_UPPER_RE = re.compile(r"(?:" + "|".join(UPPER) + r")\s*~?\s*" + _NUM, re.I)
_LOWER_RE = re.compile(r"(?:" + "|".join(LOWER) + r")\s*~?\s*" + _NUM, re.I)
_RANGE_RE = re.compile(_NUM + r"\s*(?:-|–|to)\s*" + _NUM)
_BETWEEN_RE = re.compile(r"between\s+" + _NUM + r"\s+and\s+" + _NUM, re.I)
_SUFFIX = {"%": 0.01, "k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9,
           "billion": 1e9}


def _number(digits: str, suffix: str | None, word: str | None = None,
            unit: str = "") -> list[float]:
    """The values a written number may stand for in the claim's unit: ``N %`` is ``N/100`` (or
    ``N`` in a unit of percent), ``N million`` is ``N * 1e6``; a bare ``N`` followed by a word
    that is not the claim's unit ("1 request/minute" on a share) stands for nothing."""
    x = float(digits.replace(",", ""))
    if suffix:
        s = _SUFFIX[suffix.lower()]
        return [x * s, x] if suffix == "%" else [x * s]
    if word and word.lower() not in unit.lower():
        return []
    return [x]


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def stated_form(text: str, value: float | None,
                unit: str = "") -> tuple[str, float, float] | None:
    """``("upper", v, v)``, ``("lower", v, v)`` or ``("range", low, high)`` when the text states
    the claim's ``value`` (in ``unit``) as a bound, or a range whose midpoint it is; else None."""
    if value is None:
        return None
    for regex, kind in ((_UPPER_RE, "upper"), (_LOWER_RE, "lower")):
        for m in regex.finditer(text):
            if any(_same(v, value) for v in _number(*m.groups(), unit=unit)):
                return kind, value, value
    for m in list(_RANGE_RE.finditer(text)) + list(_BETWEEN_RE.finditer(text)):
        lo_d, lo_s, _, hi_d, hi_s, hi_w = m.groups()
        for hi in _number(hi_d, hi_s, hi_w, unit):
            # "40-45 %": the first number takes the second's unit
            raw_hi = float(hi_d.replace(",", ""))
            scale = _SUFFIX[lo_s.lower()] if lo_s else (hi / raw_hi if raw_hi else 1.0)
            lo = float(lo_d.replace(",", "")) * scale
            if lo < hi and _same((lo + hi) / 2, value):
                return "range", lo, hi
    return None


_BRACKET_RE = re.compile(r"\[([^\]]*)\]")
_PAGE_RE = re.compile(r"^pp?\.\s*\d")


def source_tags(source: str) -> list[str]:
    """The tags of a source string, in order, without repeats (see the module docstring)."""
    out: list[str] = []
    for inner in _BRACKET_RE.findall(source):
        for part in re.split(r"[,;/]", inner):
            word = part.strip().split(" ")[0].strip() if part.strip() else ""
            if _PAGE_RE.match(word):  # "[text p.11, p.13]": a page of the tag before, not a tag
                continue
            if word and word not in out:
                out.append(word)
    return out
