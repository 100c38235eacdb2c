import os
from pathlib import Path

import pytest

MIRROR = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(autouse=True, scope="session")
def _mirror():
    if "PAPERKIT_DATA_MIRROR" not in os.environ and MIRROR.exists():
        os.environ["PAPERKIT_DATA_MIRROR"] = str(MIRROR)
    yield
