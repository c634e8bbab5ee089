"""A page that hangs Chromium: the step times out naming task and step; the next reset() works."""
import json
import os
import time

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("playwright")
if not os.path.exists(os.environ.get("REWARDGYM_CHROMIUM", "/usr/bin/chromium")):
    pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)", allow_module_level=True)

import rewardgym  # noqa: E402,F401

HANG_PAGE = """<!DOCTYPE html><html><body style="margin:0">
<button id="ok" style="position:absolute;left:10px;top:10px;width:60px;height:40px">ok</button>
<button id="hang" style="position:absolute;left:90px;top:120px;width:60px;height:40px">hang</button>
<script>
var done = false, success = false;
document.getElementById('ok').onclick = function () { done = true; success = true; };
document.getElementById('hang').onclick = function () { while (true) {} };  // a hung page
</script></body></html>"""

TASK = {
    "name": "hang-test",
    "page": "index.html",
    "setup": "(seed) => { done = false; success = false; return 'Click ok.'; }",
    "targets": "() => [document.getElementById('ok')]",
    "state": "() => ({done: done, success: success, reward: success ? 1 : 0})",
}


@pytest.fixture()
def hang_dir(tmp_path):
    (tmp_path / "index.html").write_text(HANG_PAGE)
    (tmp_path / "task.json").write_text(json.dumps(TASK))
    return str(tmp_path)


def test_a_hung_page_times_out_and_reset_recovers(hang_dir):
    env = gym.make("rewardgym/Browser-v0", task_dir=hang_dir, timeout_ms=1500)
    try:
        _, info = env.reset(seed=0)
        pid = env.unwrapped.session.proc.pid()
        np.testing.assert_allclose(info["target_boxes"][0], [10 / 160, 10 / 210, 70 / 160, 50 / 210], atol=1e-3)
        t0 = time.perf_counter()
        with pytest.raises(TimeoutError, match=r"'hang-test', step 1"):
            env.step(np.array([120 / 160, 140 / 210], dtype=np.float32))  # the "hang" button
        assert time.perf_counter() - t0 < 10
        _, info = env.reset(seed=1)  # relaunches Chromium
        assert env.unwrapped.session.proc.pid() not in (None, pid)
        box = info["target_boxes"][0]
        _, reward, terminated, _, info = env.step(np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2], np.float32))
        assert info["success"] and reward == 1.0 and terminated
    finally:
        env.close()


def test_timeout_must_be_positive():
    with pytest.raises(ValueError, match="timeout_ms"):
        gym.make("rewardgym/Browser-v0", task="click-red", timeout_ms=0)
