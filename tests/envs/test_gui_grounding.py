"""The GUI contract, the instruction tokens and rewardgym/Grounding-v0 (dataset-backed, no browser)."""
import copy
import pickle

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import rewardgym  # noqa: F401
from rewardgym.envs.gui import contract
from rewardgym.envs.gui.dataset import features, load_split
from rewardgym.envs.gui.grounding_v0 import GroundingEnv, sample_dataset
from rewardgym.envs.gui.instruction import InstructionTokenizer, InstructionTokens
from rewardgym.envs.wrappers import PoolImage

datasets = pytest.importorskip("datasets")


def _png(color, size=(20, 16)):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return {"bytes": buf.getvalue(), "path": None}


def _save(tmp_path, rows, name="ds", split="train"):
    """A DatasetDict of ``rows`` (dicts of the schema's columns) under ``tmp_path/name``."""
    cols = {k: [r.get(k) for r in rows] for k in features()}
    for k, default in (("target_boxes_px", []), ("target_roles", []), ("target_names", []), ("task", "t"),
                       ("source", "own"), ("seed", 0), ("viewport_width", 20), ("viewport_height", 16),
                       ("blocked_requests", 0)):
        cols[k] = [default if v is None else v for v in cols[k]]
    ds = datasets.Dataset.from_dict(cols, features=features())
    path = tmp_path / name
    datasets.DatasetDict({split: ds}).save_to_disk(str(path))
    return str(path)


def _row(box=(0.25, 0.25, 0.75, 0.75), text="Click the square.", task="t", seed=0, color=(255, 0, 0)):
    return {"image": _png(color), "instruction": text, "target_boxes": [list(box)], "task": task, "seed": seed}


# --- the contract ------------------------------------------------------------------------------
def test_click_point_and_hits():
    assert contract.click_point([0.8, 0.9, 0.2, 0.1], "box") == pytest.approx((0.5, 0.5))
    assert contract.click_point(np.array([0.3, 0.7], np.float32), "point") == pytest.approx((0.3, 0.7))
    for bad in ([1.2, 0.5], [np.nan, 0.1], [0.1, 0.2, 0.3]):
        with pytest.raises(ValueError, match="action"):
            contract.click_point(bad, "point")
    boxes = [[0.1, 0.1, 0.2, 0.2], [0.5, 0.5, 0.6, 0.9]]
    assert contract.click_in_box((0.2, 0.1), boxes)          # edges count
    assert contract.click_in_box((0.55, 0.8), boxes)
    assert not contract.click_in_box((0.3, 0.3), boxes)


def test_boxes_are_checked_and_cut_to_the_screen():
    with pytest.raises(ValueError, match=r"target_boxes\[1\].*not inside \[0, 1\]"):
        contract.check_boxes([[0.1, 0.1, 0.2, 0.2], [0.5, 0.5, 1.5, 0.9]])
    with pytest.raises(ValueError, match="inverted or empty"):
        contract.check_boxes([[0.4, 0.1, 0.2, 0.2]])
    cut = contract.visible_boxes([[-0.5, 0.2, 0.5, 0.4], [1.0, 0.2, 1.3, 0.4], [0.2, -0.3, 0.4, -0.1]])
    np.testing.assert_allclose(cut, [[0.0, 0.2, 0.5, 0.4]])  # the two wholly off-screen boxes are dropped
    np.testing.assert_allclose(contract.to_pixels([[0.5, 0.5, 1.0, 1.0]], (160, 210)), [[80, 105, 160, 210]])


def test_instruction_space_takes_unicode_page_names():
    space = contract.instruction_space()
    assert space.contains('Click the “Café” link – ½ off…')
    assert not space.contains("Click 漢字")


# --- instruction tokens --------------------------------------------------------------------------
def test_tokens_are_stable_and_case_folded():
    tok = InstructionTokenizer(max_tokens=6, vocab_size=64)
    a, b = tok.encode('Click "OK".'), tok.encode('click "ok".')
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.int64 and a.shape == (6,) and a[-1] == 0 and a.min() >= 0 and a.max() < 64
    assert int(a[0]) == 2 + __import__("zlib").crc32(b"click") % 62  # no per-process hash salt
    assert tok.encode("Ação")[0] != 0                                 # any Unicode word has an id


