"""The top README starts with what a newcomer needs (issue 19 §5)."""

from __future__ import annotations

import re

from paperkit import paths, report

README = paths.ROOT / "README.md"


def test_short_with_quick_start_papers_testing_and_snapshot_markers():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    heads = re.findall(r"^## (.+)$", text, re.M)
    assert heads[:2] == ["Scoreboard", "Quick start"] and "Testing" in heads
    assert "make mutants" in text.split("## Testing")[1].split("##")[0]
    assert text.count(report.SNAPSHOT_BEGIN) == 1 and text.count(report.SNAPSHOT_END) == 1
    for word in ("Python **3.11**", "2 GB", "4 GB", "no GPU", "2-core"):
        assert word in text, word


def test_every_relative_link_points_at_a_file():
    for doc in ("README.md", "CONTRIBUTING.md"):
        text = (paths.ROOT / doc).read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#]+?)(?:#[^)]*)?\)", text):
            if not target.startswith(("http://", "https://")):
                assert (paths.ROOT / target).exists(), f"{doc}: {target}"
