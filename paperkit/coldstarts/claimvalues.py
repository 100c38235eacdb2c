"""Role module *claim values* of the cold-start package (see paperkit/README.md): the one home
of the code that turns figure data into claim values is
:mod:`paperkit.coldstarts.analysis.claimvalues`; this module gives it the shared role name."""

from __future__ import annotations

from paperkit.coldstarts.analysis.claimvalues import *  # noqa: F401,F403
from paperkit.coldstarts.analysis.claimvalues import record, record_overview  # noqa: F401