def test_too_long_instruction_is_an_error_naming_it():
    with pytest.raises(ValueError, match=r"instruction 'a b c d' has 4 tokens, more than .*max_tokens=3"):
        InstructionTokenizer(max_tokens=3).encode("a b c d")
    with pytest.raises(ValueError, match="vocab_size must be an integer >= 3"):
        InstructionTokenizer(vocab_size=2)


# --- Grounding-v0 ----------------------------------------------------------------------------------
def test_default_env_is_the_bundled_sample_and_passes_check_env():
    env = gym.make("rewardgym/Grounding-v0")
    assert env.unwrapped.dataset == sample_dataset()
    check_env(env.unwrapped, skip_render_check=True)
    obs, info = env.reset(seed=3)
    assert set(obs) == {"screenshot", "instruction"} and obs["screenshot"].shape == (210, 160, 3)
    assert info["instruction"] == obs["instruction"] and info["success"] is False
    assert len(info["target_elements"]) == len(info["target_boxes"]) >= 1
    x1, y1, x2, y2 = info["target_boxes"][0]
    _, r, term, trunc, info2 = env.step([(x1 + x2) / 2, (y1 + y2) / 2])
    assert (r, term, trunc, info2["success"]) == (1.0, True, False, True)
    env.reset(options={"index": info["index"]})
    _, r, _, _, info3 = env.step([0.0, 0.0] if x1 > 0 or y1 > 0 else [1.0, 1.0])
    assert r == 0.0 and info3["success"] is False


def test_same_observation_and_info_contract_as_browser_v0():
    """The keys a policy or reward reads are Browser-v0's for one-click episodes (obs_type='default')."""
    env = gym.make("rewardgym/Grounding-v0", action_type="box")
    live = gym.make("rewardgym/Browser-v0", task="click-button", action_type="box")  # spaces only: no page yet
    try:
        assert env.observation_space == live.observation_space
        assert env.action_space == live.action_space
        _, info = env.reset(seed=0)
        _, live_info = live.reset(seed=0)
        assert {"target_boxes", "instruction", "success", "target_elements"} <= set(info) & set(live_info)
        assert info["target_boxes"].dtype == live_info["target_boxes"].dtype == np.float32
    finally:
        live.close()


def test_box_action_is_clicked_at_its_centre(tmp_path):
    env = GroundingEnv(_save(tmp_path, [_row(box=(0.4, 0.4, 0.6, 0.6))]), action_type="box")
    env.reset(seed=0)
    assert env.step([0.9, 0.9, 0.1, 0.1])[1] == 1.0     # corners in any order: centre (0.5, 0.5)
    env.reset(seed=0)
    assert env.step([0.0, 0.0, 0.2, 0.2])[1] == 0.0


def test_rows_sampled_with_the_env_rng_and_by_index(tmp_path):
    path = _save(tmp_path, [_row(seed=s, task=f"t{s % 2}", color=(s * 40, 0, 0)) for s in range(6)])
    a, b = GroundingEnv(path), GroundingEnv(path)
    seq_a = [a.reset(seed=7 if i == 0 else None)[1]["index"] for i in range(10)]
    seq_b = [b.reset(seed=7 if i == 0 else None)[1]["index"] for i in range(10)]
    assert seq_a == seq_b and len(set(seq_a)) > 1
    obs, info = a.reset(options={"index": 4})
    assert info["index"] == 4 and info["seed"] == 4 and obs["screenshot"][0, 0, 0] == 160
    with pytest.raises(ValueError, match=r"options\['index'\] must be an integer in \[0, 6\), got 6"):
        a.reset(options={"index": 6})
    files = sorted(p.name for p in __import__("pathlib").Path(path).rglob("*"))
    only = GroundingEnv(path, tasks=["t1"])
    assert len(only) == 3 and only.task_names == ["t1"]
    assert sorted(p.name for p in __import__("pathlib").Path(path).rglob("*")) == files  # no cache written beside it
    with pytest.raises(ValueError, match=r"tasks \['nope'\] are not in split 'train'"):
        GroundingEnv(path, tasks=["nope"])


