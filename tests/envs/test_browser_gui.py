"""Browser-v0 with action_type="gui": typing, keys, scrolling, drag, double click, multi-step
episodes, the string/JSON parser, and bad input (the env keeps working after the error)."""
import json
import re
import math
import os

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("playwright")
if not os.path.exists(os.environ.get("REWARDGYM_CHROMIUM", "/usr/bin/chromium")):
    pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)", allow_module_level=True)

import rewardgym  # noqa: E402,F401
from rewardgym.envs.browser.actions import KEYS, GuiAction, decode, encode, typing_actions  # noqa: E402

# A form task: type the word shown into the box and press Enter. Also a double-click counter,
# a scrollable list and a drag track, whose readings the tests check through the page.
PAGE = """<!DOCTYPE html><html><body style="margin:0;font:12px sans-serif">
<input id="t" style="position:absolute;left:5px;top:5px;width:140px;height:20px">
<div id="dbl" style="position:absolute;left:5px;top:35px;width:60px;height:20px;background:#ccc">0</div>
<div id="list" style="position:absolute;left:5px;top:65px;width:140px;height:60px;overflow-y:scroll">
  <div style="height:400px;background:linear-gradient(#f00,#00f)"></div></div>
<div id="track" style="position:absolute;left:5px;top:140px;width:150px;height:30px;background:#eee"></div>
<script>
var ep = {word: '', done: false, success: false, drag: null, down: null};
document.getElementById('dbl').addEventListener('dblclick', function () { this.textContent = +this.textContent + 1; });
var track = document.getElementById('track');
track.addEventListener('mousedown', function (e) { ep.down = [e.clientX, e.clientY]; });
window.addEventListener('mouseup', function (e) { if (ep.down) ep.drag = [ep.down[0], e.clientX]; ep.down = null; });
document.getElementById('t').addEventListener('keydown', function (e) {
  if (e.key === 'Enter') { ep.done = true; ep.success = this.value === ep.word; } });
function setup(seed) {
  var words = ['apple', 'pear', 'plum'];
  ep = {word: words[seed % 3], done: false, success: false, drag: null, down: null};
  var t = document.getElementById('t'); t.value = ''; t.blur();
  document.getElementById('dbl').textContent = '0'; document.getElementById('list').scrollTop = 0;
  return 'Type "' + ep.word + '" and press Enter.';
}
</script></body></html>"""
TASK = {"page": "index.html", "setup": "(seed) => setup(seed)", "targets": "() => [document.getElementById('t')]",
        "state": "() => ({done: ep.done, success: ep.success, reward: ep.done ? (ep.success ? 1 : -1) : 0})",
        "vocabulary": "() => ['apple', 'pear', 'plum']"}


