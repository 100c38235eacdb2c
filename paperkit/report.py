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

from paperkit import atomic, buildrecords, claims, claimtext, figures, paths
from paperkit.runner import discover, papers

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


def collect_all(build: Path | None = None) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Per paper: ``{"claims": {notebook: doc}, "figures": [png...], "timings": {nb: s},
    "failed": {nb: record}}`` with every verdict re-judged, and the findings: damaged records
    set aside, unknown claim ids, edited verdicts (:mod:`paperkit.buildrecords`)."""
    build = build or paths.build_dir()
    data, findings = buildrecords.read(build)
    _, state_finding = buildrecords.run_state(build)
    return data, findings + ([state_finding] if state_finding else [])


def collect(build: Path | None = None) -> dict[str, dict[str, Any]]:
    """:func:`collect_all` without the findings."""
    return collect_all(build)[0]


def rows(paper_doc: dict) -> list[dict[str, Any]]:
    """All claim records of one paper, notebook by notebook."""
    return [r for _, doc in sorted(paper_doc["claims"].items()) for r in doc["claims"]]


def n_claims(paper: str, paper_doc: dict) -> int:
    """How many claims the paper makes (its claims file), else how many were recorded."""
    try:
        return len(claims.load_claims(paper))
    except claims.ClaimsFileError:
        return len(rows(paper_doc))


GROUPS = {"model": "model papers", "data": "data paper"}
"""Scoreboard groups by the claims file's ``paper_kind``: a paper about a data set is scored
apart from the papers about a system or model."""
TIER_MEASURES = {"public": "the released data", "measured": "paperkit's measurements",
                 "modelled": "paperkit's model",
                 "synthetic": "paperkit's generator (the synthetic trace), not the paper's data"}


def paper_kind(paper: str) -> str:
    """``model`` or ``data`` (the claims file's ``paper_kind``; ``model`` without a file)."""
    try:
        return claims.load_meta(paper).kind
    except claims.ClaimsFileError:
        return "model"


def _total(heads: list[dict[str, Any]]) -> dict[str, Any]:
    total = {k: sum(h[k] for h in heads) for k in ("checks", "matched", "n_claims", "edge",
                                                    "vacuous", "same_value")}
    return total | {
        "share": total["matched"] / total["checks"] if total["checks"] else None,
        "coverage": total["checks"] / total["n_claims"] if total["n_claims"] else None,
        "by_role": {r: sum(h["by_role"][r] for h in heads) for r in claims.ROLES},
        "by_verdict": {v: sum(h["by_verdict"][v] for h in heads) for v in claims.VERDICTS}}


def headlines(data: dict[str, dict]) -> dict[str, dict[str, Any]]:
    """:func:`paperkit.claims.headline` per paper, then one total per group of :data:`GROUPS`
    (model papers, data paper): never one number mixing the two."""
    out = {p: claims.headline(rows(doc), n_claims(p, doc)) for p, doc in data.items()}
    for p, doc in data.items():
        out[p]["measures"] = measures(rows(doc))
    kinds = {p: paper_kind(p) for p in data}
    for kind, label in GROUPS.items():
        members = [p for p in data if kinds[p] == kind]
        if members:
            out[label] = _total([out[p] for p in members]) | {
                "members": members, "measures": "; ".join(
                    sorted({out[p]["measures"] for p in members if out[p]["measures"]}))}
    return out


def measures(rows_: list[dict[str, Any]]) -> str:
    """What the counted checks compare with the paper, by their tiers (:data:`TIER_MEASURES`)."""
    tiers = sorted({t for r in claims.counted_checks(rows_) for t in r["tier"].split("+")})
    if tiers == ["synthetic"]:
        return "checks run on the synthetic trace: they measure " + TIER_MEASURES["synthetic"]
    return ", ".join(TIER_MEASURES[t] for t in tiers)


def off_checks(data: dict[str, dict]) -> list[dict[str, Any]]:
    """The counted checks whose verdict is ``off``, every paper, in report order."""
    return [r for _, doc in data.items() for r in claims.counted_checks(rows(doc))
            if r["verdict"] == "off"]


def claim_anchor(r: dict[str, Any]) -> str:
    """The report anchor of one claim row: ``<paper>-<notebook>-<id>``."""
    return f"{r.get('paper_name', '')}-{r.get('notebook', '')}-{r['id']}"


def run_facts(data: dict[str, dict]) -> list[list[str]]:
    """Per paper: commit, parameters given, data, notebooks and their run time."""
    out = []
    for paper, doc in data.items():
        runs = [d.get("run", {}) for _, d in sorted(doc["claims"].items())]
        commits = sorted({_describe_git(r.get("git") or {}) for r in runs}) or ["no claims"]
        given = sorted({f"{k.upper()}={v}" for r in runs
                        for k, v in r.get("overrides", {}).items()})
        inputs = sorted({_describe_inputs([i]) for r in runs for i in r.get("inputs", [])
                         if i["kind"] in ("synthetic", "user")})
        secs = sum(doc["timings"].values())
        out.append([paper, ", ".join(commits), ", ".join(given) or "defaults",
                    "; ".join(inputs) or "committed data (public/measured) and models",
                    f"{len(doc['timings'])} notebooks, {secs:.0f} s" if doc["timings"]
                    else "no timings"])
    return out


def source_legend(data: dict[str, dict]) -> list[tuple[str, str]]:
    """``(tag, meaning)`` for every source tag the shown claims use."""
    out: dict[str, str] = {}
    for paper, doc in data.items():
        try:
            meanings = claims.load_meta(paper).source_tags
        except claims.ClaimsFileError:
            meanings = claims.SOURCE_TAGS
        for r in rows(doc):
            for tag in claimtext.source_tags(r["source"]):
                out.setdefault(tag, meanings.get(tag, "(no meaning given in the claims file)"))
    return sorted(out.items(), key=lambda kv: kv[0].lower())


# ------------------------------------------------------------------ is this one coherent run?
def _run_state(build: Path) -> dict[str, Any] | None:
    return buildrecords.run_state(build)[0]


def _shared_param_conflicts(paper: str, docs: dict[str, dict]) -> list[str]:
    """A parameter given on the command line for some notebooks of a paper but not for others
    that declare it too (or with another value): a build from two different runs."""
    declared: dict[str, list[str]] = defaultdict(list)
    for nb, doc in sorted(docs.items()):
        for name in doc.get("run", {}).get("parameters", {}):
            declared[name].append(nb)
    out = []
    for name, nbs in sorted(declared.items()):
        given = {nb: docs[nb]["run"].get("overrides", {}).get(name, "default") for nb in nbs}
        if len({json.dumps(v) for v in given.values()}) > 1:
            out.append(f"{paper}: parameter {name.upper()} differs between notebooks ("
                       + "; ".join(f"{json.dumps(v) if v != 'default' else 'default'} in {nb}"
                                   for nb, v in sorted(given.items())) + ")")
    return out


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
            parts.append(f"DATA_DIR {i.get('path', '?')}")
        else:
            parts.append("synthetic " + ", ".join(f"{k}={v}" for k, v in sorted(i.items())
                                                  if k not in ("kind", "generator")))
    return "; ".join(parts)


def _describe_git(git: dict[str, Any]) -> str:
    if not git.get("commit"):
        return "an unknown commit"
    return f"commit {str(git['commit'])[:10]}" + (" with uncommitted changes" if git.get("dirty")
                                             else "")


def problems(data: dict[str, dict], build: Path | None = None,
             findings: list[str] | None = None) -> list[str]:
    """Plain-words reasons why ``build`` is not one complete, coherent run (empty if it is):
    first the damaged records set aside and the edited verdicts (``findings`` of
    :func:`collect_all`, read again when not given), then the run's own state."""
    build = build or paths.build_dir()
    out: list[str] = list(collect_all(build)[1] if findings is None else findings)
    state = _run_state(build)
    if state is not None and state.get("state") != "complete":
        where = f" in {state['notebook']}" if state.get("notebook") else ""
        out.append(f"the last run is {state['state']}{where}: what follows is incomplete")
    commits: dict[str, list[str]] = defaultdict(list)
    for d in data.values():
        for nb, doc in sorted(d["claims"].items()):
            commits[_describe_git(doc.get("run", {}).get("git") or {})].append(nb)
    if len(commits) > 1:
        out.append("the claims files come from different commits or working-tree states: "
                   + "; ".join(f"{c} ({len(nbs)} notebooks, e.g. {nbs[0]})"
                               for c, nbs in sorted(commits.items())))
    for paper, doc in data.items():
        for nb, rec in sorted(doc["failed"].items()):
            out.append(f"{paper}/{nb} {rec['state']}: {rec['message']}")
    known = set(papers()) if paths.notebooks_dir().is_dir() else set()
    for paper, doc in data.items():
        if paper in known:
            missing = [nb.stem for nb in discover(paper) if nb.stem not in doc["claims"]
                       and not (build / "notebooks" / paper / nb.name).is_file()]
            if missing:
                out.append(f"{paper}: missing notebooks {', '.join(missing)}")
        out += _shared_param_conflicts(paper, doc["claims"])
        out += _data_conflicts(paper, doc["claims"])
    if data and known - set(data):
        out.append(f"papers not run: {', '.join(sorted(known - set(data)))}")
    return out


# ------------------------------------------------------------------------------ sections
def _fmt(x: Any) -> str:
    return "" if x is None else f"{x:.4g}" if isinstance(x, float) else str(x)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0%}"


