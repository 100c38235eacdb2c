"""Hardware profiles as data: ``profiles.toml`` (paper testbed) + measured JSON profiles.

Units: GB = 1e9 bytes, GB/s = 1e9 bytes/s, TFLOPS = 1e12 FLOP/s, params/s.
A measured profile is a JSON file ``data/measured/fuyou/<name>_profile.json`` whose ``profile``
object holds the same keys as a TOML table, with its provenance record
``<name>_profile.provenance.json`` beside it (schema ``paperkit.measured/1``); it is read through
``paperkit.measured.path`` (sha256-checked) and listed as ``<name>``.
"""
from __future__ import annotations

import dataclasses
import json
import math
import numbers
import tomllib
from dataclasses import dataclass
from pathlib import Path

from paperkit import measured, paths

PROFILES_TOML = Path(__file__).with_name("profiles.toml")


def fuyou_measured_dir(directory: str | Path | None = None) -> Path:
    """Fuyou's committed measurements: ``directory``, else ``data/measured/fuyou``."""
    return Path(directory) if directory else Path(paths.measured_dir()) / "fuyou"


@dataclass(frozen=True)
class HardwareProfile:
    """One machine: GPU, host link, SSD array, DRAM and CPU Adam (see profiles.toml for units)."""

    name: str
    description: str
    tier: str
    gpu_name: str
    gpu_peak_tflops: float
    gpu_efficiency: float
    gpu_mem_gb: float
    h2d_gbs: float
    d2h_gbs: float
    n_ssd: int
    ssd_read_gbs: float
    ssd_write_gbs: float
    ssd_raid_efficiency: float
    ssd_capacity_gb: float
    cpu_mem_gb: float
    dram_gbs: float
    cpu_adam_mem_efficiency: float
    cpu_adam_bytes_per_param: float
    price_gpu_usd: float = 0.0
    price_server_usd: float = 0.0
    price_dram_usd_per_gb: float = 0.0
    price_ssd_usd: float = 0.0
    n_gpus: int = 1
    cpu_adam_params_per_s: float | None = None  # measured rate; overrides the DRAM derivation
    ssd_host_gbs: float = math.inf  # host-side ceiling of the SSD array per direction (GB/s)
    overlap_loss: float = 0.0  # FITTED: backward/optimizer overlap stall (mechanism model)
    ssd_endurance_tbw: float = 0.0  # rated endurance per drive (TB written)
    gpu_mem_bw_gbs: float = math.inf  # GPU memory bandwidth (GB/s), for attention without flash

    def __post_init__(self) -> None:
        n = self.n_ssd
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise ValueError(f"n_ssd must be an integer >= 0 (>= 1 for fuyou and zero-infinity, which "
                             f"stream from the SSDs), got {n!r}")

    @property
    def gpu_flops(self) -> float:
        """Achieved GPU rate in FLOP/s (peak x efficiency)."""
        return self.gpu_peak_tflops * 1e12 * self.gpu_efficiency

    @property
    def ssd_read_bps(self) -> float:
        """Aggregate SSD read bandwidth in bytes/s for ``n_ssd`` drives."""
        return self.n_ssd * self.ssd_read_gbs * 1e9 * self.ssd_raid_efficiency

    @property
    def ssd_write_bps(self) -> float:
        """Aggregate SSD write bandwidth in bytes/s."""
        return self.n_ssd * self.ssd_write_gbs * 1e9 * self.ssd_raid_efficiency

    @property
    def adam_params_per_s(self) -> float:
        """CPU Adam rate (params/s): measured, else DRAM-bandwidth bound."""
        if self.cpu_adam_params_per_s is not None:
            return float(self.cpu_adam_params_per_s)
        return self.dram_gbs * 1e9 * self.cpu_adam_mem_efficiency / self.cpu_adam_bytes_per_param

    def with_(self, **changes) -> "HardwareProfile":
        """Copy with fields replaced (e.g. ``n_ssd=6``, ``cpu_mem_gb=256``)."""
        bad = set(changes) - {f.name for f in dataclasses.fields(self)}
        if bad:
            raise ValueError(f"unknown hardware field(s) {sorted(bad)}; valid: "
                             f"{[f.name for f in dataclasses.fields(self)]}")
        return dataclasses.replace(self, **changes)

    def cost_usd(self, cpu_mem_gb: float | None = None, full: bool = True) -> float:
        """Purchase cost: GPU only (``full=False``) or whole box (server, DRAM, SSDs)."""
        gpu = self.price_gpu_usd * self.n_gpus
        if not full:
            return gpu if gpu > 0 else self.price_server_usd
        mem = self.cpu_mem_gb if cpu_mem_gb is None else cpu_mem_gb
        return (gpu + self.price_server_usd + mem * self.price_dram_usd_per_gb
                + self.n_ssd * self.price_ssd_usd)


def _from_mapping(name: str, d: dict) -> HardwareProfile:
    fields = {f.name for f in dataclasses.fields(HardwareProfile)}
    unknown = set(d) - fields
    if unknown:
        raise ValueError(f"hardware profile {name!r} has unknown keys {sorted(unknown)}")
    return HardwareProfile(name=name, **{k: v for k, v in d.items() if k != "name"})


def toml_profiles() -> dict[str, HardwareProfile]:
    """The profiles of ``profiles.toml`` (the paper's testbeds)."""
    with open(PROFILES_TOML, "rb") as f:
        raw = tomllib.load(f)
    return {name: _from_mapping(name, d) for name, d in raw.items()}


def measured_profiles(directory: Path | None = None) -> dict[str, HardwareProfile]:
    """Every committed ``<name>_profile.json`` (sha256-checked through ``paperkit.measured``)."""
    d = fuyou_measured_dir(directory)
    out = {}
    for p in sorted(d.glob("*_profile.json")):
        doc = json.loads(measured.path(p.name, d).read_text())
        name = p.name[:-len("_profile.json")]
        out[name] = _from_mapping(name, doc["profile"])
    return out


def load_profiles(directory: Path | None = None) -> dict[str, HardwareProfile]:
    """All profiles: the TOML ones and the measured ones in ``directory``."""
    return toml_profiles() | measured_profiles(directory)


def get_profile(name: str, **overrides) -> HardwareProfile:
    """Profile by name with optional field overrides; ValueError lists the valid names."""
    profiles = toml_profiles()
    if name not in profiles:
        profiles = load_profiles()
    if name not in profiles:
        raise ValueError(f"unknown hardware profile {name!r}; choose one of {sorted(profiles)}")
    prof = profiles[name]
    return prof.with_(**overrides) if overrides else prof
