"""A minimal discrete-event timeline: FIFO servers and tasks with dependencies.

Each resource (``GPU``, ``H2D``, ``D2H``, ``SSD``, ``CPU``) serves its tasks one at a time in
the order they are issued (``add``), so a task that waits on a dependency also holds back the
tasks issued after it on the same resource (head-of-line blocking, like a single I/O queue).
A task starts at max(resource free, all dependencies finished). Times in seconds.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import polars as pl

RESOURCES = ("GPU", "H2D", "D2H", "SSD", "CPU")


@dataclass
class Timeline:
    """Tasks scheduled as they are added; query intervals, busy times and makespan."""

    rows: list[dict] = field(default_factory=list)
    finish: dict[str, float] = field(default_factory=dict)
    free: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    bytes_moved: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, name: str, resource: str, duration: float, deps: tuple | list = (),
            kind: str = "", layer: int = -1, nbytes: float = 0.0) -> str:
        """Issue a task; returns its name (use it in later ``deps``)."""
        if resource not in RESOURCES:
            raise ValueError(f"unknown resource {resource!r}; use one of {RESOURCES}")
        if duration < 0:
            raise ValueError(f"task {name!r}: negative duration {duration}")
        if name in self.finish:
            raise ValueError(f"duplicate task name {name!r}")
        ready = max((self.finish[d] for d in deps if d is not None), default=0.0)
        start = max(self.free[resource], ready)
        end = start + duration
        self.free[resource] = end
        self.finish[name] = end
        self.bytes_moved[resource] += nbytes
        self.rows.append(dict(task=name, resource=resource, kind=kind, layer=layer,
                              start_s=start, end_s=end, nbytes=nbytes))
        return name

    @property
    def makespan(self) -> float:
        return max(self.finish.values(), default=0.0)

    def busy(self) -> dict[str, float]:
        """Busy seconds per resource (sum of task durations)."""
        out = {r: 0.0 for r in RESOURCES}
        for r in self.rows:
            out[r["resource"]] += r["end_s"] - r["start_s"]
        return out

    def frame(self) -> pl.DataFrame:
        """Intervals as a polars frame sorted by (resource, start)."""
        schema = {"task": pl.String, "resource": pl.String, "kind": pl.String,
                  "layer": pl.Int64, "start_s": pl.Float64, "end_s": pl.Float64,
                  "nbytes": pl.Float64}
        return pl.DataFrame(self.rows, schema=schema).sort(["resource", "start_s", "task"])
