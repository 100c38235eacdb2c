"""The ``make gpu-*`` measurement campaigns: refuse fast without a GPU, publish only when complete.

Design: one entry point, ``python -m paperkit.campaign PAPER [CARD]`` (the Makefile's ``gpu-polca``,
``gpu-fuyou``, ``gpu-t3``; CARD is read from the argument the recipe passes quoted, never through a
shell). In order:

1. CARD (where the campaign names its output after the card) must be a plain name
   (:func:`paperkit.cli.safe_name`), else one line naming ``CARD`` and exit 2;
2. a CUDA device must be present: without the NVIDIA driver's device node the campaign stops in a
   fraction of a second, without importing torch; with it, ``torch.cuda.is_available()`` decides.
   One line, exit 2. (A campaign run on the CPU takes hours and all the memory.)
3. the campaign writes into a fresh temporary folder beside ``data/measured``
   (``data/measured/.campaign-<paper>.tmp<pid>.<token>``); only when it returns does each file
   move into place by a rename (POLCA's per-card folder as a whole). On failure or Ctrl-C the
   temporary folder is removed and ``data/measured`` is as before.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from paperkit import paths
from paperkit.cli import UserError, exit_on_bad_input, safe_name

NVIDIA_NODES = ("/dev/nvidiactl", "/proc/driver/nvidia/version")
"""Present wherever the NVIDIA kernel driver is loaded (the driver creates them)."""


@dataclass(frozen=True)
class Campaign:
    """One ``make gpu-<paper>`` campaign: the module whose ``main`` runs it, its arguments
    (``{out}`` and ``{card}`` filled in), where its output goes under ``data/measured``, and
    whether that destination is a folder named after the card (replaced as a whole)."""

    module: str
    args: tuple[str, ...]
    dest: str
    per_card: bool = False


CAMPAIGNS: dict[str, Campaign] = {
    "polca": Campaign("paperkit.polca.harness", ("--out", "{out}", "--budget-s", "540"),
                      "polca/{card}", per_card=True),
    "fuyou": Campaign("paperkit.fuyou.measure", ("--out", "{out}", "--machine", "{card}"), "fuyou"),
    "t3": Campaign("paperkit.t3.calibrate", ("--out", "{out}"), "."),
}


def cuda_problem() -> str | None:
    """Why no CUDA device can be used here, or None when one can."""
    if not any(os.path.exists(p) for p in NVIDIA_NODES):
        return f"no NVIDIA driver on this machine ({NVIDIA_NODES[0]} is missing)"
    import torch  # heavy: only once the driver is known to be there

    if not torch.cuda.is_available():
        return "torch sees no CUDA device (torch.cuda.is_available() is False)"
    return None


def _publish(tmp: Path, dest: Path, per_card: bool) -> list[Path]:
    """Move what the campaign wrote in ``tmp`` into ``dest``; the moved paths."""
    if per_card:
        old = dest.with_name(f".{dest.name}.old{os.getpid()}") if dest.exists() else None
        if old is not None:
            os.replace(dest, old)
        os.replace(tmp, dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return [dest]
    moved = []
    for f in sorted(p for p in tmp.rglob("*") if p.is_file()):
        target = dest / f.relative_to(tmp)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(f, target)
        moved.append(target)
    return moved


def run(paper: str, card: str | None, *, root: Path | None = None) -> list[Path]:
    """Run one campaign (see the module docstring); the paths it published."""
    spec = CAMPAIGNS[paper]
    needs_card = any("{card}" in a for a in (*spec.args, spec.dest))
    if needs_card:
        if not card:
            raise UserError(f"CARD is empty: name the card, e.g. make gpu-{paper} CARD=h100")
        safe_name("CARD", card)
    why = cuda_problem()
    if why:
        raise UserError(f"make gpu-{paper}: {why}; run it on a machine with an NVIDIA GPU "
                        "(nothing was written)")
    root = root or paths.measured_dir()
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".campaign-{paper}.tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        importlib.import_module(spec.module).main(
            [a.format(out=tmp, card=card) for a in spec.args])
        return _publish(tmp, root / spec.dest.format(card=card), spec.per_card)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@exit_on_bad_input
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m paperkit.campaign",
                                 description="Run one GPU measurement campaign (make gpu-*).")
    ap.add_argument("paper", choices=sorted(CAMPAIGNS))
    ap.add_argument("card", nargs="?", default=None, help="card name (CARD=), e.g. h100")
    a = ap.parse_args(argv)
    for p in run(a.paper, a.card):
        print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