HEADER = ["id", "claim", "paper", "unit", "source", "reproduced", "tier", "tolerance", "role",
          "verdict", "note"]


def _claim_row(r: dict[str, Any]) -> list[str]:
    claim = claims.Claim(id=r["id"], text=r["text"], unit=r["unit"], source=r["source"],
                         reliability=r["reliability"], value=r["paper"], tol_kind=r["tol_kind"],
                         half_width=r.get("half_width", r["tolerance"]))
    label = claims.verdict_label(r["verdict"], bool(r.get("edge")))
    label += " (vacuous: not counted)" if r.get("vacuous") else ""
    label += f" (same value as {r['same_as']}: counted once)" if r.get("same_as") else ""
    tol = claim.tolerance_label() + (f" ({r['form']})" if r.get("form") else "")
    return [f"{r.get('paper_name', '')}:{r['id']}".lstrip(":"), r["text"],
            _fmt(r["paper"]), r["unit"], f"{r['source']} ({r['reliability']})",
            _fmt(r["reproduced"]), r["tier"], tol, r["role"], label, r["note"]]


def _figure_meta(png: Path) -> dict[str, Any]:
    """The figure's sidecar (tier, index entry), or just its name when missing or damaged."""
    try:
        meta = buildrecords.load_json(png.with_suffix(".json"))
    except (OSError, buildrecords.Damaged):
        return {"file": png.stem}
    if not isinstance(meta, dict):
        return {"file": png.stem}
    return {k: v for k, v in meta.items() if isinstance(v, str | int | float | list)}


