"""Accessible role and name of the targets (``info["target_elements"]``) checked against Chromium's
own accessibility tree (CDP ``Accessibility.getPartialAXTree``), and grounding episodes that pick
only elements a person can see, named as the accessibility tree names them."""
import json
import os

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("playwright")
if not os.path.exists(os.environ.get("REWARDGYM_CHROMIUM", "/usr/bin/chromium")):
    pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)", allow_module_level=True)

import rewardgym  # noqa: E402,F401


def _ax(page, expression: str) -> list[dict]:
    """Role and name of each element of the array ``expression`` from Chromium's CDP AX tree
    (``None`` for an element the tree ignores, such as a ``<label>``: its text names its control)."""
    cdp = page.context.new_cdp_session(page)
    try:
        array = cdp.send("Runtime.evaluate", {"expression": expression, "objectGroup": "t"})["result"]["objectId"]
        props = cdp.send("Runtime.getProperties", {"objectId": array, "ownProperties": True})["result"]
        out = []
        for p in sorted((p for p in props if p["name"].isdigit()), key=lambda p: int(p["name"])):
            node = cdp.send("Accessibility.getPartialAXTree", {"objectId": p["value"]["objectId"],
                                                              "fetchRelatives": False})["nodes"][0]
            ignored = node.get("ignored", False)
            out.append(None if ignored else {"role": node.get("role", {}).get("value", ""),
                                             "name": node.get("name", {}).get("value", "")})
        cdp.send("Runtime.releaseObjectGroup", {"objectGroup": "t"})
        return out
    finally:
        cdp.detach()


@pytest.mark.parametrize("task, seeds", [("click-button", (0, 1)), ("click-checkbox", (2,)), ("click-link", (3,)),
                                         ("miniwob/click-checkboxes", (0, 1)), ("miniwob/enter-text", (0,)),
                                         ("miniwob/click-dialog", (0,))])
def test_target_elements_are_chromiums_role_and_name_one_per_box(task, seeds):
    env = gym.make("rewardgym/Browser-v0", task=task, action_type="gui", free_text=True)
    try:
        for seed in seeds:
            _, info = env.reset(seed=seed)
            page = env.unwrapped.session.page
            expected = _ax(page, f"({env.unwrapped.task.targets})().filter(e => e)")
            assert len(info["target_elements"]) == len(info["target_boxes"]) == len(expected) >= 1
            for got, want in zip(info["target_elements"], expected):
                assert got == (want or {"role": "", "name": ""}), (task, seed)
            # click-checkbox's target is the <label> around the box, which the AX tree ignores: role ''
            assert any(expected) != (task == "click-checkbox")
            before = info["target_elements"]
            _, _, _, _, info = env.step("noop()")  # steps carry them too
            assert info["target_elements"] == before
    finally:
        env.close()


def test_own_task_target_is_the_named_button():
    env = gym.make("rewardgym/Browser-v0", task="click-button")
    try:
        obs, info = env.reset(seed=5)
        assert info["target_elements"] == [{"role": "button", "name": obs["instruction"].split('"')[1]}]
    finally:
        env.close()


# Every way of hiding an element a person cannot see, beside buttons that can be seen.
HIDDEN = """<!DOCTYPE html><html><body style="margin:0;font:12px sans-serif">
<button style="position:absolute;left:5px;top:5px">Seen one</button>
<button style="position:absolute;left:90px;top:5px;border-radius:9px">Seen two</button>
<div style="opacity:0"><button style="position:absolute;left:5px;top:40px">Transparent parent</button></div>
<div style="visibility:hidden"><button style="position:absolute;left:5px;top:70px">Invisible parent</button></div>
<div style="display:none"><button>Undisplayed parent</button></div>
<button style="position:absolute;left:5px;top:100px;width:0;height:0;padding:0;border:0;overflow:hidden">Zero size</button>
<div style="position:absolute;left:5px;top:130px;width:30px;height:20px;overflow:hidden">
  <button style="width:80px">Clipped by its box</button></div>
<button style="position:absolute;left:250px;top:5px">Off screen</button>
<button style="position:absolute;left:60px;top:130px;width:80px">Covered corner</button>
<div style="position:absolute;left:110px;top:130px;width:40px;height:40px;background:#fff"></div>
<button style="position:absolute;left:5px;top:170px">Under a sheet</button>
<div style="position:absolute;left:0;top:165px;width:160px;height:40px;background:rgba(0,0,0,0.01)"></div>
</body></html>"""


