import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

pytest.importorskip("playwright")
if not os.path.exists(os.environ.get("REWARDGYM_CHROMIUM", "/usr/bin/chromium")):
    pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)", allow_module_level=True)

from rewardgym.envs.browser.tasks import MINIWOB_TASKS, OWN_TASKS  # noqa: E402

ALL = list(OWN_TASKS) + [f"miniwob/{t}" for t in MINIWOB_TASKS]


def _centre(box):
    return np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2], dtype=np.float32)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("task", ALL)
def test_clicking_the_target_centre_succeeds(task):
    env = gym.make("rewardgym/Browser-v0", task=task)
    try:
        for seed in (0, 1):
            obs, info = env.reset(seed=seed)
            assert obs["instruction"] and obs["screenshot"].shape == (210, 160, 3)
            boxes = info["target_boxes"]
            assert boxes.shape[1] == 4 and np.all(boxes[:, 2] > boxes[:, 0]) and np.all(boxes[:, 3] > boxes[:, 1])
            _, reward, terminated, _, info = env.step(_centre(boxes[0]))
            assert info["success"] and reward > 0 and terminated, (task, seed, info["click"])
    finally:
        env.close()


@pytest.fixture(scope="module")
def button_env():
    env = gym.make("rewardgym/Browser-v0", task="click-button", obs_type="elements")
    yield env
    env.close()


def test_check_env_own_and_miniwob():
    for task in ("click-shape", "miniwob/click-test-2"):
        env = gym.make("rewardgym/Browser-v0", task=task)
        check_env(env.unwrapped, skip_render_check=True)
        env.close()


def test_seeded_layout_reproducible(button_env):
    a, ia = button_env.reset(seed=7)
    b, ib = button_env.reset(seed=7)
    c, _ = button_env.reset(seed=8)
    np.testing.assert_array_equal(a["screenshot"], b["screenshot"])
    np.testing.assert_array_equal(ia["target_boxes"], ib["target_boxes"])
    assert a["instruction"] == b["instruction"]
    assert not np.array_equal(a["screenshot"], c["screenshot"])


def test_clicking_a_distractor_fails(button_env):
    obs, info = button_env.reset(seed=3)
    target = info["target_boxes"][0]
    others = [e for e in json.loads(obs["elements"]) if e["tag"] == "button" and not np.allclose(e["box"], target, atol=1e-3)]
    assert others, "the layout should have distractor buttons"
    _, reward, terminated, _, info = button_env.step(_centre(others[0]["box"]))
    assert not info["success"] and reward < 0 and terminated
    assert info["click"]["tag"] == "button" and info["click"]["text"] == others[0]["text"]


def test_box_action_and_bad_actions():
    env = gym.make("rewardgym/Browser-v0", task="click-red", action_type="box")
    try:
        _, info = env.reset(seed=0)
        with pytest.raises(ValueError, match=r"\[0, 1\]"):
            env.step(np.array([0.1, 0.1, 1.5, 0.2], dtype=np.float32))
        with pytest.raises(ValueError, match="finite"):
            env.step(np.array([np.nan, 0.1, 0.5, 0.2], dtype=np.float32))
        x1, y1, x2, y2 = info["target_boxes"][0]
        _, reward, _, _, info = env.step(np.array([x2, y2, x1, y1], dtype=np.float32))  # corners in any order
        assert info["success"] and reward == 1.0
    finally:
        env.close()


def test_requests_to_other_loopback_ports_are_blocked(button_env):
    hits = []

    class Spy(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    spy = http.server.HTTPServer(("127.0.0.1", 0), Spy)
    threading.Thread(target=spy.serve_forever, daemon=True).start()
    try:
        button_env.reset(seed=0)
        page = button_env.unwrapped.session.page
        before = button_env.unwrapped.session.blocked_count
        url = f"http://127.0.0.1:{spy.server_port}/leak"
        page.evaluate("(u) => fetch(u).catch(() => 0)", url)
        page.evaluate("(u) => { const i = new Image(); i.src = u + '.png'; document.body.appendChild(i); }", url)
        page.evaluate("() => fetch('http://example.com/x').catch(() => 0)")
        time.sleep(0.5)
        _, _, _, _, info = button_env.step(np.array([0.01, 0.99], dtype=np.float32))
        assert hits == [], f"a request reached another loopback port: {hits}"
        assert info["blocked_requests"] - before >= 3
    finally:
        spy.shutdown()


def test_killed_chromium_is_relaunched():
    env = gym.make("rewardgym/Browser-v0", task="click-button")
    try:
        env.reset(seed=0)
        pid = env.unwrapped.session.proc.pid()
        assert pid and _alive(pid)
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.3)
        with pytest.raises(RuntimeError, match="click-button"):
            env.step(np.array([0.5, 0.5], dtype=np.float32))
        _, info = env.reset(seed=1)  # relaunches
        _, reward, _, _, info = env.step(_centre(info["target_boxes"][0]))
        assert info["success"] and env.unwrapped.session.proc.pid() != pid
    finally:
        env.close()


CLOSE_SCRIPT = """
import time, gymnasium as gym, rewardgym
e = gym.make('rewardgym/Browser-v0', task='click-red')
e.reset(seed=0)
pid = e.unwrapped.session.proc.pid()
print(pid, flush=True)
if {close}:
    e.close()
    time.sleep(0.5)
    print(open(f'/proc/{{pid}}/stat').read().split()[2] if __import__('os').path.exists(f'/proc/{{pid}}') else 'gone')
"""


@pytest.mark.parametrize("close", [True, False])
def test_close_and_interpreter_exit_leave_no_chromium(close):
    out = subprocess.run([sys.executable, "-c", CLOSE_SCRIPT.format(close=close)], capture_output=True, text=True,
                         timeout=60)
    lines = out.stdout.strip().splitlines()
    child = int(lines[0])
    if close:
        assert lines[1] in ("gone", "Z"), "close() must stop Chromium while the interpreter still runs"
    deadline = time.time() + 5
    while _alive(child) and time.time() < deadline:
        time.sleep(0.1)
    assert not _alive(child), "Chromium outlived its interpreter"


def test_gaussian_reward_on_real_browser():
    from rewardgym.reward_wrappers.gaussian import GaussianGroundingReward

    env = GaussianGroundingReward(gym.make("rewardgym/Browser-v0", task="click-shape"))
    try:
        _, info = env.reset(seed=2)
        _, reward, _, _, info = env.step(_centre(info["target_boxes"][0]))
        assert reward == pytest.approx(1.0, abs=1e-5) and info["env_reward"] == 1.0 and info["success"]
        _, info = env.reset(seed=2)
        _, reward, _, _, info = env.step(np.array([0.01, 0.25], dtype=np.float32))
        assert reward < 0.5
    finally:
        env.close()