def sections(paper: str, doc: dict) -> list[dict[str, Any]]:
    """The paper's figures in index order, each with its caption data and its claims; then one
    section per notebook for the claims that belong to no figure."""
    index = figures.load_index(paper)
    order = {name: i for i, name in enumerate(index)}
    pngs = sorted(doc["figures"], key=lambda p: (order.get(p.stem, len(order)), p.stem))
    all_rows = [(nb, r) for nb, cdoc in sorted(doc["claims"].items()) for r in cdoc["claims"]]
    placed: set[tuple[str, str]] = set()
    out = []
    for png in pngs:
        meta = _figure_meta(png)
        entry = index.get(png.stem)
        ids = entry.claim_ids([r["id"] for _, r in all_rows]) if entry else []
        mine = [(nb, r) for nb, r in all_rows
                if r["id"] in ids and nb == entry.notebook and (nb, r["id"]) not in placed]
        rows = [r for _, r in mine]
        placed |= {(nb, r["id"]) for nb, r in mine}
        out.append({"kind": "figure", "png": png, "meta": meta, "rows": rows,
                    "anchor": f"{paper}-{png.stem}"})
    for nb, cdoc in sorted(doc["claims"].items()):
        rows = [r for r in cdoc["claims"] if (nb, r["id"]) not in placed]
        if rows:
            out.append({"kind": "claims", "notebook": nb, "rows": rows,
                        "anchor": f"{paper}-claims-{nb}"})
    return out


