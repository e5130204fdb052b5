"""The compiled kernels are cached per version of the screening code (`kernel_cache`): numba's
own cache would keep a kernel compiled before a change to a kernel it calls in another file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dignity.screening import kernel_cache
from dignity.screening.kernel_cache import version_name


def test_any_change_to_a_module_names_another_directory(tmp_path: Path) -> None:
    (tmp_path / "a_kernel.py").write_text("LIMIT = 1\n")
    (tmp_path / "b.py").write_text("FLOOR = 0.7\n")
    first = version_name(tmp_path)
    assert first == version_name(tmp_path)
    (tmp_path / "b.py").write_text("FLOOR = 0.75\n")  # a constant a kernel imports
    second = version_name(tmp_path)
    (tmp_path / "c.py").write_text("")
    third = version_name(tmp_path)
    assert len({first, second, third}) == 3


def test_the_kernels_are_cached_in_the_directory_of_this_version() -> None:
    script = (
        "from numba import config\n"
        "from dignity.screening import names_kernel\n"
        "print(config.CACHE_DIR)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    )
    directory = Path(done.stdout.strip())
    assert directory.name == version_name(Path(kernel_cache.__file__).parent)
    assert directory.is_dir()
