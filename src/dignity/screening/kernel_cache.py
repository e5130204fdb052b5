"""Where numba keeps the machine code of the screening kernels: a directory named by this code.

numba's own cache (`cache=True`) is thrown away when the file of the compiled function changes,
but not when a kernel it calls in another file changes, nor a constant it imports from one
(`score.SOUND_FLOOR`): a kernel cached before such a change would go on running the old code, and
give other scores than the Python it mirrors. So the cache lives in a directory named by a hash
of every module of this package: any change to them compiles the kernels afresh (some seconds,
once), and the directories of other versions are removed.

Each kernel module calls `use_own_directory()` before it defines a kernel.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from functools import cache
from pathlib import Path

from numba import config

_HERE = Path(__file__).resolve().parent
_PREFIX = "kernels-"


@cache
def use_own_directory() -> None:
    """Point numba's cache at the directory of this version of the code: beside it, or in the
    user's cache when the package cannot be written to."""
    name = version_name(_HERE)
    for parent in (_HERE / "__pycache__", Path.home() / ".cache" / "dignity"):
        directory = parent / name
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if not os.access(directory, os.W_OK):
            continue
        for other in parent.glob(f"{_PREFIX}*"):
            if other != directory:
                shutil.rmtree(other, ignore_errors=True)
        config.CACHE_DIR = str(directory)  # type: ignore[attr-defined]
        return


def version_name(package: Path) -> str:
    """The name of the cache directory of this version of `package`'s modules."""
    digest = hashlib.sha256()
    for path in sorted(package.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return f"{_PREFIX}{digest.hexdigest()[:16]}"