def caption(meta: dict[str, Any]) -> str:
    """``Fig. 3 — what it shows (data: synthetic, paperkit generator)``."""
    what = meta.get("paper_figure", "")
    what = "paperkit's own figure" if what == "paperkit" else what
    parts = [p for p in (what, meta.get("shows", "")) if p]
    tier = meta.get("tier")
    try:
        label = figures.tier_label(tier) if tier else ""
    except ValueError:
        label = f"data: {tier} (not a known tier)"
    return " — ".join(parts or [meta.get("file", "")]) + (f" ({label})" if label else "")


# ------------------------------------------------------------------------------ markdown
def _md_table(rows: list[list[str]], header: list[str]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(x.replace("|", "\\|").replace("\n", " ") for x in row) + " |"
            for row in rows]
    return out + [""]


def _scoreboard_rows(heads: dict[str, dict]) -> list[list[str]]:
    rows = []
    for paper, h in heads.items():
        others = ", ".join(f"{n} {role}" for role, n in h["by_role"].items()
                           if role != "check" and n) or "none"
        apart = ", ".join(f"{n} {w}" for n, w in ((h.get("vacuous", 0), "vacuous checks"),
                                                  (h.get("same_value", 0), "repeated values"))
                          if n)
        name = (f"{paper} ({', '.join(h['members'])})" if "members" in h else paper)
        rows.append([name, f"{h['matched']} of {h['checks']} ({_pct(h['share'])})",
                     f"{h['checks']} of {h['n_claims']} claims ({_pct(h['coverage'])})",
                     h.get("measures", ""), others + (f"; {apart}" if apart else "")])
    return rows


SCORE_HEADER = ["paper", "independent checks that match", "coverage", "what the checks measure",
                "not counted (other roles)"]
SCORE_TEXT = ("The headline is the share of **independent** checkable claims that match (role "
              "`check`), for the model papers and the data paper apart. Coverage: how many of "
              "the paper's claims are independently checkable on the data used; it rises only "
              "with better data. A check whose window also accepts a trivial value (vacuous) "
              "and a second claim of an already counted value are not counted.")
FACTS_HEADER = ["paper", "commit", "parameters given", "data", "run time"]


def _md_top(data: dict[str, dict], heads: dict[str, dict], issues: list[str]) -> list[str]:
    lines = ["# paperkit reproduction report", ""]
    if issues:
        lines += ["> **Warning: this build is not one complete, coherent run.**", ">"]
        lines += [f"> - {p}" for p in issues] + [""]
    lines += ["## Run", ""] + _md_table(run_facts(data), FACTS_HEADER)
    lines += ["## Scoreboard", "", SCORE_TEXT, ""] + _md_table(_scoreboard_rows(heads),
                                                              SCORE_HEADER)
    off = off_checks(data)
    lines += [f"**{len(off)} checks are off**" + (": " if off else "") + ", ".join(
        f"[{r['paper_name']}:{r['id']}](#{claim_anchor(r)})" for r in off), ""]
    lines += ["Roles:", ""] + [f"- `{r}`: {t}" for r, t in ROLE_LEGEND.items()]
    lines += ["", TIER_LEGEND, "", "Source tags:", ""]
    lines += [f"- `[{t}]`: {m}" for t, m in source_legend(data)] + [""]
    return lines


