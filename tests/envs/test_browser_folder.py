"""A user's task folder (the shipped example assets/browser/examples/click-star)."""
import os
from importlib import resources

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("playwright")
if not os.path.exists(os.environ.get("REWARDGYM_CHROMIUM", "/usr/bin/chromium")):
    pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)", allow_module_level=True)

import rewardgym  # noqa: E402,F401

EXAMPLE = str(resources.files("rewardgym.assets") / "browser" / "examples" / "click-star")


def test_example_task_folder():
    env = gym.make("rewardgym/Browser-v0", task_dir=EXAMPLE)
    try:
        obs, info = env.reset(seed=5)
        again, info2 = env.reset(seed=5)
        np.testing.assert_array_equal(obs["screenshot"], again["screenshot"])
        np.testing.assert_array_equal(info["target_boxes"], info2["target_boxes"])
        assert obs["instruction"] == "Click the star." and info["target_boxes"].shape == (1, 4)
        box = info["target_boxes"][0]
        _, reward, terminated, _, info = env.step(np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2], np.float32))
        assert info["success"] and reward == 1.0 and terminated and info["click"]["text"] == "\u2605"
        _, info = env.reset(seed=6)
        page = env.unwrapped.session.page
        cx, cy = page.evaluate("() => { const r = document.querySelector('.item:not(#star)').getBoundingClientRect();"
                               " return [(r.left + r.right) / 2 / innerWidth, (r.top + r.bottom) / 2 / innerHeight]; }")
        _, reward, terminated, _, info = env.step(np.array([cx, cy], np.float32))  # a distractor
        assert not info["success"] and reward == -1.0 and terminated
    finally:
        env.close()


def _write_task(folder, body: str) -> str:
    (folder / "index.html").write_text(f"<!DOCTYPE html><html><body style='margin:0'>{body}</body></html>")
    (folder / "task.json").write_text(
        '{"page": "index.html", "setup": "(seed) => \'click\'", '
        '"targets": "() => [document.getElementById(\'b\')]", '
        '"state": "() => ({done: false, success: false, reward: 0})"}')
    return str(folder)


def test_click_info_names_the_element_hit_even_when_the_page_replaces_it(tmp_path):
    # The page swaps the clicked button for a new one on mousedown; info["click"] must still name
    # what the click landed on, and a disabled button (which gets no mousedown) must be named too.
    body = ("<button id='b' style='position:absolute;left:0;top:0;width:80px;height:40px' "
            "onmousedown=\"this.replaceWith(Object.assign(document.createElement('p'), {id: 'p', textContent: 'gone'}))\">"
            "press</button><button id='d' disabled style='position:absolute;left:0;top:100px;width:80px;height:40px'>"
            "off</button>")
    env = gym.make("rewardgym/Browser-v0", task_dir=_write_task(tmp_path, body))
    try:
        env.reset(seed=0)
        w, h = env.unwrapped.viewport
        _, _, _, _, info = env.step(np.array([40 / w, 20 / h], np.float32))
        assert (info["click"]["tag"], info["click"]["id"], info["click"]["text"]) == ("button", "b", "press")
        _, _, _, _, info = env.step(np.array([40 / w, 120 / h], np.float32))
        assert (info["click"]["tag"], info["click"]["id"]) == ("button", "d")
        _, _, _, _, info = env.step(np.array([150 / w, 200 / h], np.float32))  # on nothing: the page itself
        assert info["click"]["tag"] in ("html", "body")
    finally:
        env.close()


def test_frame_rate_limit_defaults_on_for_user_pages_and_off_for_own_tasks(tmp_path):
    from rewardgym.envs.browser.session import UNLIMITED_FRAME_RATE_ARGS

    folder = gym.make("rewardgym/Browser-v0", task_dir=_write_task(tmp_path, "<button id='b'>b</button>"))
    own = gym.make("rewardgym/Browser-v0", task="click-button")
    try:
        assert folder.unwrapped.frame_rate_limit is True and own.unwrapped.frame_rate_limit is False
        for env, limited in ((folder, True), (own, False)):
            args = env.unwrapped.session.proc.args
            assert all((a in args) != limited for a in UNLIMITED_FRAME_RATE_ARGS)
        assert folder.unwrapped.session.proc is not own.unwrapped.session.proc  # two browsers, one per setting
        with pytest.raises(ValueError, match="frame_rate_limit must be None, True or False, got 'yes'"):
            gym.make("rewardgym/Browser-v0", task="click-button", frame_rate_limit="yes")
    finally:
        folder.close()
        own.close()
