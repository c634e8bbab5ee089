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