def render_markdown(data: dict[str, dict], build: Path,
                    findings: list[str] | None = None) -> str:
    heads = headlines(data)
    lines = _md_top(data, heads, problems(data, build, findings))
    for paper, doc in data.items():
        lines += [f"## {TITLES.get(paper, paper)}", "", claims.headline_line(heads[paper]), ""]
        for sec in sections(paper, doc):
            if sec["kind"] == "figure":
                rel = os.path.relpath(sec["png"], build)
                lines += [f"### {caption(sec['meta'])}", "", f"![{sec['png'].stem}]({rel})", ""]
            else:
                lines += [f"### Other claims of {sec['notebook']}", ""]
            if sec["rows"]:
                lines += _md_table([_claim_row(r) for r in sec["rows"]], HEADER)
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------ html
CSS = """body{font-family:sans-serif;margin:0 auto;max-width:1400px;padding:0 16px}
table{border-collapse:collapse;font-size:12px;margin:6px 0 18px}td,th{border:1px solid #ccc;
padding:2px 5px;vertical-align:top}figure{margin:16px 0 4px}figure img{max-width:100%;
height:auto;border:1px solid #eee}figcaption{font-size:13px;color:#222;margin-top:4px}
.check.match{background:#dfd}.check.off{background:#fdd}tr.edge td:nth-child(10){font-weight:bold}
.warn{border:2px solid #c00;padding:4px 12px;background:#fee}nav#toc{background:#f6f6f6;
padding:6px 14px;columns:2;font-size:13px}nav#toc ul{margin:2px 0}.hint{font-size:12px;color:#555}
table.claims td:nth-child(2),table.claims td:nth-child(11){min-width:16em}
table.claims td:nth-child(1){white-space:nowrap}.off-list a{margin-right:6px}"""

SELF_CHECK_JS = """if (location.hash === '#selfcheck') { window.addEventListener('load', function () {
  function shown(el) { var r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; }
  var toc = document.getElementById('toc');
  var imgs = Array.prototype.map.call(document.querySelectorAll('figure img'), function (i) {
    return {src: i.getAttribute('alt'), ok: i.complete && i.naturalWidth > 0 && shown(i),
            width: Math.round(i.getBoundingClientRect().width)}; });
  var tables = Array.prototype.map.call(document.querySelectorAll('table.claims'), function (t) {
    return {id: t.id, ok: shown(t) && t.rows.length > 1}; });
  var pre = document.createElement('pre'); pre.id = 'selfcheck';
  pre.textContent = JSON.stringify({toc: !!toc && shown(toc), tocLinks: toc ?
    toc.querySelectorAll('a').length : 0, images: imgs, tables: tables});
  document.body.appendChild(pre); }); }"""


def _png_width_css(png: Path, meta: dict[str, Any]) -> int:
    """The figure's width in CSS px at its physical size (96 px per inch): the report never
    shows a small figure wider than that (a wide one shrinks to the page)."""
    width_in = meta.get("width_in")
    if not isinstance(width_in, int | float):
        with png.open("rb") as f:
            head = f.read(24)
        px = int.from_bytes(head[16:20], "big") if head[:4] == b"\x89PNG" else 0
        width_in = px / figures.PNG_DPI if px else 6.4
    return max(1, round(width_in * 96))


def _img_src(png: Path, build: Path, embed: bool) -> str:
    if embed:
        return "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode()
    return html.escape(os.path.relpath(png, build))


def _html_claims(rows: list[dict[str, Any]], table_id: str) -> str:
    e = html.escape
    out = [f"<table class='claims' id='{e(table_id)}'><tr>"
           + "".join(f"<th>{e(h)}</th>" for h in HEADER) + "</tr>"]
    for r in rows:
        cls = f"{r['role']} {r['verdict'].split(' ')[0]}" + (" edge" if r.get("edge") else "")
        out.append(f"<tr class='{e(cls)}' id='{e(claim_anchor(r))}'>" + "".join(f"<td>{e(x)}</td>" for x in _claim_row(r))
                   + "</tr>")
    return "".join(out) + "</table>"


