"""Run the notebooks: discovery, parameter checks, papermill, atomic outputs, timings.

Design: notebooks live in ``notebooks/<paper>/NN_name.ipynb``; a paper is a folder holding
at least one. Parameters come from ``make`` as ``NAME=value`` words (``DATA_DIR=/x``) and are
matched, case-insensitively, to the type-annotated variables of each notebook's
``parameters`` cell; a name no selected notebook declares, or a value that does not parse as
the declared type, is rejected with the list of valid parameters. Each notebook runs under
papermill into a temporary file that is renamed into ``build/notebooks/<paper>/`` only on
success; a failure names the notebook and the cell, removes the partial output and that
notebook's claims file, and exits non-zero.

Commands (``python -m paperkit.runner ...``):
``run [PAPER ...] [-- NAME=value ...]``, ``refresh NOTEBOOK ...`` (re-execute in place with
defaults: this is how the committed nbval outputs are made), ``params [PAPER ...]``, ``list``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paperkit import paths

EXECUTION_TIMEOUT_S = 1800
IGNORED_MAKE_VARS = frozenset({"PYTHON", "VENV", "PY", "NBVAL_ARGS", "PYTEST_ARGS", "GROUPS",
                               "PAPERKIT_DATA_MIRROR", "PAPERKIT_DATA_DIR",
                               "PAPERKIT_BUILD_DIR", "PAPERKIT_OFFLINE"})
_BOOL = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


class ParameterError(ValueError):
    """A parameter given on the command line is unknown or does not parse."""


class NotebookFailed(RuntimeError):
    """A notebook raised while running; the message names the notebook and the cell."""


@dataclass(frozen=True)
class Param:
    """One parameter of one notebook's ``parameters`` cell."""

    name: str
    type: str
    default: str
    help: str


def papers() -> list[str]:
    """Papers with at least one notebook, sorted."""
    root = paths.notebooks_dir()
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and any(p.glob("[0-9][0-9]_*.ipynb")))


def discover(paper: str) -> list[Path]:
    """The notebooks of ``paper`` in run order."""
    known = papers()
    if paper not in known:
        raise ParameterError(f"unknown paper {paper!r}; known papers: {', '.join(known)}")
    return sorted((paths.notebooks_dir() / paper).glob("[0-9][0-9]_*.ipynb"))


