"""The reproduction report: the honest scoreboard first, then one section per paper.

Design: reads only what the notebooks and the runner wrote (``build/claims/*.json`` with their
run records, ``build/figures/<paper>/*.png``, ``build/timings/*.json``,
``build/run-state.json``) and renders ``build/report.md`` (figures linked) and
``build/report.html`` (figures embedded, one self-contained file). :func:`summary` is the
one-screen text that ``make reproduce`` prints.

The headline is the share of **independent** checkable claims that match (role ``check``),
per paper and overall, with its coverage (checkable checks over all the paper's claims);
other roles are counted apart (:func:`paperkit.claims.headline`). :func:`problems` lists, in
plain words, what makes a build not one coherent run: an unfinished or interrupted run,
missing notebooks, claims files from different commits, or notebooks of one paper run with
different parameters or data. The report marks them at the top; ``--strict`` refuses.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from paperkit import atomic, claims, paths
from paperkit.runner import RUN_STATE, discover, papers

TITLES = {
    "coldstarts": "Serverless Cold Starts and Where to Find Them (EuroSys'25)",
    "polca": "POLCA: Power Oversubscription in LLM Cloud Providers (ASPLOS'24)",
    "fuyou": "Fuyou: NVMe SSDs for 100B model fine-tuning on a single GPU",
    "t3": "T3: Transparent Tracking & Triggering for Compute/Collective Overlap (ASPLOS'24)",
}
ROLE_LEGEND = {
    "check": "an independent comparison with the paper: the only role in the headline",
    "calibration": "the value was an input of a fit or generator: a match shows the pipeline "
                   "recovers it",
    "consistency": "the paper's number and the value come from the same public data: a "
                   "data-integrity check",
    "invariant": "true by the model's or generator's construction",
    "extension": "paperkit's own question, with no paper number to match",
}
TIER_LEGEND = ("Tiers: public = a paper's released data; measured = paperkit's own measurement "
               "(committed with provenance); modelled = paperkit's simulator or performance "
               "model; synthetic = paperkit's generator; a+b = computed from both.")


def collect(build: Path | None = None) -> dict[str, dict[str, Any]]:
    """Per paper: ``{"claims": {notebook: doc}, "figures": [png...], "timings": {nb: s}}``."""
    build = build or paths.build_dir()
    out: dict[str, dict] = defaultdict(lambda: {"claims": {}, "figures": [], "timings": {}})
    for f in sorted((build / "claims").glob("*.json")):
        doc = json.loads(f.read_text(encoding="utf-8"))
        out[doc["paper_name"]]["claims"][doc["notebook"]] = doc
    for f in sorted((build / "timings").glob("*.json")):
        doc = json.loads(f.read_text(encoding="utf-8"))
        out[doc["paper"]]["timings"][doc["notebook"]] = doc["seconds"]
    for d in sorted((build / "figures").glob("*")):
        if d.is_dir():
            out[d.name]["figures"] = sorted(d.glob("*.png"))
    return dict(sorted(out.items()))


def rows(paper_doc: dict) -> list[dict[str, Any]]:
    """All claim records of one paper, notebook by notebook."""
    return [r for _, doc in sorted(paper_doc["claims"].items()) for r in doc["claims"]]


def n_claims(paper: str, paper_doc: dict) -> int:
    """How many claims the paper makes (its claims file), else how many were recorded."""
    try:
        return len(claims.load_claims(paper))
    except claims.ClaimsFileError:
        return len(rows(paper_doc))


def headlines(data: dict[str, dict]) -> dict[str, dict[str, Any]]:
    """:func:`paperkit.claims.headline` per paper, plus ``"overall"``."""
    out = {p: claims.headline(rows(doc), n_claims(p, doc)) for p, doc in data.items()}
    if out:
        total = {k: sum(h[k] for h in out.values()) for k in ("checks", "matched", "n_claims",
                                                               "edge")}
        by_role = {r: sum(h["by_role"][r] for h in out.values()) for r in claims.ROLES}
        by_verdict = {v: sum(h["by_verdict"][v] for h in out.values()) for v in claims.VERDICTS}
        out["overall"] = total | {
            "share": total["matched"] / total["checks"] if total["checks"] else None,
            "coverage": total["checks"] / total["n_claims"] if total["n_claims"] else None,
            "by_role": by_role, "by_verdict": by_verdict}
    return out


# ------------------------------------------------------------------ is this one coherent run?
def _run_state(build: Path) -> dict[str, Any] | None:
    f = build / RUN_STATE
    return json.loads(f.read_text(encoding="utf-8")) if f.is_file() else None


def _shared_param_conflicts(paper: str, docs: dict[str, dict]) -> list[str]:
    seen: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for nb, doc in sorted(docs.items()):
        for name, value in doc.get("run", {}).get("parameters", {}).items():
            seen[name][json.dumps(value)].append(nb)
    return [f"{paper}: parameter {name.upper()} differs between notebooks ("
            + "; ".join(f"{v} in {', '.join(nbs)}" for v, nbs in sorted(values.items())) + ")"
            for name, values in sorted(seen.items()) if len(values) > 1]


def _data_conflicts(paper: str, docs: dict[str, dict]) -> list[str]:
    sources: dict[str, list[str]] = defaultdict(list)
    for nb, doc in sorted(docs.items()):
        generated = [i for i in doc.get("run", {}).get("inputs", [])
                     if i["kind"] in ("synthetic", "user")]
        if generated:
            sources[json.dumps(generated, sort_keys=True)].append(nb)
    if len(sources) <= 1:
        return []
    return [f"{paper}: notebooks ran on different data ("
            + "; ".join(f"{', '.join(nbs)}: {_describe_inputs(json.loads(k))}"
                        for k, nbs in sorted(sources.items())) + ")"]


def _describe_inputs(inputs: list[dict[str, Any]]) -> str:
    parts = []
    for i in inputs:
        if i["kind"] == "user":
            parts.append(f"DATA_DIR {i['path']}")
        else:
            parts.append("synthetic " + ", ".join(f"{k}={v}" for k, v in sorted(i.items())
                                                  if k not in ("kind", "generator")))
    return "; ".join(parts)


def problems(data: dict[str, dict], build: Path | None = None) -> list[str]:
    """Plain-words reasons why ``build`` is not one complete, coherent run (empty if it is)."""
    build = build or paths.build_dir()
    out: list[str] = []
    state = _run_state(build)
    if state is not None and state.get("state") != "complete":
        where = f" in {state['notebook']}" if state.get("notebook") else ""
        out.append(f"the last run is {state['state']}{where}: what follows is incomplete")
    commits = {json.dumps(doc.get("run", {}).get("git"), sort_keys=True)
               for d in data.values() for doc in d["claims"].values()}
    if len(commits) > 1:
        out.append("the claims files come from different commits or working-tree states: "
                   + "; ".join(sorted(commits)))
    known = set(papers()) if paths.notebooks_dir().is_dir() else set()
    for paper, doc in data.items():
        if paper in known:
            missing = [nb.stem for nb in discover(paper) if nb.stem not in doc["claims"]]
            if missing:
                out.append(f"{paper}: missing notebooks {', '.join(missing)}")
        out += _shared_param_conflicts(paper, doc["claims"])
        out += _data_conflicts(paper, doc["claims"])
    if data and known - set(data):
        out.append(f"papers not run: {', '.join(sorted(known - set(data)))}")
    return out


# ------------------------------------------------------------------------------ rendering
def _fmt(x: Any) -> str:
    return "" if x is None else f"{x:.4g}" if isinstance(x, float) else str(x)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0%}"


def _claim_rows(doc: dict) -> list[list[str]]:
    out = []
    for r in doc["claims"]:
        claim = claims.Claim(id=r["id"], text=r["text"], unit=r["unit"], source=r["source"],
                             reliability=r["reliability"], value=r["paper"],
                             tol_kind=r["tol_kind"], half_width=r["tolerance"])
        out.append([r["id"], r["text"], _fmt(r["paper"]), r["unit"],
                    f"{r['source']} ({r['reliability']})", _fmt(r["reproduced"]), r["tier"],
                    claim.tolerance_label(), r["role"],
                    claims.verdict_label(r["verdict"], bool(r.get("edge"))), r["note"]])
    return out


HEADER = ["id", "claim", "paper", "unit", "source", "reproduced", "tier", "tolerance", "role",
          "verdict", "note"]


def _scoreboard_lines(heads: dict[str, dict]) -> list[str]:
    lines = ["| paper | independent checks that match | coverage | not counted (other roles) |",
             "|---|---|---|---|"]
    for paper, h in heads.items():
        others = ", ".join(f"{n} {role}" for role, n in h["by_role"].items()
                           if role != "check" and n) or "none"
        lines.append(f"| {paper} | **{h['matched']} of {h['checks']} ({_pct(h['share'])})** | "
                     f"{h['checks']} of {h['n_claims']} claims ({_pct(h['coverage'])}) | "
                     f"{others} |")
    return lines


def render_markdown(data: dict[str, dict], build: Path) -> str:
    heads = headlines(data)
    lines = ["# paperkit reproduction report", ""]
    issues = problems(data, build)
    if issues:
        lines += ["> **Warning: this build is not one complete, coherent run.**", ">"]
        lines += [f"> - {p}" for p in issues] + [""]
    lines += ["## Scoreboard", "",
              "The headline is the share of **independent** checkable claims that match. "
              "Coverage: how many of the paper's claims are independently checkable on the data "
              "used.", ""] + _scoreboard_lines(heads) + [""]
    lines += ["Roles:", ""] + [f"- `{r}`: {t}" for r, t in ROLE_LEGEND.items()]
    lines += ["", TIER_LEGEND, ""]
    for paper, doc in data.items():
        lines += [f"## {TITLES.get(paper, paper)}", "", claims.headline_line(heads[paper]), ""]
        for png in doc["figures"]:
            rel = os.path.relpath(png, build)
            lines += [f"![{png.stem}]({rel})", ""]
        for nb, cdoc in sorted(doc["claims"].items()):
            lines += [f"### Claims: {nb}", "", "| " + " | ".join(HEADER) + " |",
                      "|" + "---|" * len(HEADER)]
            for row in _claim_rows(cdoc):
                lines.append("| " + " | ".join(x.replace("|", "\\|") for x in row) + " |")
            lines.append("")
    return "\n".join(lines) + "\n"


def render_html(data: dict[str, dict], build: Path | None = None) -> str:
    e = html.escape
    heads = headlines(data)
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>paperkit report</title>",
             "<style>body{font-family:sans-serif;max-width:1200px;margin:auto}"
             "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;"
             "padding:2px 5px}img{max-width:100%;display:block;margin:8px 0}"
             ".check.match{background:#dfd}.check.off{background:#fdd}"
             ".warn{border:2px solid #c00;padding:4px 12px;background:#fee}</style></head><body>",
             "<h1>paperkit reproduction report</h1>"]
    issues = problems(data, build)
    if issues:
        parts.append("<div class='warn'><p><b>Warning: this build is not one complete, coherent "
                     "run.</b></p><ul>" + "".join(f"<li>{e(p)}</li>" for p in issues)
                     + "</ul></div>")
    parts.append("<h2>Scoreboard</h2><p>The headline is the share of <b>independent</b> "
                 "checkable claims that match; coverage is how many of the paper's claims are "
                 "independently checkable on the data used.</p><table><tr><th>paper</th>"
                 "<th>independent checks that match</th><th>coverage</th>"
                 "<th>not counted (other roles)</th></tr>")
    for paper, h in heads.items():
        others = ", ".join(f"{n} {role}" for role, n in h["by_role"].items()
                           if role != "check" and n) or "none"
        parts.append(f"<tr><td>{e(paper)}</td><td><b>{h['matched']} of {h['checks']} "
                     f"({_pct(h['share'])})</b></td><td>{h['checks']} of {h['n_claims']} "
                     f"({_pct(h['coverage'])})</td><td>{e(others)}</td></tr>")
    parts.append("</table><ul>" + "".join(f"<li><code>{e(r)}</code>: {e(t)}</li>"
                                          for r, t in ROLE_LEGEND.items())
                 + f"</ul><p>{e(TIER_LEGEND)}</p>")
    for paper, doc in data.items():
        parts.append(f"<h2>{e(TITLES.get(paper, paper))}</h2>"
                     f"<p>{e(claims.headline_line(heads[paper]))}</p>")
        for png in doc["figures"]:
            b64 = base64.b64encode(png.read_bytes()).decode()
            parts.append(f"<figure><img alt='{e(png.stem)}' src='data:image/png;base64,{b64}'>"
                         f"<figcaption>{e(png.stem)}</figcaption></figure>")
        for nb, cdoc in sorted(doc["claims"].items()):
            parts.append(f"<h3>Claims: {e(nb)}</h3><table><tr>"
                         + "".join(f"<th>{e(h)}</th>" for h in HEADER) + "</tr>")
            for row in _claim_rows(cdoc):
                cls = f"{row[8]} {row[9].split(' ')[0]}"
                parts.append(f"<tr class='{e(cls)}'>" + "".join(f"<td>{e(x)}</td>" for x in row)
                             + "</tr>")
            parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def summary(data: dict[str, dict], build: Path | None = None) -> str:
    """One screen: the independent share and coverage first, other roles apart, wall times."""
    heads = headlines(data)
    lines = [f"{'paper':11} {'independent checks match':>26} {'coverage':>16}   "
             "not counted (other roles)"]
    for paper, h in heads.items():
        others = ", ".join(f"{n} {role}" for role, n in h["by_role"].items()
                           if role != "check" and n) or "-"
        score = f"{h['matched']}/{h['checks']} ({_pct(h['share'])})"
        cover = f"{h['checks']}/{h['n_claims']} ({_pct(h['coverage'])})"
        lines.append(f"{paper:11} {score:>26} {cover:>16}   {others}")
    for paper, doc in data.items():
        if doc["timings"]:
            times = ", ".join(f"{nb} {s:.0f}" for nb, s in sorted(doc["timings"].items()))
            lines.append(f"  {paper} wall s: {times}")
    for p in problems(data, build):
        lines.append(f"WARNING: {p}")
    return "\n".join(lines)


def write(build: Path | None = None) -> tuple[Path, Path]:
    """Write build/report.md and build/report.html; return their paths."""
    build = build or paths.build_dir()
    data = collect(build)
    md = atomic.write_text(build / "report.md", render_markdown(data, build))
    htm = atomic.write_text(build / "report.html", render_html(data, build))
    return md, htm


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m paperkit.report",
                                 description="Write build/report.md and build/report.html.")
    ap.add_argument("--strict", action="store_true",
                    help="refuse (exit 1, no report) unless build/ is one complete, coherent run")
    args = ap.parse_args(argv)
    build = paths.build_dir()
    data = collect(build)
    issues = problems(data, build)
    if args.strict and issues:
        print("report refused: " + "; ".join(issues), file=sys.stderr)
        return 1
    md, htm = write(build)
    print(summary(data, build))
    print(f"report: {md.relative_to(paths.ROOT) if md.is_relative_to(paths.ROOT) else md} "
          f"and {htm.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