def _html_paper(paper: str, doc: dict, head: dict, build: Path, embed: bool) -> list[str]:
    e = html.escape
    parts = [f"<h2 id='{e(paper)}'>{e(TITLES.get(paper, paper))}</h2>",
             f"<p><b>{e(claims.headline_line(head))}</b></p>"]
    index_rows = [[sec["meta"].get("file", ""), sec["meta"].get("paper_figure", ""),
                   sec["meta"].get("notebook", ""), sec["meta"].get("tier", ""),
                   sec["meta"].get("shows", "")] for sec in sections(paper, doc)
                  if sec["kind"] == "figure"]
    if index_rows:
        parts.append("<table><tr><th>paperkit figure</th><th>paper figure</th><th>notebook</th>"
                     "<th>tier</th><th>what it shows</th></tr>" + "".join(
                         "<tr>" + "".join(f"<td>{e(x)}</td>" for x in row) + "</tr>"
                         for row in index_rows) + "</table>")
    for sec in sections(paper, doc):
        if sec["kind"] == "figure":
            src = _img_src(sec["png"], build, embed)
            width = _png_width_css(sec["png"], sec["meta"])
            parts.append(f"<figure id='{e(sec['anchor'])}'><a href='{src}' target='_blank'>"
                         f"<img alt='{e(sec['png'].stem)}' src='{src}' loading='lazy' "
                         f"style='width:{width}px'></a>"
                         f"<figcaption>{e(caption(sec['meta']))} <span class='hint'>(click "
                         "to open full size)</span></figcaption></figure>")
        else:
            parts.append(f"<h3 id='{e(sec['anchor'])}'>Other claims of {e(sec['notebook'])}</h3>")
        if sec["rows"]:
            parts.append(_html_claims(sec["rows"], f"claims-{sec['anchor']}"))
    return parts


def _html_toc(data: dict[str, dict]) -> str:
    e = html.escape
    items = ["<li><a href='#run'>Run</a></li>",
             "<li><a href='#scoreboard'>Scoreboard and roles</a></li>"]
    for paper, doc in data.items():
        subs = "".join(f"<li><a href='#{e(sec['anchor'])}'>"
                       f"{e(sec['meta'].get('paper_figure') or sec['png'].stem) if sec['kind'] == 'figure' else 'other claims: ' + e(sec['notebook'])}"
                       f"</a></li>" for sec in sections(paper, doc))
        items.append(f"<li><a href='#{e(paper)}'>{e(TITLES.get(paper, paper))}</a><ul>{subs}"
                     "</ul></li>")
    return "<nav id='toc'><b>Contents</b><ul>" + "".join(items) + "</ul></nav>"


def _html_table(rows: list[list[str]], header: list[str]) -> str:
    e = html.escape
    return ("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>"
            + "".join("<tr>" + "".join(f"<td>{e(x)}</td>" for x in row) + "</tr>"
                      for row in rows) + "</table>")


def _html_top(data: dict[str, dict], heads: dict[str, dict]) -> list[str]:
    e = html.escape
    off = off_checks(data)
    links = " ".join(f"<a href='#{e(claim_anchor(r))}'>{e(r['paper_name'])}:{e(r['id'])}</a>"
                     for r in off)
    return ["<h2 id='run'>Run</h2>", _html_table(run_facts(data), FACTS_HEADER),
            "<h2 id='scoreboard'>Scoreboard</h2><p>" + e(SCORE_TEXT).replace("**", "") + "</p>",
            _html_table(_scoreboard_rows(heads), SCORE_HEADER),
            f"<p class='off-list'><b>{len(off)} checks are off</b>{': ' if off else ''}{links}</p>",
            "<ul>" + "".join(f"<li><code>{e(r)}</code>: {e(t)}</li>"
                             for r, t in ROLE_LEGEND.items()) + f"</ul><p>{e(TIER_LEGEND)}</p>",
            "<p><b>Source tags</b>: " + "; ".join(f"<code>[{e(t)}]</code> {e(m)}"
                                                  for t, m in source_legend(data)) + "</p>"]


