"""NVML power sampler: a background thread that polls every visible NVIDIA GPU (read-only).

Per sample and GPU: wall time (s since start), instant and 1-s average power (W, NVML field
values where the driver offers them, else ``nvmlDeviceGetPowerUsage``), total energy counter
(mJ), SM clock (MHz), clock-event (throttle) reason bitmask, and the current phase marker set
by :meth:`PowerSampler.phase`. Nothing is ever changed on the GPU (no clocks, no limits).

``pynvml`` (nvidia-ml-py) is imported lazily. Without it, or without a GPU, the sampler records
nothing and says so in :attr:`PowerSampler.status` (``'no-nvml: ...'`` / ``'no-gpu'``);
:meth:`frame` then returns an empty frame with the schema below.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import polars as pl

SCHEMA = {"t_s": pl.Float64, "gpu": pl.Int32, "phase": pl.String, "power_inst_w": pl.Float64,
          "power_avg_w": pl.Float64, "energy_mj": pl.Float64, "sm_mhz": pl.Float64,
          "clock_reasons": pl.Int64}
PHASE_SCHEMA = {"t_s": pl.Float64, "phase": pl.String}


class PowerSampler:
    """Context manager sampling GPU power at ``hz`` (>= 20 Hz by default 50 Hz)."""

    def __init__(self, hz: float = 50.0, gpus: list[int] | None = None) -> None:
        if hz < 20:
            raise ValueError(f"hz={hz}: sample at >= 20 Hz (NVML instant power refreshes ~10 Hz)")
        self.hz = hz
        self._gpus = gpus
        self._rows: list[tuple] = []
        self._phases: list[tuple[float, str]] = []
        self._phase = "idle"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = 0.0
        self.status = "not started"
        self._nvml = None
        self._handles: list = []

    # -- setup ------------------------------------------------------------------------
    def _open(self) -> None:
        try:
            import pynvml  # noqa: PLC0415  (lazy: not installed on CPU machines)
        except ImportError as exc:
            self.status = f"no-nvml: pynvml/nvidia-ml-py not importable ({exc}); nothing recorded"
            return
        try:
            pynvml.nvmlInit()
            n = pynvml.nvmlDeviceGetCount()
        except Exception as exc:  # NVMLError: no driver / no GPU
            self.status = f"no-gpu: NVML init failed ({exc}); nothing recorded"
            return
        idx = list(range(n)) if self._gpus is None else self._gpus
        if not idx:
            self.status = "no-gpu: NVML sees no device; nothing recorded"
            return
        self._nvml = pynvml
        self._handles = [(i, pynvml.nvmlDeviceGetHandleByIndex(i)) for i in idx]
        self.status = f"sampling {len(idx)} GPU(s) at {self.hz:g} Hz"

    def _read(self, h) -> tuple[float, float, float, float, int]:
        nv = self._nvml
        inst = avg = float("nan")
        try:  # field values (driver >= 530): instant and 1-s average power, mW
            vals = nv.nvmlDeviceGetFieldValues(h, [nv.NVML_FI_DEV_POWER_INSTANT, nv.NVML_FI_DEV_POWER_AVERAGE])
            inst, avg = (float(v.value.uiVal) / 1000.0 if v.nvmlReturn == 0 else float("nan") for v in vals)
        except Exception:
            pass
        if inst != inst:
            try:
                inst = nv.nvmlDeviceGetPowerUsage(h) / 1000.0
            except Exception:
                pass
        try:
            energy = float(nv.nvmlDeviceGetTotalEnergyConsumption(h))
        except Exception:
            energy = float("nan")
        try:
            sm = float(nv.nvmlDeviceGetClockInfo(h, nv.NVML_CLOCK_SM))
        except Exception:
            sm = float("nan")
        try:
            reasons = int(nv.nvmlDeviceGetCurrentClocksEventReasons(h))
        except Exception:
            try:
                reasons = int(nv.nvmlDeviceGetCurrentClocksThrottleReasons(h))
            except Exception:
                reasons = -1
        return inst, avg, energy, sm, reasons

    def _loop(self) -> None:
        period = 1.0 / self.hz
        nxt = time.perf_counter()
        while not self._stop.is_set():
            t = time.perf_counter() - self._t0
            ph = self._phase
            for i, h in self._handles:
                self._rows.append((t, i, ph, *self._read(h)))
            nxt += period
            self._stop.wait(max(0.0, nxt - time.perf_counter()))

    # -- public API ----------------------------------------------------------------------
    def start(self) -> "PowerSampler":
        self._t0 = time.perf_counter()
        self._open()
        self._phases.append((0.0, self._phase))
        if self._handles:
            self._thread = threading.Thread(target=self._loop, name="nvml-sampler", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._nvml is not None:
            try:
                self._nvml.nvmlShutdown()
            except Exception:
                pass

    def __enter__(self) -> "PowerSampler":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def phase(self, name: str) -> None:
        """Set the phase marker (e.g. 'prefill', 'decode', 'train-step'); timestamped."""
        if not name:
            raise ValueError("phase name must be a non-empty string")
        self._phase = name
        self._phases.append((time.perf_counter() - self._t0, name))

    @property
    def recording(self) -> bool:
        return bool(self._handles)

    def frame(self) -> pl.DataFrame:
        """Samples as a tidy frame (schema :data:`SCHEMA`), sorted by time then GPU."""
        cols = list(SCHEMA)
        data = {c: [r[i] for r in self._rows] for i, c in enumerate(cols)}
        return pl.DataFrame(data, schema=SCHEMA).sort(["t_s", "gpu"])

    def phases(self) -> pl.DataFrame:
        """Phase markers (start time, name), sorted by time."""
        return pl.DataFrame({"t_s": [p[0] for p in self._phases], "phase": [p[1] for p in self._phases]},
                            schema=PHASE_SCHEMA).sort("t_s")

    def write(self, path: Path) -> Path:
        """Write the samples to parquet (and ``<stem>_phases.parquet``)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.frame().write_parquet(path)
        self.phases().write_parquet(path.with_name(path.stem + "_phases.parquet"))
        return path
