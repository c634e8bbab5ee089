"""The Python examples of the docs run as written (each page's blocks in order, one namespace)."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).parents[1] / "docs"
PAGES = ["rewards.md"]


def _blocks(page: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(), flags=re.S)


@pytest.mark.parametrize("page", PAGES)
def test_python_blocks_run(page, tmp_path):
    blocks = _blocks(page)
    assert len(blocks) >= 5
    script = "\n".join(f"# --- block {i}\n{b}" for i, b in enumerate(blocks))
    (tmp_path / "page.py").write_text("import os\nos.environ.setdefault('MUJOCO_GL', 'egl')\n"
                                      "import open_clip  # before any EGL context (see tests/conftest.py)\n"
                                      + script)
    out = subprocess.run([sys.executable, "page.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]


def test_browser_usage_example_shows_what_it_prints(tmp_path):
    """docs/browser.md's first example: the values its comments show are what the env gives."""
    pytest.importorskip("playwright")
    first = _blocks("browser.md")[0]
    instruction = re.search(r'^obs\["instruction"\]\s+# (.+)$', first, flags=re.M).group(1)
    shown_click = re.search(r"'text': '([^']*)'", first).group(1)
    probe = ("print(repr(obs['instruction']))\n"
             "print(info['success'], reward, info['click']['tag'], info['click']['text'])\n")
    script = first.replace("env.close()", probe + "env.close()")
    (tmp_path / "page.py").write_text(script)
    out = subprocess.run([sys.executable, "page.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    printed = out.stdout.strip().splitlines()
    assert printed[0] == instruction, (printed, instruction)
    assert printed[1] == f"True 1.0 button {shown_click}", printed