def render_html(data: dict[str, dict], build: Path | None = None, *,
                embed: bool = False, findings: list[str] | None = None) -> str:
    """The report page: warnings (damaged records first), run facts, scoreboard, off checks,
    legends, then one section per paper with each figure captioned and its claims under it.
    Figures are linked files beside the report, or embedded (``embed=True``)."""
    build = build or paths.build_dir()
    e = html.escape
    heads = headlines(data)
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>paperkit report</title>",
             f"<style>{CSS}</style><script>{SELF_CHECK_JS}</script></head><body>",
             "<h1>paperkit reproduction report</h1>"]
    issues = problems(data, build, findings)
    if issues:
        parts.append("<div class='warn'><p><b>Warning: this build is not one complete, coherent "
                     "run.</b></p><ul>" + "".join(f"<li>{e(p)}</li>" for p in issues)
                     + "</ul></div>")
    parts.append(_html_toc(data))
    parts += _html_top(data, heads)
    for paper, doc in data.items():
        parts += _html_paper(paper, doc, heads[paper], build, embed)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# ------------------------------------------------------------------------------ summary
def summary(data: dict[str, dict], build: Path | None = None,
            findings: list[str] | None = None) -> str:
    """One screen: the independent share and coverage first, other roles apart, wall times."""
    heads = headlines(data)
    lines = [f"{'paper':11} {'independent checks match':>26} {'coverage':>16}   "
             "not counted (other roles)"]
    for paper, h in heads.items():
        others = ", ".join(f"{n} {role}" for role, n in h["by_role"].items()
                           if role != "check" and n) or "-"
        score = f"{h['matched']}/{h['checks']} ({_pct(h['share'])})"
        cover = f"{h['checks']}/{h['n_claims']} ({_pct(h['coverage'])})"
        name = f"[{paper}]" if "members" in h else paper
        lines.append(f"{name:11} {score:>26} {cover:>16}   {others}")
        if "members" in h and h.get("measures", "").startswith("checks run on the synthetic"):
            lines.append(f"{'':11} ({h['measures']})")
    for paper, doc in data.items():
        if doc["timings"]:
            times = ", ".join(f"{nb} {s:.0f}" for nb, s in sorted(doc["timings"].items()))
            lines.append(f"  {paper} wall s: {times}")
    for p in problems(data, build, findings):
        lines.append(f"WARNING: {p}")
    return "\n".join(lines)


def write(build: Path | None = None, *, embed: bool = False) -> tuple[Path, Path]:
    """Write build/report.md and build/report.html; return their paths."""
    build = build or paths.build_dir()
    data, findings = collect_all(build)
    md = atomic.write_text(build / "report.md", render_markdown(data, build, findings))
    htm = atomic.write_text(build / "report.html", render_html(data, build, embed=embed,
                                                               findings=findings))
    return md, htm


# ------------------------------------------------------------------------------ README snapshot
SNAPSHOT_BEGIN = "<!-- scoreboard:begin (python -m paperkit.report --readme) -->"
SNAPSHOT_END = "<!-- scoreboard:end -->"


def snapshot(data: dict[str, dict]) -> str:
    """The scoreboard as the README shows it: the table, the off count, the run's commit."""
    heads = headlines(data)
    commits = sorted({row[1] for row in run_facts(data)})
    lines = _md_table(_scoreboard_rows(heads), SCORE_HEADER)
    lines += [f"{len(off_checks(data))} checks are off; from a `make reproduce` at "
              f"{', '.join(commits) or 'no commit'} (details in `build/report.html`)."]
    return "\n".join(lines)


def update_readme(readme: Path, data: dict[str, dict]) -> None:
    """Replace the text between the README's snapshot markers with :func:`snapshot`."""
    text = readme.read_text(encoding="utf-8")
    if text.count(SNAPSHOT_BEGIN) != 1 or text.count(SNAPSHOT_END) != 1:
        raise ValueError(f"{readme} needs one {SNAPSHOT_BEGIN!r} line and one "
                         f"{SNAPSHOT_END!r} line around the scoreboard")
    head, rest = text.split(SNAPSHOT_BEGIN)
    _, tail = rest.split(SNAPSHOT_END)
    atomic.write_text(readme, f"{head}{SNAPSHOT_BEGIN}\n{snapshot(data)}\n{SNAPSHOT_END}{tail}")