@pytest.fixture(scope="module")
def form_env(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gui_task")
    (folder / "index.html").write_text(PAGE)
    (folder / "task.json").write_text(json.dumps(TASK))
    env = gym.make("rewardgym/Browser-v0", task_dir=str(folder), action_type="gui", max_steps=6,
                   frame_rate_limit=False, max_episode_steps=50)  # no animation; one Chromium with the own task
    yield env
    env.close()


def _centre(box):
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def test_type_and_key_make_a_multi_step_episode(form_env):
    obs, info = form_env.reset(seed=1)
    word = obs["instruction"].split('"')[1]
    assert info["vocabulary"] == ["apple", "pear", "plum"] and obs["instruction"] == f'Type "{word}" and press Enter.'
    x, y = _centre(info["target_boxes"][0])
    steps = [f"click({x}, {y})", f'type("{word}")', {"action": "key", "key": "Enter"}]
    for i, action in enumerate(steps):
        obs, reward, terminated, truncated, info = form_env.step(action)
        assert terminated == (i == 2) and not truncated
    assert reward == 1.0 and info["success"] and info["action"] == GuiAction("key", key="Enter")
    # the wrong word: the task says done, not a success
    obs, _ = form_env.reset(seed=0)
    wrong = next(w for w in ("apple", "pear", "plum") if w != obs["instruction"].split('"')[1])
    for action in (f"click({x}, {y})", f'type("{wrong}")', 'press("Enter")'):
        _, reward, terminated, _, info = form_env.step(action)
    assert terminated and reward == -1.0 and not info["success"]


def test_time_limit_truncates_at_max_steps(form_env):
    form_env.reset(seed=2)
    for i in range(6):
        _, reward, terminated, truncated, _ = form_env.step("noop()")
        assert reward == 0.0 and not terminated and truncated == (i == 5)


def test_dblclick_scroll_and_drag_are_real_input(form_env):
    form_env.reset(seed=0)
    page = form_env.unwrapped.session.page
    w, h = form_env.unwrapped.viewport
    form_env.step(f"dblclick({35 / w}, {45 / h})")
    assert page.evaluate("() => document.getElementById('dbl').textContent") == "1"
    before, *_ = form_env.step("noop()")
    after, *_ = form_env.step(f"scroll({70 / w}, {95 / h}, 0, 80)")
    assert page.evaluate("() => document.getElementById('list').scrollTop") == 80
    assert not np.array_equal(before["screenshot"], after["screenshot"])  # the frame shows the scrolled list
    form_env.step(GuiAction("drag", x=20 / w, y=155 / h, x2=120 / w, y2=155 / h))
    assert page.evaluate("() => ep.drag") == [20, 120]


def test_vector_actions_are_valid_and_decode_as_documented(form_env):
    obs, info = form_env.reset(seed=0)
    space = form_env.action_space
    assert space.shape == (9,) and not isinstance(space, gym.spaces.Text)
    space.seed(3)
    for _ in range(25):  # whatever the space samples runs
        _, _, terminated, truncated, info = form_env.step(space.sample())
        assert isinstance(info["action"], GuiAction)
        if terminated or truncated:
            form_env.reset()
    _, info = form_env.reset(seed=2)
    vocab = form_env.unwrapped.vocabulary
    x, y = _centre(info["target_boxes"][0])
    for action in (GuiAction("type", text="plum"), GuiAction("key", key="Tab"), GuiAction("click", x=x, y=y),
                   GuiAction("scroll", x=0.5, y=0.5, dx=0.0, dy=-60.0)):
        _, _, _, _, info = form_env.step(encode(action, vocab))
        got = info["action"]
        assert got.kind == action.kind and got.text == action.text and got.key == action.key
        assert math.isclose(got.dy, action.dy, abs_tol=1e-3)


@pytest.mark.parametrize("bad, named", [
    ('type("banana")', "'banana'"),                                  # not in the vocabulary
    ('type("' + "a" * 65 + '")', "65 characters"),                   # longer than max_text_len
    ('key("Ctrl+a")', "'Ctrl+a'"),                                    # Playwright says Control
    ('key("Return")', "'Return'"),
    ('{"action": "drag", "x": 0.1, "y": 0.1, "x2": NaN, "y2": 0.5}', "nan"),
    ('drag(0.1, 0.1, 0.5)', "missing y2"),
    ('click(1.2, 0.5)', "1.2"),
    ('swipe(0.1, 0.2)', "'swipe'"),
    (np.array([0.5] * 8 + [np.nan], np.float32), "nan"),
    ('key("Shift+a")', "'Shift+a'"),                                # a Playwright key, but no key of KEYS
    ('{"action": "key", "key": "KeyA"}', "'KeyA'"),
    (np.array([0.5] * 5 + [1.5, 0.5, 0, 0], np.float32), "index 5 (text: a vocabulary index)"),
    (np.array([0.5] * 6 + [-0.1, 0, 0], np.float32), "index 6 (key: a KEYS index)"),
])
def test_bad_input_names_the_value_and_the_env_keeps_working(form_env, bad, named):
    obs, info = form_env.reset(seed=1)
    with pytest.raises(ValueError, match=re.escape(named)):
        form_env.step(bad)
    x, y = _centre(info["target_boxes"][0])
    word = obs["instruction"].split('"')[1]
    for action in (f"click({x}, {y})", f'type("{word}")', 'key("Enter")'):  # the same episode goes on
        _, reward, terminated, _, info = form_env.step(action)
    assert terminated and reward == 1.0 and info["success"]


def test_every_encoded_key_is_one_playwright_presses(form_env):
    form_env.reset(seed=0)
    for key in KEYS:
        form_env.step(GuiAction("key", key=key))  # an unknown key would raise from Playwright


def test_own_task_under_gui_uses_the_quoted_words_and_still_ends_on_the_click():
    env = gym.make("rewardgym/Browser-v0", task="click-button", action_type="gui")
    try:
        obs, info = env.reset(seed=4)
        word = obs["instruction"].split('"')[1]
        assert info["vocabulary"] == [word]
        _, reward, terminated, _, _ = env.step('type("%s")' % word)  # typing is no click: the episode goes on
        assert not terminated and reward == 0.0
        x, y = _centre(info["target_boxes"][0])
        _, reward, terminated, _, info = env.step(GuiAction("click", x=x, y=y))
        assert terminated and reward == 1.0 and info["click"]["text"] == word
    finally:
        env.close()


def test_sb3_accepts_the_gui_space():
    from stable_baselines3.common.env_checker import check_env

    env = gym.make("rewardgym/Browser-v0", task="click-red", action_type="gui", obs_type="pixels")
    try:
        check_env(env.unwrapped, skip_render_check=True)
    finally:
        env.close()


def test_the_typing_rule_is_the_same_for_strings_and_vectors(form_env):
    """free_text=False: type() types a vocabulary entry, key() presses a key of KEYS (named keys and
    printable ASCII characters): other text goes in one key at a time, as a vector agent types it."""
    obs, info = form_env.reset(seed=0)
    word = obs["instruction"].split('"')[1]
    with pytest.raises(ValueError, match="'APPLE' is not in this episode's vocabulary"):
        form_env.step('type("APPLE")')
    x, y = _centre(info["target_boxes"][0])
    form_env.step(encode(GuiAction("click", x=x, y=y), form_env.unwrapped.vocabulary))
    for action in typing_actions(word.upper(), form_env.unwrapped.vocabulary):  # not in the vocabulary: keys
        assert action.kind == "key"
        _, _, terminated, _, info = form_env.step(encode(action, form_env.unwrapped.vocabulary))
        assert not terminated and info["action"] == action
    page = form_env.unwrapped.session.page
    assert page.evaluate("() => document.getElementById('t').value") == word.upper()
    form_env.step('key("ControlOrMeta+a")')
    form_env.step(encode(GuiAction("type", text=word), form_env.unwrapped.vocabulary))  # a vocabulary entry: one action
    _, reward, terminated, _, info = form_env.step(encode(GuiAction("key", key="Enter"), form_env.unwrapped.vocabulary))
    assert terminated and reward == 1.0 and info["success"]


def test_free_text_allows_any_text_and_any_playwright_key(tmp_path):
    folder = tmp_path / "task"
    folder.mkdir()
    (folder / "index.html").write_text(PAGE)
    (folder / "task.json").write_text(json.dumps(TASK))
    env = gym.make("rewardgym/Browser-v0", task_dir=str(folder), action_type="gui", free_text=True,
                   frame_rate_limit=False, max_episode_steps=50)
    try:
        obs, info = env.reset(seed=1)
        x, y = _centre(info["target_boxes"][0])
        for action in (f"click({x}, {y})", 'type("Pe")', 'key("Shift+KeyA")', 'key("KeyR")'):
            env.step(action)
        assert env.unwrapped.session.page.evaluate("() => document.getElementById('t').value") == "PeAr"
    finally:
        env.close()


def test_every_key_and_vocabulary_entry_round_trips_through_the_vector():
    vocab = tuple(f"w{i}" for i in range(37))
    for key in KEYS:
        assert decode(encode(GuiAction("key", key=key), vocab), vocab).key == key
    for word in vocab:
        assert decode(encode(GuiAction("type", text=word), vocab), vocab).text == word
    assert len(KEYS) == 110 and len(set(KEYS)) == 110
    with pytest.raises(ValueError, match="character '\u00e9' of 'caf\u00e9' is no key"):
        typing_actions("caf\u00e9", ())
