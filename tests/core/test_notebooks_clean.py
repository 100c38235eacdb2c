"""Committed notebooks open clean in JupyterLab (issue 19 §3): no stderr output (warnings such
as tqdm's IProgress one) and no machine paths in any output. nbval does not compare stderr, so
this test is what catches them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from paperkit import paths

NOTEBOOKS = sorted(paths.notebooks_dir().rglob("*.ipynb"))
MACHINE_PATH = re.compile(r"(?<![\w.~-])/(?:home|Users|root|tmp|work|mnt|opt|srv|var)/[\w.-]+")
"""An absolute path of a developer's machine (a home, a work or temporary folder)."""


def _outputs(nb: Path):
    doc = json.loads(nb.read_text(encoding="utf-8"))
    for i, cell in enumerate(doc["cells"]):
        for out in cell.get("outputs", []):
            yield i, out


def _text(out: dict) -> str:
    parts = [out.get("text", "")] + [v for v in out.get("data", {}).values()]
    parts += out.get("traceback", [])
    return "\n".join("".join(p) if isinstance(p, list) else str(p) for p in parts
                     if not (isinstance(p, str) and len(p) > 200_000))


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: str(p.relative_to(paths.notebooks_dir())))
def test_no_stderr_and_no_machine_paths(nb):
    stderr = [i for i, out in _outputs(nb) if out.get("name") == "stderr"]
    paths_found = sorted({(i, m) for i, out in _outputs(nb) if "image/png" not in out.get("data", {})
                          for m in MACHINE_PATH.findall(_text(out))})
    assert stderr == [], f"cells {stderr} hold stderr output (refresh the notebook)"
    assert paths_found == [], f"machine paths in outputs: {paths_found[:5]}"


def test_the_pattern_catches_a_home_path_and_spares_urls():
    assert MACHINE_PATH.search("warn: /home/alice/.venv/lib/tqdm/auto.py:21")
    assert MACHINE_PATH.search("see /work/x/paperkit")
    assert not MACHINE_PATH.search("https://example.org/home/page and build/lab/x and ~/tmp/x")
