"""A page that navigates away, is closed, or whose task script throws: the step ends the episode
cleanly (reward 0, ``terminated``, ``info["failure"]`` says why) and the next reset works."""
import json
import os

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("playwright")
if not os.path.exists(os.environ.get("REWARDGYM_CHROMIUM", "/usr/bin/chromium")):
    pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)", allow_module_level=True)

import rewardgym  # noqa: E402,F401

BUTTON = "<button id='{id}' style='position:absolute;left:0;top:{top}px;width:80px;height:30px' {attr}>{id}</button>"
BUTTONS = {  # id: (top, onclick)
    "ok": (0, ""),
    "away": (40, "onclick=\"location.href='http://127.0.0.1:1/elsewhere'\""),   # blocked: Chromium's error page
    "other": (80, "onclick=\"location.href='other.html'\""),                    # allowed, but not the task page
    "close": (120, "onclick=\"window.close(); window.open('', '_self').close()\""),
    "throw": (160, "onclick='broken = true'"),
}
PAGE = ("<!DOCTYPE html><html><body style='margin:0'>"
        + "".join(BUTTON.format(id=k, top=t, attr=a) for k, (t, a) in BUTTONS.items())
        + "<script>var episode = {done: false, success: false}, broken = false;"
          "document.getElementById('ok').onclick = function () { episode.done = true; episode.success = true; };"
          "</script></body></html>")
TASK = {"name": "page-ends", "page": "index.html",
        "setup": "(seed) => { episode.done = false; episode.success = false; broken = false; return 'Click ok.'; }",
        "targets": "() => [document.getElementById('ok')]",
        "state": "() => { if (broken) throw new Error('task state is broken'); "
                 "return {done: episode.done, success: episode.success, reward: episode.success ? 1 : 0}; }"}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    folder = tmp_path_factory.mktemp("page-ends")
    (folder / "index.html").write_text(PAGE)
    (folder / "other.html").write_text("<!DOCTYPE html><html><body>another page</body></html>")
    (folder / "task.json").write_text(json.dumps(TASK))
    e = gym.make("rewardgym/Browser-v0", task_dir=str(folder))
    yield e
    e.close()


def _press(env, button: str):
    return env.step(np.array([40 / 160, (BUTTONS[button][0] + 15) / 210], np.float32))


def _next_episode_succeeds(env) -> None:
    obs, info = env.reset(seed=1)
    assert obs["instruction"] == "Click ok." and info["target_boxes"].shape == (1, 4)
    _, reward, terminated, _, info = _press(env, "ok")
    assert info["success"] and reward == 1.0 and terminated and "failure" not in info


@pytest.mark.parametrize("button, why", [("away", "navigated away (now at 'chrome-error:"),
                                         ("other", "navigated away (now at 'http://127.0.0.1:"),
                                         ("throw", "task script failed: Page.evaluate: Error: task state is broken")])
def test_a_broken_page_ends_the_episode_cleanly(env, button, why):
    env.reset(seed=0)
    obs, reward, terminated, truncated, info = _press(env, button)
    assert terminated and not truncated and reward == 0.0 and not info["success"]
    assert why in info["failure"], info["failure"]
    assert env.observation_space.contains(obs) and "target_boxes" not in info and "target_elements" not in info
    with pytest.raises(RuntimeError, match="call reset"):
        _press(env, "ok")
    _next_episode_succeeds(env)


def test_a_page_cannot_close_itself_and_a_closed_page_ends_the_episode(env):
    env.reset(seed=0)
    _, reward, terminated, _, info = _press(env, "close")  # Chromium refuses window.close() here
    assert not terminated and "failure" not in info and not env.unwrapped.session.page.is_closed()
    env.unwrapped.session.page.close()  # closed under the env (as a tab that goes away)
    obs, reward, terminated, _, info = _press(env, "ok")
    assert terminated and reward == 0.0 and info["failure"] == "click: the page was closed"
    assert env.observation_space.contains(obs)
    _next_episode_succeeds(env)


# setup(0), the env's warm-up episode on a fresh page, leaves a navigation 30 ms later and an
# interval that recolours the page: neither may reach the first episode (nor any later one).
LEAKY_SETUP = ("(seed) => { episode.done = false; episode.success = false; broken = false; "
               "if (seed === 0) { setTimeout(() => { location.href = 'other.html'; }, 30); "
               "setInterval(() => { document.body.style.background = 'red'; }, 5); } return 'Click ok.'; }")


def test_a_warm_up_that_navigates_away_at_once_still_gives_the_first_episode(tmp_path):
    # the warm-up's setup navigates and never returns: its call fails on the navigation (what the
    # leaky warm-up below does when a loaded machine runs its 30 ms timer before the timers stop)
    leak = "location.href = 'other.html'; return new Promise(() => {});"
    (tmp_path / "index.html").write_text(PAGE)
    (tmp_path / "other.html").write_text("<!DOCTYPE html><html><body>another page</body></html>")
    setup = ("(seed) => { episode.done = false; episode.success = false; broken = false; "
             f"if (seed === 0) {{ {leak} }} return 'Click ok.'; }}")
    (tmp_path / "task.json").write_text(json.dumps(dict(TASK, name="leaving-warm-up", setup=setup)))
    e = gym.make("rewardgym/Browser-v0", task_dir=str(tmp_path))
    try:
        e.reset(seed=1)
        assert e.unwrapped.session.page.url == e.unwrapped.page_url
        _, reward, terminated, _, info = _press(e, "ok")
        assert info["success"] and reward == 1.0 and terminated and "failure" not in info
    finally:
        e.close()


def test_the_warm_up_episode_leaves_nothing_running_into_the_first(tmp_path):
    import time

    (tmp_path / "index.html").write_text(PAGE)
    (tmp_path / "other.html").write_text("<!DOCTYPE html><html><body>another page</body></html>")
    (tmp_path / "task.json").write_text(json.dumps(dict(TASK, name="leaky-warm-up", setup=LEAKY_SETUP)))
    e = gym.make("rewardgym/Browser-v0", task_dir=str(tmp_path))
    try:
        first, _ = e.reset(seed=1)
        time.sleep(0.3)  # past the warm-up's timer
        page = e.unwrapped.session.page
        assert page.url == e.unwrapped.page_url
        assert page.evaluate("() => document.body.style.background") == ""
        assert np.array_equal(e.unwrapped._screenshot(), first["screenshot"])  # nothing repainted it
        _, reward, terminated, _, info = _press(e, "ok")
        assert info["success"] and reward == 1.0 and terminated and "failure" not in info
        again, _ = e.reset(seed=1)  # later in the same env: the same pixels as on the cold page
        assert np.array_equal(again["screenshot"], first["screenshot"])
    finally:
        e.close()
