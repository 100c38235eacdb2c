"""Run the notebooks: discovery, parameter checks, papermill, atomic outputs, timings.

Design: notebooks live in ``notebooks/<paper>/NN_name.ipynb``; a paper is a folder holding
at least one. Parameters come from ``make`` as ``NAME=value`` words (``DATA_DIR=/x``) and are
matched, case-insensitively, to the type-annotated variables of each notebook's
``parameters`` cell; a name no selected notebook declares, or a value that does not parse as
the declared type, is rejected with the list of valid parameters. Each notebook runs under
papermill into a temporary file that is renamed into ``build/notebooks/<paper>/`` only on
success; a failure names the notebook and the cell, removes the partial output and that
notebook's claims file, and exits non-zero.

A run's state is kept in ``build/run-state.json`` (``running``, ``complete``, ``failed``,
``interrupted``): a run removes the old report when it starts, and a run that fails or is
interrupted (Ctrl-C) leaves no partial notebook and no report that could pass for current.

Commands (``python -m paperkit.runner ...``):
``run [PAPER ...] [--from-make | -- NAME=value ...]``, ``refresh NOTEBOOK ...`` (re-execute in
place with defaults: this is how the committed nbval outputs are made), ``params [PAPER ...]``,
``list``. ``--from-make`` reads the ``NAME=value`` words from ``$MAKEFLAGS``, so that no shell
ever interprets them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import papermill as pm
import nbformat

from paperkit import atomic, paths
from paperkit.params import (ParameterError, coerce, notebook_params, parse_assignments,
                             split_makeflags)

EXECUTION_TIMEOUT_S = 1800
RUN_STATE = "run-state.json"


class NotebookFailed(RuntimeError):
    """A notebook raised while running; the message names the notebook and the cell."""


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
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = atomic.temp_name(out).with_suffix(".ipynb")
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
        tmp.unlink(missing_ok=True)
    return time.perf_counter() - t0


def _rel(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(p)


def write_state(state: str, **fields: Any) -> None:
    """Record the run's state in ``build/run-state.json`` (read by the report)."""
    atomic.write_text(paths.build_dir() / RUN_STATE,
                      json.dumps({"state": state} | fields, indent=1, sort_keys=True) + "\n")


def _forget(paper: str, nb: Path, timings_dir: Path) -> None:
    """Remove what a notebook that did not finish might have left: claims, timing, report."""
    (paths.claims_dir() / f"{nb.stem}.json").unlink(missing_ok=True)
    (timings_dir / f"{paper}__{nb.stem}.json").unlink(missing_ok=True)
    for stale in ("report.md", "report.html"):
        (paths.build_dir() / stale).unlink(missing_ok=True)


def run(selected: list[str], words: list[str], *, log_output: bool = False) -> int:
    """Run every notebook of the selected papers; write timings; return an exit code."""
    assignments = parse_assignments(words)
    notebooks = [nb for p in selected for nb in discover(p)]
    plan = resolve(notebooks, assignments)
    timings_dir = paths.build_dir() / "timings"
    timings_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("report.md", "report.html"):
        (paths.build_dir() / stale).unlink(missing_ok=True)
    write_state("running", papers=selected)
    for nb, params in plan.items():
        paper = nb.parent.name
        out = paths.notebooks_out_dir() / paper / nb.name
        shown = " ".join(f"{k}={v!r}" for k, v in sorted(params.items()))
        print(f"[{paper}] {nb.stem} {shown}".rstrip() + " ...", flush=True)
        try:
            seconds = execute(nb, out, params, log_output=log_output)
        except NotebookFailed as exc:
            _forget(paper, nb, timings_dir)
            write_state("failed", papers=selected, notebook=f"{paper}/{nb.stem}")
            print(f"FAILED: {exc}", file=sys.stderr)
            print(f"  the partial output was removed; open {_rel(nb)} in JupyterLab "
                  f"(`make lab`) to debug", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            _forget(paper, nb, timings_dir)
            write_state("interrupted", papers=selected, notebook=f"{paper}/{nb.stem}")
            print(f"\ninterrupted in {paper}/{nb.stem}: its partial output and the report were "
                  "removed", file=sys.stderr)
            return 130
        atomic.write_text(timings_dir / f"{paper}__{nb.stem}.json", json.dumps(
            {"paper": paper, "notebook": nb.stem, "seconds": round(seconds, 1),
             "parameters": {k: params[k] for k in sorted(params)}}, sort_keys=True) + "\n")
        print(f"[{paper}] {nb.stem} ok ({seconds:.1f} s)", flush=True)
    write_state("complete", papers=selected)
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
    r.add_argument("--from-make", action="store_true",
                   help="read NAME=value parameters from $MAKEFLAGS (no shell involved)")
    f = sub.add_parser("refresh", help="re-execute notebooks in place with defaults")
    f.add_argument("notebooks", nargs="+", type=Path)
    p = sub.add_parser("params", help="list the parameters of some papers' notebooks")
    p.add_argument("papers", nargs="*")
    sub.add_parser("list", help="list papers and notebooks")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "run":
            if args.from_make:
                words = split_makeflags(os.environ.get("MAKEFLAGS", ""))
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
