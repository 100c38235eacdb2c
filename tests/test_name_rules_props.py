"""Property tests of the name rules: whatever text a user or a zip gives, an accepted output name
or zip member never leads outside its folder (hypothesis, small and fast)."""

from __future__ import annotations

import os
import posixpath

from hypothesis import given, settings
from hypothesis import strategies as st

from paperkit import cli
from paperkit.coldstarts import load

TEXT = st.lists(st.sampled_from(list("ab./\\-_+ :;$`~\x00") + ["..", "C:", "x1"]),
                max_size=12).map("".join)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_an_accepted_output_name_stays_in_its_folder(name):
    try:
        cli.safe_name("--name", name)
    except cli.UserError:
        return
    root = "/srv/out"
    assert posixpath.dirname(posixpath.normpath(posixpath.join(root, name))) == root
    assert name not in (".", "..") and "/" not in name and "\\" not in name


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_an_accepted_zip_member_stays_in_the_zips_folder(name):
    if load._member_problem(name) is not None:
        return
    base = "/srv/trace/per_request/R1"
    target = posixpath.normpath(posixpath.join(base, name.replace("\\", "/")))
    assert target == base or target.startswith(base + "/")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["R1", "R2", "R3", "", " ", "R9"]), max_size=5))
def test_an_accepted_choice_list_is_distinct_known_items(items):
    parse = cli.choice_list(("R1", "R2", "R3"))
    try:
        got = parse(",".join(items))
    except Exception:  # argparse.ArgumentTypeError
        return
    assert len(set(got)) == len(got) >= 1 and set(got) <= {"R1", "R2", "R3"}
    assert os.sep not in "".join(got)