def test_pickle_deepcopy_and_async_vector(tmp_path):
    env = gym.make("rewardgym/Grounding-v0")
    env.reset(seed=1)
    for clone in (pickle.loads(pickle.dumps(env)), copy.deepcopy(env)):
        assert clone.reset(seed=5)[1]["index"] == env.reset(seed=5)[1]["index"]
    venv = gym.make_vec("rewardgym/Grounding-v0", num_envs=2, vectorization_mode="async")
    try:
        obs, info = venv.reset(seed=0)
        assert obs["screenshot"].shape == (2, 210, 160, 3)
        obs, r, term, trunc, info = venv.step(np.full((2, 2), 0.5, np.float32))
        assert term.all() and r.shape == (2,)
    finally:
        venv.close()


@pytest.mark.parametrize("mutate, message", [
    (lambda rows: [dict(r, target_boxes=[[0.2, 0.2, 1.4, 0.5]]) for r in rows], r"row 0.*not inside \[0, 1\]"),
    (lambda rows: [dict(r, target_boxes=[[0.6, 0.2, 0.4, 0.5]]) for r in rows], r"row 0.*inverted or empty"),
    (lambda rows: [dict(r, target_boxes=[]) for r in rows], r"row 0 of the grounding dataset has no target_boxes"),
])
def test_bad_boxes_in_a_dataset_name_the_row(tmp_path, mutate, message):
    with pytest.raises(ValueError, match=message):
        GroundingEnv(_save(tmp_path, mutate([_row()])))


def test_bad_datasets_name_the_problem(tmp_path):
    path = _save(tmp_path, [_row()])
    with pytest.raises(ValueError, match=r"has no split 'test'; splits: \['train'\]"):
        GroundingEnv(path, split="test")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        GroundingEnv(str(tmp_path / "missing"))
    ds = datasets.Dataset.from_dict({"image": [_png((0, 0, 0))], "instruction": ["x"]})
    datasets.DatasetDict({"train": ds}).save_to_disk(str(tmp_path / "nocol"))
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['target_boxes'\]"):
        load_split(str(tmp_path / "nocol"))
    empty = datasets.Dataset.from_dict({k: [] for k in features()}, features=features())
    datasets.DatasetDict({"train": empty}).save_to_disk(str(tmp_path / "empty"))
    with pytest.raises(ValueError, match="split 'train' is empty"):
        GroundingEnv(str(tmp_path / "empty"))
    unfinished = tmp_path / "rec"
    (unfinished / "shards").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="unfinished recording"):
        GroundingEnv(str(unfinished))
    mixed = _save(tmp_path, [_row(), dict(_row(), image=_png((0, 0, 0), size=(30, 16)))], name="mixed")
    with pytest.raises(ValueError, match="one screenshot size"):
        GroundingEnv(mixed)


def test_instruction_tokens_and_pooling_make_an_sb3_observation():
    env = PoolImage(InstructionTokens(gym.make("rewardgym/Grounding-v0"), max_tokens=16), k=2, key="screenshot")
    obs, _ = env.reset(seed=0)
    assert obs["screenshot"].shape == (105, 80, 3) and obs["screenshot"].dtype == np.uint8
    assert obs["instruction"].shape == (16,) and env.observation_space.contains(obs)
    raw = env.unwrapped._frames[env.unwrapped._index].astype(np.float64)
    np.testing.assert_allclose(obs["screenshot"][3, 5], raw[6:8, 10:12].mean(axis=(0, 1)), atol=0.51)
    with pytest.raises(ValueError, match="needs a Dict observation with a Text 'instruction'"):
        InstructionTokens(gym.make("rewardgym/Grounding-v0", obs_type="pixels"))


def test_reading_the_bundled_sample_writes_nothing_beside_it():
    """The sample ships inside the package (read-only in a wheel): filtering, decoding and mapping it
    for TRL must not leave datasets' cache files there."""
    from pathlib import Path

    from rewardgym.reward_wrappers.trl_grounding import grpo_rows

    root = Path(sample_dataset())
    before = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    GroundingEnv(split="test", tasks=["click-red", "click-button"]).reset(seed=0)
    grpo_rows(load_split(root, "test"))
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == before
