import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from paperkit import figures  # noqa: E402

SCRIPT = """
import matplotlib; matplotlib.use("Agg")
import matplotlib.pyplot as plt, numpy as np
from paperkit import figures
figures.set_theme()
fig, ax = plt.subplots()
ax.plot(np.arange(10), np.random.default_rng(0).random(10), label="a")
ax.set_title("determinism"); ax.legend()
figures.save(fig, "det", paper="demo", tier="synthetic")
"""


def test_two_processes_give_identical_bytes(tmp_path):
    digests = []
    for run in ("a", "b"):
        env = {"PAPERKIT_BUILD_DIR": str(tmp_path / run), "PATH": "/usr/bin:/bin",
               "MPLBACKEND": "Agg", "HOME": str(tmp_path)}
        subprocess.run([sys.executable, "-c", SCRIPT], check=True, env=env)
        d = tmp_path / run / "figures" / "demo"
        digests.append({p.name: p.read_bytes() for p in sorted(d.iterdir())})
    assert set(digests[0]) == {"det.png", "det.pdf"}
    assert digests[0] == digests[1]
    assert b"CreationDate" not in digests[0]["det.pdf"]
    assert b"Matplotlib" not in digests[0]["det.png"]


def test_save_stamps_tier_once(build_dir):
    fig, ax = plt.subplots()
    out = figures.save(fig, "x", paper="demo", tier="public+modelled")
    figures.save(fig, "x", paper="demo", tier="measured")
    stamps = [t.get_text() for t in fig.texts if t.get_text().startswith("data:")]
    assert stamps == ["data: measured"]
    assert out["png"].read_bytes()[:4] == b"\x89PNG"
    assert not list(out["png"].parent.glob(".*tmp*"))
    plt.close(fig)


@pytest.mark.parametrize("tier", ["paper", "public+made-up", ""])
def test_bad_tier_is_rejected(build_dir, tier):
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="unknown data tier"):
        figures.save(fig, "x", paper="demo", tier=tier)
    plt.close(fig)


def test_bad_name_is_rejected(build_dir):
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="plain file stem"):
        figures.save(fig, "../x", paper="demo", tier="synthetic")
    plt.close(fig)
