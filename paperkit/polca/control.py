"""The controller API: what a row power controller is, and the four built-in controllers.

Design. A controller is a finite set of control states (``stages``: caps per priority class;
every server of a class gets its class's cap) and a decision rule ``decide(p, stage)``: given
the telemetry readings ``p`` the controller sees (1-D array, fractions of provisioned power, one
per telemetry tick) while it is in ``stage``, the stage it asks for at each tick (-1: no
decision). The rule must depend on the current reading and stage only (a Markov controller);
that is what lets :func:`paperkit.polca.sim.control` run it per EVENT instead of per second (the
power of every stage is computed once and the next firing tick is found by a binary search).
``decide`` is ``step(telemetry) -> caps`` applied to a whole array of readings at once.

The engine, not the controller, owns timing (telemetry period and metering, out-of-band latency
and dead time, the power brake): :class:`paperkit.polca.sim.Policy`.

A user controller (see notebook 04) is any object with ``name``, ``stages()`` and ``decide()``;
``python -m paperkit.polca safe-level --controller PATH.py:Class`` loads one (:func:`load`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from paperkit import cli

A100_FMAX_MHZ = 1410.0
KNOBS = ("clock", "power")


@dataclass(frozen=True)
class Caps:
    """Caps of one control state per priority class. ``knob='clock'``: SM clock ratio f / fmax
    (1 = uncapped); ``knob='power'``: GPU power cap as a fraction of TDP (must be one of the
    row's generated ``cap_levels``)."""

    lp: float = 1.0
    hp: float = 1.0
    knob: str = "clock"

    def __post_init__(self) -> None:
        if self.knob not in KNOBS:
            raise ValueError(f"Caps.knob={self.knob!r}; choose from {KNOBS}")
        for v in (self.lp, self.hp):
            if not (isinstance(v, (int, float)) and 0 < v <= 1):
                raise ValueError(f"caps must be fractions in (0, 1], got lp={self.lp!r}, hp={self.hp!r}")

    @property
    def uncapped(self) -> bool:
        return self.knob == "clock" and self.lp == 1.0 and self.hp == 1.0


@runtime_checkable
class Controller(Protocol):
    """A row power controller (see the module docstring)."""

    name: str

    def stages(self) -> Sequence[Caps]:
        """Control states, stage 0 first (the state the row starts in)."""
        ...

    def decide(self, p: np.ndarray, stage: int) -> np.ndarray:
        """Target stage per telemetry reading in ``p`` while in ``stage`` (-1: stay)."""
        ...


def two_threshold(p: np.ndarray, stage: int, top: int, t1: float, t2: float, hyst: float) -> np.ndarray:
    """The escalation rule shared by the threshold controllers: above ``t2`` go to 2 (from 2: to
    3 when ``top`` is 3); from 0 above ``t1`` go to 1; from >= 2 below ``t2 - hyst`` back to 1;
    from 1 below ``t1 - hyst`` back to 0."""
    tgt = np.full(np.shape(p), -1, dtype=np.int64)
    if top == 0:
        return tgt
    if stage < top:
        tgt = np.where(p > t2, 2 if stage < 2 else 3, tgt)
        if stage == 0:
            tgt = np.where((tgt < 0) & (p > t1), 1, tgt)
    if stage >= 2:
        tgt = np.where((tgt < 0) & (p < t2 - hyst), 1, tgt)
    if stage == 1:
        tgt = np.where((tgt < 0) & (p < t1 - hyst), 0, tgt)
    return tgt


@dataclass(frozen=True)
class Polca:
    """POLCA [Q]: T1 = 80 % caps LP to 1275 MHz; T2 = 89 % caps LP to 1110 MHz, then HP to
    1305 MHz if still above T2; release with a 5 % hysteresis [S/R]."""

    t1: float = 0.80
    t2: float = 0.89
    hyst: float = 0.05
    lp_t1_mhz: float = 1275.0
    lp_t2_mhz: float = 1110.0
    hp_t2_mhz: float = 1305.0
    fmax_mhz: float = A100_FMAX_MHZ
    name: str = "POLCA"

    def stages(self) -> tuple[Caps, ...]:
        f = self.fmax_mhz
        return (Caps(), Caps(self.lp_t1_mhz / f, 1.0), Caps(self.lp_t2_mhz / f, 1.0),
                Caps(self.lp_t2_mhz / f, self.hp_t2_mhz / f))

    def decide(self, p: np.ndarray, stage: int) -> np.ndarray:
        return two_threshold(p, stage, 3, self.t1, self.t2, self.hyst)


@dataclass(frozen=True)
class Uniform(Polca):
    """Priority-unaware frequency capping: every server to 1275 MHz at T1, 1110 MHz at T2."""

    name: str = "uniform freq cap"

    def stages(self) -> tuple[Caps, ...]:
        a, b = self.lp_t1_mhz / self.fmax_mhz, self.lp_t2_mhz / self.fmax_mhz
        return Caps(), Caps(a, a), Caps(b, b)

    def decide(self, p: np.ndarray, stage: int) -> np.ndarray:
        return two_threshold(p, stage, 2, self.t1, self.t2, self.hyst)


PAPER_POWER_CAPS = (362.5 / 400.0, 325.0 / 400.0)
"""Reactive GPU power caps of the baseline: the paper's range 325-400 W [S] on a 400 W A100
(0.81-1.0 of TDP); 362.5 W (the range's midpoint) at T1, 325 W at T2."""


@dataclass(frozen=True)
class PowerCap(Polca):
    """Reactive GPU power capping on every server (``levels`` x TDP at T1 and T2)."""

    levels: tuple[float, float] = PAPER_POWER_CAPS
    name: str = "reactive power cap"

    def stages(self) -> tuple[Caps, ...]:
        return Caps(), Caps(self.levels[0], self.levels[0], "power"), Caps(self.levels[1], self.levels[1], "power")

    def decide(self, p: np.ndarray, stage: int) -> np.ndarray:
        return two_threshold(p, stage, 2, self.t1, self.t2, self.hyst)


@dataclass(frozen=True)
class BrakeOnly:
    """No capping: the power brake (owned by the engine) is the only protection."""

    name: str = "brake only"

    def stages(self) -> tuple[Caps, ...]:
        return (Caps(),)

    def decide(self, p: np.ndarray, stage: int) -> np.ndarray:
        return np.full(np.shape(p), -1, dtype=np.int64)


BUILTIN = {"polca": Polca, "uniform": Uniform, "power-cap": PowerCap, "brake-only": BrakeOnly}


def check(ctl) -> Controller:
    """``ctl`` if it is a usable controller, else ValueError naming what is missing."""
    if not isinstance(ctl, Controller):
        miss = [a for a in ("name", "stages", "decide") if not hasattr(ctl, a)]
        raise ValueError(f"{type(ctl).__name__} is not a controller: missing {', '.join(miss)}")
    st = list(ctl.stages())
    if not st or not all(isinstance(c, Caps) for c in st):
        raise ValueError(f"{ctl.name}: stages() must return a non-empty sequence of Caps")
    return ctl


def validate_targets(tgt: np.ndarray, n: int, n_stages: int, name: str) -> np.ndarray:
    """A controller's ``decide`` output as int64, or ValueError (wrong shape or stage)."""
    tgt = np.asarray(tgt)
    if tgt.shape != (n,) or not np.issubdtype(tgt.dtype, np.integer):
        raise ValueError(f"{name}: decide() must return {n} integer stages, got {tgt.dtype} {tgt.shape}")
    if tgt.size and (tgt.min() < -1 or tgt.max() >= n_stages):
        raise ValueError(f"{name}: decide() asked for a stage outside -1..{n_stages - 1}")
    return tgt.astype(np.int64)


def load(spec: str) -> Controller:
    """Instantiate ``PATH.py:Class`` (no arguments). ValueError with one line on any failure."""
    cls = cli.load_user_class(spec, "--controller")
    try:
        obj = cls()
    except Exception as e:  # noqa: BLE001
        raise ValueError(f"--controller: {cls.__name__}() raised {type(e).__name__}: {e}") from None
    return check(obj)
