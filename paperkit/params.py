"""Notebook parameters: what a ``parameters`` cell declares, and values given from ``make``.

Design: a notebook's parameters are the top-level assignments of its cell tagged
``parameters``, read with :mod:`ast` (papermill's own parser drops lines with a second ``=``).
Each has a type (its annotation, or the type of its literal default) and a help text (the
comment at the end of its line). Values come from ``make`` as ``NAME=value`` words, read from
``$MAKEFLAGS`` so that no shell ever interprets them (a quote or a backtick is data), and are
parsed strictly as the declared type: ``1.7`` is no int, ``nan`` and ``inf`` are no float. A list
parameter (``list[float]``, or a ``str`` whose default is a comma-separated list of numbers such
as ``"128,256"``) is parsed item by item by the same rules: ``CPU_MEMS=nan,128`` is refused.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paperkit import paths
from paperkit.cli import strict_int, strict_real

IGNORED_MAKE_VARS = frozenset({"PYTHON", "VENV", "PY", "NBVAL_ARGS", "PYTEST_ARGS", "GROUPS",
                               "PAPERKIT_DATA_MIRROR", "PAPERKIT_DATA_DIR", "NB", "KEEP_GOING",
                               "PAPERKIT_BUILD_DIR", "PAPERKIT_OFFLINE", "A", "B", "CARD",
                               "LAB_ARGS", "JOBS", "LAB_DIR", "SELF_CONTAINED",
                               "BUILD"})
_BOOL = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


class ParameterError(ValueError):
    """A parameter given on the command line is unknown or does not parse."""


@dataclass(frozen=True)
class Param:
    """One parameter of one notebook's ``parameters`` cell."""

    name: str
    type: str
    default: str
    help: str
    items: str = ""
    """For a ``str`` whose default is a comma-separated list of numbers: the items' type
    (``int``/``float``; a value given must be such a list too), else ``""``."""


def notebook_params(nb: Path) -> dict[str, Param]:
    """The declared parameters of a notebook (name -> Param), read from its ``parameters`` cell.

    Each top-level assignment is a parameter; its type is the annotation (or, without one, the
    type of its literal default) and its help the comment at the end of the line.
    """
    doc = json.loads(Path(nb).read_text(encoding="utf-8"))
    cells = [c for c in doc.get("cells", [])
             if c.get("cell_type") == "code" and "parameters" in c.get("metadata", {}).get("tags", [])]
    if not cells:
        return {}
    src = cells[0]["source"]
    src = "".join(src) if isinstance(src, list) else src
    try:
        tree = ast.parse(src)
    except SyntaxError as exc:
        raise ParameterError(f"{_rel(nb)}: the parameters cell is not valid Python ({exc})") from None
    lines = src.splitlines()
    out: dict[str, Param] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name, type_name = node.target.id, ast.unparse(node.annotation)
        elif (isinstance(node, ast.Assign) and len(node.targets) == 1
              and isinstance(node.targets[0], ast.Name)):
            name = node.targets[0].id
            try:
                type_name = type(ast.literal_eval(node.value)).__name__
            except ValueError:
                type_name = "None"
        else:
            continue
        default = ast.get_source_segment(src, node.value) if node.value is not None else ""
        items = _text_list_items(type_name, node.value)
        tail = lines[node.end_lineno - 1][node.end_col_offset:]
        help_text = tail.split("#", 1)[1].strip() if "#" in tail else ""
        out[name] = Param(name, type_name, default or "", help_text, items)
    return out


_ARTICLE = {"int": "an int", "float": "a float", "bool": "a bool (true/false)", "str": "a str"}
_LIST = re.compile(r"list\[(int|float|str)\]")


def _text_list_items(type_name: str, value: ast.expr | None) -> str:
    """``int``/``float`` for a ``str`` parameter whose default is a comma-separated list of
    numbers (``"8,16,32"``): a value given for it must be such a list too (checked strictly,
    passed on as text); else ``""``."""
    if type_name != "str" or not isinstance(value, ast.Constant) or not isinstance(value.value, str):
        return ""
    items = value.value.split(",")
    for kind, parse in (("int", strict_int), ("float", strict_real)):
        try:
            [parse(x.strip()) for x in items]
        except ValueError:
            continue
        return kind
    return ""


