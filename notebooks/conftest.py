"""nbval settings for the committed notebooks: compare text outputs, not HTML or stderr.

HTML reprs duplicate the text/plain ones (which are compared) and vary with library versions;
stderr holds progress bars and log noise. The kernels nbval starts are batch runs
(``PAPERKIT_BATCH=1``): they write to ``PAPERKIT_BUILD_DIR`` and print no interactive note.
"""

import os

os.environ["PAPERKIT_BATCH"] = "1"


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("text/html", "application/javascript", "stderr")
