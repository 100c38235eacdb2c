"""nbval settings for the committed notebooks: compare text outputs, not HTML or stderr.

HTML reprs duplicate the text/plain ones (which are compared) and vary with library versions;
stderr holds progress bars and log noise.
"""


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("text/html", "application/javascript", "stderr")
