"""The environment a page runs in, shared by the notebook executor and the script runner.

Kept free of Jupyter imports so that :mod:`sitegen.script` stays usable where
only the library's own dependencies are installed.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# glibc gives the memory of a freed large tensor back to the system and faults
# fresh zeroed pages in at the next allocation. A full-batch training step on a
# few thousand points then spends a sixth of its time in page faults (spiral
# page: 216 minor faults per step by default, 1 with these settings). Keeping
# 64 MiB of heap in reserve avoids that; it changes timing, never results.
MALLOC_TUNABLES = (
    "glibc.malloc.top_pad=67108864:glibc.malloc.trim_threshold=268435456:"
    "glibc.malloc.mmap_threshold=67108864"
)


def page_env() -> dict[str, str]:
    """``os.environ`` plus what every page run needs: the library on the path, fixed hashing."""
    env = dict(os.environ)
    env.setdefault("GLIBC_TUNABLES", MALLOC_TUNABLES)
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), *filter(None, [env.get("PYTHONPATH")])])
    return env
