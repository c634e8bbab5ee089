import importlib.util
import os
from pathlib import Path

import pytest

os.environ.setdefault("MUJOCO_GL", "egl")

# Import open_clip (torch, triton) before any test renders with MuJoCo's EGL backend: importing
# triton after an EGL context exists segfaults on these machines, and test order is not fixed.
try:
    import open_clip  # noqa: F401
except ImportError:
    pass


BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="session")
def benchmark_script():
    """``load(name)``: the script ``benchmarks/<name>.py`` imported as a module (benchmarks/ is no package)."""
    def load(name: str):
        spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
