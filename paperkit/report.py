"""The reproduction report: one section per paper, its figures and claims scoreboards.

Design: reads only what the notebooks wrote (``build/claims/*.json``,
``build/figures/<paper>/*.png``, ``build/timings/*.json``) and renders
``build/report.md`` (figures linked) and ``build/report.html`` (figures embedded, one
self-contained file). :func:`summary` is the one-screen text that ``make reproduce`` prints.
"""

from __future__ import annotations

import base64
import html
import json
import os
from collections import defaultdict
from pathlib import Path

from paperkit import paths

VERDICT_ORDER = ("match", "off", "not checkable")
TITLES = {
    "coldstarts": "Serverless Cold Starts and Where to Find Them (EuroSys'25)",
    "polca": "POLCA: Power Oversubscription in LLM Cloud Providers (ASPLOS'24)",
    "fuyou": "Fuyou: NVMe SSDs for 100B model fine-tuning on a single GPU",
    "t3": "T3: Transparent Tracking & Triggering for Compute/Collective Overlap (ASPLOS'24)",
}


def collect(build: Path | None = None) -> dict[str, dict]:
    """Per paper: ``{"claims": {notebook: doc}, "figures": [png...], "timings": {nb: s}}``."""
    build = build or paths.build_dir()
    out: dict[str, dict] = defaultdict(lambda: {"claims": {}, "figures": [], "timings": {}})
    for f in sorted((build / "claims").glob("*.json")):
        doc = json.loads(f.read_text())
        out[doc["paper_name"]]["claims"][doc["notebook"]] = doc
    for f in sorted((build / "timings").glob("*.json")):
        doc = json.loads(f.read_text())
        out[doc["paper"]]["timings"][doc["notebook"]] = doc["seconds"]
    for d in sorted((build / "figures").glob("*")):
        if d.is_dir():
            out[d.name]["figures"] = sorted(d.glob("*.png"))
    return dict(sorted(out.items()))


def counts(paper_doc: dict) -> dict[str, int]:
    """Claims per verdict over all notebooks of one paper, plus ``calibration``: the matches
    whose value was an input of a generator or fit (they only show the pipeline recovers it)."""
    c = dict.fromkeys(VERDICT_ORDER, 0) | {"calibration": 0}
    for doc in paper_doc["claims"].values():
        for row in doc["claims"]:
            c[row["verdict"]] += 1
            c["calibration"] += row["verdict"] == "match" and row["role"] == "calibration"
    return c


def _counts_line(c: dict[str, int]) -> str:
    calib = f" ({c['calibration']} of them calibration inputs)" if c["calibration"] else ""
    return (f"Claims: {c['match']} match{calib}, {c['off']} off, {c['not checkable']} not "
            "checkable on this data.")


def _fmt(x) -> str:
    return "" if x is None else f"{x:.4g}" if isinstance(x, float) else str(x)


def _claim_rows(doc: dict) -> list[list[str]]:
    rows = []
    for r in doc["claims"]:
        tol = ""
        if r["tolerance"] is not None and r["paper"] is not None:
            tol = (f"±{r['tolerance'] * 100:.4g}%" if r["tol_kind"] == "rel"
                   else f"±{r['tolerance']:.4g}")
        rows.append([r["id"], r["text"], _fmt(r["paper"]), r["unit"],
                     f"{r['source']} ({r['reliability']})", _fmt(r["reproduced"]), r["tier"],
                     tol, r["verdict"] + (" (calibration)" if r["role"] == "calibration" else ""),
                     r["note"]])
    return rows


HEADER = ["id", "claim", "paper", "unit", "source", "reproduced", "tier", "tolerance",
          "verdict", "note"]


def render_markdown(data: dict[str, dict], build: Path) -> str:
    lines = ["# paperkit reproduction report", "",
             "Tiers: *public* = a paper's released data; *measured* = paperkit's own "
             "measurement (committed with provenance); *modelled* = paperkit's simulator or "
             "performance model; *synthetic* = paperkit's generator. A `calibration` verdict "
             "row was an input of a generator or fit: a match only shows the pipeline recovers it.",
             ""]
    for paper, doc in data.items():
        c = counts(doc)
        lines += [f"## {TITLES.get(paper, paper)}", "",
                  _counts_line(c), ""]
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


def render_html(data: dict[str, dict]) -> str:
    e = html.escape
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>paperkit report</title>",
             "<style>body{font-family:sans-serif;max-width:1200px;margin:auto}"
             "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;"
             "padding:2px 5px}img{max-width:900px;display:block;margin:8px 0}"
             ".match{background:#dfd}.off{background:#fdd}</style></head><body>",
             "<h1>paperkit reproduction report</h1>",
             "<p>Tiers: <i>public</i> = a paper's released data; <i>measured</i> = paperkit's "
             "own measurement; <i>modelled</i> = paperkit's simulator or model; "
             "<i>synthetic</i> = paperkit's generator.</p>"]
    for paper, doc in data.items():
        c = counts(doc)
        parts.append(f"<h2>{e(TITLES.get(paper, paper))}</h2><p>{e(_counts_line(c))}</p>")
        for png in doc["figures"]:
            b64 = base64.b64encode(png.read_bytes()).decode()
            parts.append(f"<figure><img alt='{e(png.stem)}' src='data:image/png;base64,{b64}'>"
                         f"<figcaption>{e(png.stem)}</figcaption></figure>")
        for nb, cdoc in sorted(doc["claims"].items()):
            parts.append(f"<h3>Claims: {e(nb)}</h3><table><tr>"
                         + "".join(f"<th>{e(h)}</th>" for h in HEADER) + "</tr>")
            for row in _claim_rows(cdoc):
                cls = row[8].split(" ")[0]
                parts.append(f"<tr class='{e(cls)}'>" + "".join(f"<td>{e(x)}</td>" for x in row)
                             + "</tr>")
            parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def summary(data: dict[str, dict]) -> str:
    """One screen: claims per verdict per paper, wall time per notebook."""
    lines = [f"{'paper':11} {'match':>5} {'calib':>5} {'off':>4} {'n/c':>4}   notebooks (wall s)"]
    total = dict.fromkeys(VERDICT_ORDER, 0) | {"calibration": 0}
    for paper, doc in data.items():
        c = counts(doc)
        for k in total:
            total[k] += c[k]
        times = ", ".join(f"{nb} {s:.0f}" for nb, s in sorted(doc["timings"].items()))
        lines.append(f"{paper:11} {c['match']:5} {c['calibration']:5} {c['off']:4} "
                     f"{c['not checkable']:4}   {times}")
    lines.append(f"{'total':11} {total['match']:5} {total['calibration']:5} {total['off']:4} "
                 f"{total['not checkable']:4}")
    lines.append("calib = matches whose value was an input of a generator or fit")
    return "\n".join(lines)


def write(build: Path | None = None) -> tuple[Path, Path]:
    """Write build/report.md and build/report.html; return their paths."""
    build = build or paths.build_dir()
    data = collect(build)
    md, htm = build / "report.md", build / "report.html"
    for path, text in ((md, render_markdown(data, build)), (htm, render_html(data))):
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    return md, htm


def main() -> int:
    md, htm = write()
    print(summary(collect()))
    print(f"report: {md.relative_to(paths.ROOT) if md.is_relative_to(paths.ROOT) else md} "
          f"and {htm.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