def _coerce_list(value: str, kind: str, name: str) -> list:
    """A comma-separated ``value`` as a list of ``kind`` (each item parsed as :func:`coerce`
    parses one value); empty items and an empty list are refused."""
    items = [x.strip() for x in value.split(",")]
    if not value.strip() or any(not x for x in items):
        raise ParameterError(f"{name.upper()}={value!r}: {name.upper()} expects a comma-separated "
                             f"list of {kind}s without empty items, e.g. 128,256")
    try:
        return [coerce(x, kind, name=name) for x in items]
    except ParameterError as exc:
        raise ParameterError(f"{name.upper()}={value!r}: every item must be {_ARTICLE[kind]}"
                             f"{' (finite)' if kind == 'float' else ''}; {str(exc).split(': ', 1)[0]}"
                             " is not") from None


def coerce(value: str, type_name: str, *, name: str, items: str = "") -> Any:
    """Parse the string ``value`` strictly as ``type_name`` (int, float, str, bool).

    ``1.7`` or ``1e3`` is no int; ``nan``, ``inf`` and ``1_000`` are no float (the same rules as
    the command lines: :func:`paperkit.cli.strict_int`, :func:`paperkit.cli.strict_real`).
    ``list[int|float|str]``: a comma-separated list, each item parsed so; a ``str`` parameter
    whose default is a list of numbers (``items``, see :class:`Param`): checked the same way,
    kept as text."""
    t = type_name.replace("typing.", "").strip()
    if t == "str" and items:  # a list kept as text: checked item by item
        _coerce_list(value, items, name)
        return value
    if t in ("str", "None", ""):
        return value
    lst = _LIST.fullmatch(t)
    if lst:
        return _coerce_list(value, lst.group(1), name)
    text = value.strip()
    try:
        if t == "int":
            return strict_int(text)
        if t == "float":
            return strict_real(text)
        if t == "bool":
            return _BOOL[text.lower()]
    except (ValueError, KeyError):
        raise ParameterError(f"{name.upper()}={value!r}: {name.upper()} expects "
                             f"{_ARTICLE.get(t, t)}" + (" (finite)" if t == "float" else "")
                             ) from None
    raise ParameterError(f"{name.upper()}: parameters of type {t} cannot be set from make")


def defaults(nb: Path) -> dict[str, Any]:
    """The default values of a notebook's parameters (literals only; others as source text)."""
    out: dict[str, Any] = {}
    for name, prm in notebook_params(nb).items():
        try:
            out[name] = ast.literal_eval(prm.default)
        except (ValueError, SyntaxError):
            out[name] = prm.default
    return out


def split_makeflags(makeflags: str) -> list[str]:
    """The ``NAME=value`` words of a ``$MAKEFLAGS`` string, unescaped as make escaped them.

    make puts command-line variables after `` -- ``, separates them by spaces, escapes a space
    or quote inside a value with a backslash and doubles ``$``."""
    _, sep, tail = makeflags.partition(" -- ")
    if not sep:
        if makeflags.startswith("-- "):
            tail = makeflags[3:]
        else:
            return []
    words, cur, i = [], [], 0
    while i < len(tail):
        ch = tail[i]
        if ch == "\\" and i + 1 < len(tail):
            cur.append(tail[i + 1])
            i += 2
            continue
        if ch == " ":
            if cur:
                words.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    if cur:
        words.append("".join(cur))
    return [w.replace("$$", "$") for w in words if "=" in w]


def parse_assignments(words: list[str]) -> dict[str, str]:
    """``["SCALE=0.1", "data_dir=/x"]`` -> ``{"scale": "0.1", "data_dir": "/x"}``."""
    out: dict[str, str] = {}
    for w in words:
        if "=" not in w:
            raise ParameterError(f"{w!r} is not a NAME=value parameter")
        k, v = w.split("=", 1)
        if k.upper() in IGNORED_MAKE_VARS:
            continue
        out[k.strip().lower()] = v
    return out




def _rel(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(p)
