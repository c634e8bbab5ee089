"""task="grounding": ScreenSpot-style episodes from any local page (the shipped example site and
a page of the test's own), inside the sandbox."""
import os
from importlib import resources

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("playwright")
if not os.path.exists(os.environ.get("REWARDGYM_CHROMIUM", "/usr/bin/chromium")):
    pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)", allow_module_level=True)

import rewardgym  # noqa: E402,F401

SITE = str(resources.files("rewardgym.assets") / "browser" / "examples" / "grounding-site")


def _centre(box):
    return np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2], np.float32)


def test_example_site_episodes_are_seeded_named_and_scored_by_the_box():
    env = gym.make("rewardgym/Browser-v0", task="grounding", task_dir=SITE, viewport=(400, 300))
    try:
        page = env.unwrapped.session.ensure_page()
        env.reset(seed=0)
        names = page.evaluate("() => window.__rgGround.candidates().map(c => c.role + ': ' + c.name)")
        # Chromium's accessible names: aria-label, placeholder, <label>, value, text
        for expected in ("button: Settings", "searchbox: Search notes", "textbox: Email",
                         "checkbox: Remember me", "combobox: Plan", "button: Clear", "link: Forgot password?",
                         "tab: Starred"):
            assert expected in names
        assert not any(n.startswith("button: \u2709") for n in names)  # named by its glyph alone: nothing to say
        seen = set()
        for seed in range(8):
            obs, info = env.reset(seed=seed)
            again, info2 = env.reset(seed=seed)
            assert obs["instruction"] == again["instruction"] and obs["instruction"].startswith('Click the "')
            np.testing.assert_array_equal(obs["screenshot"], again["screenshot"])
            np.testing.assert_array_equal(info["target_boxes"], info2["target_boxes"])
            box = info["target_boxes"][0]
            _, reward, terminated, _, info = env.step(_centre(box))
            assert terminated and reward == 1.0 and info["success"], obs["instruction"]
            assert env.unwrapped.session.page.url.endswith("/index.html")  # a clicked link is not followed
            seen.add(obs["instruction"])
        assert len(seen) >= 3
        obs, info = env.reset(seed=1)
        box = info["target_boxes"][0]
        miss = np.array([box[2] + 0.02 if box[2] < 0.97 else box[0] - 0.02, (box[1] + box[3]) / 2], np.float32)
        _, reward, terminated, _, info = env.step(miss)
        assert terminated and reward == 0.0 and not info["success"]
    finally:
        env.close()


def test_a_start_page_inside_the_site_folder():
    env = gym.make("rewardgym/Browser-v0", task="grounding", task_dir=SITE, page="docs.html", viewport=(400, 300))
    try:
        instructions = {env.reset(seed=s)[0]["instruction"] for s in range(12)}
        assert instructions <= {'Click the "Acme Notes" link.', 'Click the "Home" link.', 'Click the "Docs" link.',
                                'Click the "Download the guide" button.',
                                'Click the "Back to top" link.'}
        assert len(instructions) >= 3 and env.unwrapped.page_url.endswith("/docs.html")
        _, info = env.reset(seed=0)
        assert info["blocked_requests"] == 0  # the site's own stylesheet and image come from the task server
    finally:
        env.close()


def test_a_single_page_with_an_external_image_is_blocked_and_counted(tmp_path):
    (tmp_path / "page.html").write_text(
        "<!DOCTYPE html><html><body style='margin:0'><img src='http://example.com/logo.png' width=20 height=20>"
        "<button style='margin:20px'>Save draft</button><a href='http://example.org/'>Help</a></body></html>")
    env = gym.make("rewardgym/Browser-v0", task="grounding", page=str(tmp_path / "page.html"), action_type="gui")
    try:
        obs, info = env.reset(seed=0)
        assert info["blocked_requests"] >= 1
        assert any("example.com" in url for url in env.unwrapped.session.blocked)
        assert obs["instruction"] in ('Click the "Save draft" button.', 'Click the "Help" link.')
        x, y = _centre(info["target_boxes"][0])
        _, reward, terminated, _, info = env.step(f"click({x}, {y})")
        assert terminated and reward == 1.0 and info["success"]
    finally:
        env.close()


def test_bad_grounding_arguments_name_the_value(tmp_path):
    with pytest.raises(ValueError, match="page= .*or task_dir="):
        gym.make("rewardgym/Browser-v0", task="grounding")
    with pytest.raises(FileNotFoundError, match="nope.html"):
        gym.make("rewardgym/Browser-v0", task="grounding", page=str(tmp_path / "nope.html"))
    with pytest.raises(ValueError, match="outside task_dir"):
        gym.make("rewardgym/Browser-v0", task="grounding", task_dir=SITE, page="../own.html")
    with pytest.raises(ValueError, match="page= is for task='grounding'"):
        gym.make("rewardgym/Browser-v0", task="click-button", page=str(tmp_path / "x.html"))
    (tmp_path / "empty.html").write_text("<p>nothing to click</p>")
    env = gym.make("rewardgym/Browser-v0", task="grounding", page=str(tmp_path / "empty.html"))
    try:
        with pytest.raises(RuntimeError, match="no visible interactive element"):
            env.reset(seed=0)
    finally:
        env.close()
