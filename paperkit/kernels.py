"""The kernel manager the runner hands to papermill (by its dotted name).

Its own module so that importing :mod:`paperkit.runner` (every ``make`` parameter check and stamp)
does not import jupyter_client, papermill and nbformat, whose import costs seconds.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from typing import Any

from jupyter_client.manager import KernelManager


class IPCKernelManager(KernelManager):
    """A kernel on IPC sockets in a private temporary folder: no TCP, so no transport warning,
    and no clash between notebooks running in parallel (``make -j2``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        folder = tempfile.mkdtemp(prefix="paperkit-kernel-")
        kwargs.setdefault("transport", "ipc")
        kwargs.setdefault("ip", os.path.join(folder, "kernel"))
        super().__init__(*args, **kwargs)
        weakref.finalize(self, shutil.rmtree, folder, True)