# ------------------------------------------------------------------------------ compare
def _claims_by_key(build: Path) -> tuple[dict[tuple[str, str], dict], dict[str, dict]]:
    """Re-judged records by (paper, id) and parameters by notebook; damaged records skipped."""
    rows, params = {}, {}
    for paper, doc in buildrecords.read(Path(build))[0].items():
        for nb, cdoc in sorted(doc["claims"].items()):
            params[nb] = cdoc.get("run", {}).get("parameters", {})
            for r in cdoc["claims"]:
                rows[(paper, r["id"])] = r
    return rows, params


def compare(a: Path, b: Path) -> list[str]:
    """Lines saying which claims changed value or verdict between builds ``a`` and ``b``, and
    which notebook parameters differ."""
    if not (Path(a) / "claims").is_dir() or not (Path(b) / "claims").is_dir():
        raise FileNotFoundError(f"both {a} and {b} must be build folders holding claims/")
    ra, pa = _claims_by_key(a)
    rb, pb = _claims_by_key(b)
    out = [f"parameters of {nb}: {pa.get(nb)} -> {pb.get(nb)}"
           for nb in sorted(set(pa) | set(pb)) if pa.get(nb) != pb.get(nb)]
    for key in sorted(set(ra) | set(rb)):
        x, y = ra.get(key), rb.get(key)
        name = f"{key[0]}/{key[1]}"
        if x is None or y is None:
            out.append(f"{name}: only in {'B' if x is None else 'A'}")
        elif (x["reproduced"], x["verdict"], x["role"]) != (y["reproduced"], y["verdict"],
                                                             y["role"]):
            out.append(f"{name}: {_fmt(x['reproduced'])} {x['verdict']} ({x['role']}) -> "
                       f"{_fmt(y['reproduced'])} {y['verdict']} ({y['role']})")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m paperkit.report",
                                 description="Write build/report.md and build/report.html, or "
                                             "compare two builds.")
    ap.add_argument("--strict", action="store_true",
                    help="refuse (exit 1, no report) unless build/ is one complete, coherent run")
    ap.add_argument("--self-contained", action="store_true",
                    help="embed the figures in report.html (one file to send; larger)")
    ap.add_argument("--readme", action="store_true",
                    help="write build/'s scoreboard into README.md between its markers")
    ap.add_argument("compare", nargs="*", metavar="compare A B",
                    help="list the claims that changed between build folders A and B")
    args = ap.parse_args(argv)
    if args.compare:
        if len(args.compare) != 3 or args.compare[0] != "compare":
            ap.error("usage: python -m paperkit.report compare A B")
        try:
            lines = compare(Path(args.compare[1]), Path(args.compare[2]))
        except FileNotFoundError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print("\n".join(lines) if lines else "no claim changed value, verdict or role")
        return 0
    build = paths.build_dir()
    if args.readme:
        try:
            update_readme(paths.ROOT / "README.md", collect(build))
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print("README.md: scoreboard snapshot updated from " + _shown(build))
        return 0
    for stale in ("report.md", "report.html"):  # a report that fails leaves no old one behind
        (build / stale).unlink(missing_ok=True)
    data, findings = collect_all(build)
    issues = problems(data, build, findings)
    if args.strict and issues:
        print("report refused: " + "; ".join(issues), file=sys.stderr)
        return 1
    md, htm = write(build, embed=args.self_contained)
    print(summary(data, build, findings))
    print(f"report: {_shown(md)} and {htm.name} ({htm.stat().st_size / 1e6:.1f} MB"
          f"{', self-contained' if args.self_contained else ', figures linked from build/figures'})")
    return 0


def _shown(p: Path) -> str:
    return str(p.relative_to(paths.ROOT)) if p.is_relative_to(paths.ROOT) else str(p)


if __name__ == "__main__":
    raise SystemExit(main())
