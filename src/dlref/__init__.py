"""dlref: the small library behind the dlref site.

Every page of the site imports from here. The top level holds only what every
page needs: ``device`` to pick where tensors live, ``seed`` for
determinism, and ``check`` / ``check_close`` to state a claim that the
build verifies. Concept areas live in their own modules (``dlref.conv``,
``dlref.activations``, ``dlref.plot``, ...) and are imported explicitly.
"""

from dlref.checks import ClaimError, check, check_close
from dlref.runtime import device, seed

__version__ = "0.1.0"

__all__ = ["ClaimError", "__version__", "check", "check_close", "device", "seed"]