def notebook_params(nb: Path) -> dict[str, Param]:
    """The declared parameters of a notebook (name -> Param), read from its ``parameters`` cell.

    Each top-level assignment is a parameter; its type is the annotation (or, without one, the
    type of its literal default) and its help the comment at the end of the line.
    """
    import ast

    import nbformat

    doc = nbformat.read(nb, as_version=4)
    cells = [c for c in doc.cells
             if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    if not cells:
        return {}
    src = cells[0].source
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
        tail = lines[node.end_lineno - 1][node.end_col_offset:]
        help_text = tail.split("#", 1)[1].strip() if "#" in tail else ""
        out[name] = Param(name, type_name, default or "", help_text)
    return out


def coerce(value: str, type_name: str, *, name: str) -> Any:
    """Parse the string ``value`` as ``type_name`` (int, float, str, bool)."""
    t = type_name.replace("typing.", "").strip()
    try:
        if t == "int":
            return int(value)
        if t == "float":
            return float(value)
        if t == "bool":
            return _BOOL[value.strip().lower()]
        if t in ("str", "None", ""):
            return value
    except (ValueError, KeyError):
        raise ParameterError(f"{name.upper()}={value!r}: {name} expects a {t}") from None
    raise ParameterError(f"{name.upper()}: parameters of type {t} cannot be set from make")


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


def resolve(notebooks: list[Path], assignments: dict[str, str]) -> dict[Path, dict[str, Any]]:
    """Per notebook, the typed parameters it declares; reject names none declares."""
    declared = {nb: notebook_params(nb) for nb in notebooks}
    valid = sorted({n for ps in declared.values() for n in ps})
    unknown = sorted(set(assignments) - set(valid))
    if unknown:
        listing = "; ".join(
            f"{n.upper()} ({next(ps[n] for ps in declared.values() if n in ps).type}, "
            f"default {next(ps[n] for ps in declared.values() if n in ps).default})"
            for n in valid)
        raise ParameterError(f"unknown parameter(s) {', '.join(u.upper() for u in unknown)}; "
                             f"valid parameters here: {listing}")
    out: dict[Path, dict[str, Any]] = {}
    for nb, ps in declared.items():
        out[nb] = {n: coerce(v, ps[n].type, name=n) for n, v in assignments.items() if n in ps}
    return out


def _strip_volatile(nb_path: Path) -> None:
    """Drop papermill's timing metadata so committed notebooks diff cleanly."""
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    nbformat.write(nb, nb_path)


def execute(nb: Path, out: Path, params: dict[str, Any], *, log_output: bool = False) -> float:
    """Run ``nb`` with ``params`` into ``out`` atomically; return wall seconds.

    Raises :class:`NotebookFailed` naming the notebook and the failing cell.
    """
    import papermill as pm

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.partial{os.getpid()}.ipynb")
    t0 = time.perf_counter()
    try:
        pm.execute_notebook(str(nb), str(tmp), parameters=params, kernel_name="python3",
                            cwd=str(nb.parent), progress_bar=False, log_output=log_output,
                            execution_timeout=EXECUTION_TIMEOUT_S)
        _strip_volatile(tmp)
        os.replace(tmp, out)
    except pm.PapermillExecutionError as exc:
        raise NotebookFailed(
            f"{_rel(nb)} failed in cell {exc.exec_count or exc.cell_index} "
            f"(code cell index {exc.cell_index}): {exc.ename}: {exc.evalue}") from None
    except Exception as exc:  # kernel died, timeout, bad notebook
        raise NotebookFailed(f"{_rel(nb)} failed: {type(exc).__name__}: {exc}") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return time.perf_counter() - t0


def _rel(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(p)


def run(selected: list[str], words: list[str], *, log_output: bool = False) -> int:
    """Run every notebook of the selected papers; write timings; return an exit code."""
    assignments = parse_assignments(words)
    notebooks = [nb for p in selected for nb in discover(p)]
    plan = resolve(notebooks, assignments)
    timings_dir = paths.build_dir() / "timings"
    timings_dir.mkdir(parents=True, exist_ok=True)
    for nb, params in plan.items():
        paper = nb.parent.name
        out = paths.notebooks_out_dir() / paper / nb.name
        shown = " ".join(f"{k}={v!r}" for k, v in sorted(params.items()))
        print(f"[{paper}] {nb.stem} {shown}".rstrip() + " ...", flush=True)
        try:
            seconds = execute(nb, out, params, log_output=log_output)
        except NotebookFailed as exc:
            (paths.claims_dir() / f"{nb.stem}.json").unlink(missing_ok=True)
            (timings_dir / f"{paper}__{nb.stem}.json").unlink(missing_ok=True)
            for stale in ("report.md", "report.html"):
                (paths.build_dir() / stale).unlink(missing_ok=True)
            print(f"FAILED: {exc}", file=sys.stderr)
            print(f"  the partial output was removed; open {_rel(nb)} in JupyterLab "
                  f"(`make lab`) to debug", file=sys.stderr)
            return 1
        (timings_dir / f"{paper}__{nb.stem}.json").write_text(json.dumps(
            {"paper": paper, "notebook": nb.stem, "seconds": round(seconds, 1),
             "parameters": {k: params[k] for k in sorted(params)}}, sort_keys=True) + "\n")
        print(f"[{paper}] {nb.stem} ok ({seconds:.1f} s)", flush=True)
    return 0


def refresh(notebooks: list[Path]) -> int:
    """Re-execute notebooks in place with their defaults (the committed nbval reference)."""
    for nb in notebooks:
        nb = nb.resolve()
        print(f"refresh {_rel(nb)} ...", flush=True)
        try:
            seconds = execute(nb, nb, {})
        except NotebookFailed as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
            return 1
        print(f"refresh {_rel(nb)} ok ({seconds:.1f} s)", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    words: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, words = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(prog="python -m paperkit.runner",
                                 description="Run paperkit's notebooks with papermill.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run the notebooks of some papers (default: all)")
    r.add_argument("papers", nargs="*")
    r.add_argument("--log-output", action="store_true", help="stream cell output")
    f = sub.add_parser("refresh", help="re-execute notebooks in place with defaults")
    f.add_argument("notebooks", nargs="+", type=Path)
    p = sub.add_parser("params", help="list the parameters of some papers' notebooks")
    p.add_argument("papers", nargs="*")
    sub.add_parser("list", help="list papers and notebooks")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "run":
            return run(args.papers or papers(), words, log_output=args.log_output)
        if args.cmd == "refresh":
            return refresh(args.notebooks)
        if args.cmd == "params":
            for paper in args.papers or papers():
                for nb in discover(paper):
                    for prm in notebook_params(nb).values():
                        print(f"{paper:11} {nb.stem:32} {prm.name.upper():14} {prm.type:6} "
                              f"default={prm.default}  {prm.help}")
            return 0
        for paper in papers():
            for nb in discover(paper):
                print(f"{paper:11} {_rel(nb)}")
        return 0
    except ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