def test_grounding_targets_only_what_a_person_can_see(tmp_path):
    (tmp_path / "hidden.html").write_text(HIDDEN)
    env = gym.make("rewardgym/Browser-v0", task="grounding", page=str(tmp_path / "hidden.html"))
    try:
        env.reset(seed=0)
        page = env.unwrapped.session.page
        names = page.evaluate("() => window.__rgGround.candidates().map(c => c.name)")
        assert names == ["Seen one", "Seen two"]
        for seed in range(6):
            obs, info = env.reset(seed=seed)
            assert obs["instruction"] in ('Click the "Seen one" button.', 'Click the "Seen two" button.')
            assert info["target_elements"] == [{"role": "button", "name": obs["instruction"].split('"')[1]}]
    finally:
        env.close()


# Names the accname rules give: aria-labelledby before aria-label, "Submit" for a submit input with no
# value, a <label>, content over title, placeholder; a name with quotes and a backslash.
NAMES = """<!DOCTYPE html><html><body style="margin:0;font:12px sans-serif">
<span id="lab">Labelled by</span>
<div style="display:flex;flex-direction:column;align-items:flex-start;gap:3px;padding:4px">
<button aria-labelledby="lab" aria-label="Aria label">b1</button>
<input type="submit">
<label for="em">E-mail</label><input id="em" type="email">
<input type="search" placeholder="Find notes">
<a href="#x" title="The title">Link text</a>
<button>Say "hi" \\ now</button>
<div role="tab" tabindex="0">Tab one</div>
<button aria-label="&#9881;">x</button>
<input type="checkbox" id="cb"><label for="cb">Remember</label>
</div></body></html>"""


def test_grounding_names_are_chromiums_and_quotes_are_escaped(tmp_path):
    (tmp_path / "names.html").write_text(NAMES)
    env = gym.make("rewardgym/Browser-v0", task="grounding", page=str(tmp_path / "names.html"), viewport=(300, 320))
    try:
        env.reset(seed=0)
        page = env.unwrapped.session.page
        got = page.evaluate("() => window.__rgGround.candidates().map(c => ({role: c.role, name: c.name}))")
        assert got == _ax(page, "window.__rgGround.candidates().map(c => c.el)")
        assert {"role": "button", "name": "Labelled by"} in got and {"role": "button", "name": "Submit"} in got
        assert {"role": "textbox", "name": "E-mail"} in got and {"role": "searchbox", "name": "Find notes"} in got
        assert {"role": "link", "name": "Link text"} in got and {"role": "checkbox", "name": "Remember"} in got
        assert not any(c["name"] == "\u2699" for c in got)  # a glyph alone names nothing to say
        instructions = {page.evaluate("(i) => window.__rgGround.setup(i)", i) for i in range(len(got))}
        assert env.reset(seed=1)[0]["instruction"] in instructions
        quoted = 'Click the "Say \\"hi\\" \\\\ now" button.'
        assert quoted in instructions and 'Click the "Labelled by" button.' in instructions
        assert json.loads(quoted[len("Click the "):-len(" button.")]) == 'Say "hi" \\ now'
        # names are kept while the page does not change; a change is seen at the next reset
        page.evaluate("() => { document.getElementById('lab').textContent = 'Renamed'; }")
        env.reset(seed=0)
        names = page.evaluate("() => window.__rgGround.candidates().map(c => c.name)")
        assert "Renamed" in names and "Labelled by" not in names
    finally:
        env.close()


def test_a_page_with_nothing_to_see_is_one_clear_error_and_the_env_keeps_working(tmp_path):
    (tmp_path / "none.html").write_text("<body><div style='opacity:0'><button>Hidden</button></div>"
                                        "<button style='visibility:hidden'>Also hidden</button></body>")
    (tmp_path / "ok.html").write_text("<body><button>Fine</button></body>")
    env = gym.make("rewardgym/Browser-v0", task="grounding", page=str(tmp_path / "none.html"))
    other = gym.make("rewardgym/Browser-v0", task="grounding", page=str(tmp_path / "ok.html"))
    try:
        for _ in range(2):  # the same clear error each time, the browser still fine
            with pytest.raises(RuntimeError, match=r"'grounding:none.html'.*no visible interactive element .*none\.html"):
                env.reset(seed=0)
        with pytest.raises(RuntimeError, match="call reset"):
            env.step(np.array([0.5, 0.5], np.float32))
        obs, info = other.reset(seed=0)
        assert obs["instruction"] == 'Click the "Fine" button.'
        _, reward, terminated, _, _ = other.step(np.array([(info["target_boxes"][0][0] + info["target_boxes"][0][2]) / 2,
                                                           (info["target_boxes"][0][1] + info["target_boxes"][0][3]) / 2],
                                                          np.float32))
        assert reward == 1.0 and terminated
    finally:
        env.close()
        other.close()
