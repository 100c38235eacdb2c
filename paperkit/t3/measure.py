"""Measurement role module of T3 (a facade): the GPU calibration campaign (``make gpu-t3``) is
``paperkit.t3.calibrate``; committed measurements are read through ``paperkit.t3.data``."""
from paperkit.t3.calibrate import main, run_campaign  # noqa: F401
