"""rewardgym-record-grounding: rows that replay the live episodes, resumable, checked input."""
import json
import shutil

import gymnasium as gym
import numpy as np
import pytest

import rewardgym  # noqa: F401
from rewardgym.envs.browser.record import main, parse_seeds, plan_shards, record, task_kwargs
from rewardgym.envs.gui.dataset import MANIFEST, load_split

pytest.importorskip("datasets")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    out = tmp_path_factory.mktemp("rec") / "data"
    manifest = record(out, ["click-button", "miniwob/click-test-2"], range(0, 6), range(500, 503), ["click-red"],
                      processes=2, shard_size=4, progress=False)
    return out, manifest


def test_rows_are_the_live_episodes(recorded):
    out, manifest = recorded
    assert manifest["rows"] == {"train": 12, "test": 6, "test_tasks": 3}
    assert manifest["tasks"]["test_tasks"] == ["click-red"] and manifest["skipped_no_target_on_screen"] == 0
    ds = load_split(out, "train")
    row = next(r for r in ds if r["task"] == "click-button" and r["seed"] == 3)
    env = gym.make("rewardgym/Browser-v0", task="click-button")
    try:
        obs, info = env.reset(seed=3)
    finally:
        env.close()
    np.testing.assert_array_equal(np.asarray(row["image"].convert("RGB")), obs["screenshot"])
    assert row["instruction"] == obs["instruction"]
    np.testing.assert_allclose(row["target_boxes"], info["target_boxes"], atol=1e-6)
    np.testing.assert_allclose(row["target_boxes_px"], np.asarray(info["target_boxes"]) * [160, 210, 160, 210],
                               atol=1e-3)
    assert row["target_roles"] == ["button"] and row["target_names"] == [info["target_elements"][0]["name"]]
    assert (row["source"], row["viewport_width"], row["viewport_height"]) == ("own", 160, 210)
    assert sorted(set(load_split(out, "test")["seed"])) == [500, 501, 502]


def test_rerun_resumes_only_missing_shards(recorded, tmp_path):
    out, _ = recorded
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    again = record(copy, ["click-button", "miniwob/click-test-2"], range(0, 6), range(500, 503), ["click-red"],
                   processes=1, shard_size=4, progress=False)
    assert again["recorded_this_run"] == 0 and again["rows"]["train"] == 12
    shard = next((copy / "shards" / "train").glob("click-button*/*"))
    shutil.rmtree(shard)                         # as if killed before this shard was saved
    (copy / MANIFEST).unlink()
    with pytest.raises(FileNotFoundError, match="unfinished recording"):
        load_split(copy, "train")
    again = record(copy, ["click-button", "miniwob/click-test-2"], range(0, 6), range(500, 503), ["click-red"],
                   processes=1, shard_size=4, progress=False)
    assert again["recorded_this_run"] == int(shard.name.rsplit("-", 1)[1]) and again["rows"]["train"] == 12
    with pytest.raises(ValueError, match="recording with other settings"):
        record(copy, ["click-button"], range(0, 6), range(500, 503), progress=False)


def test_bad_input_is_named_before_any_browser_starts(tmp_path):
    with pytest.raises(ValueError, match=r"seeds overlap \(e\.g\. \[2, 3\]\)"):
        record(tmp_path / "a", ["click-button"], range(0, 4), range(2, 6), progress=False)
    with pytest.raises(ValueError, match="unknown task 'nope'"):
        record(tmp_path / "b", ["nope"], range(0, 4), range(10, 12), progress=False)
    with pytest.raises(ValueError, match="close names"):
        task_kwargs("miniwob/click-buton")
    with pytest.raises(FileNotFoundError, match="no page or folder"):
        task_kwargs("grounding:/nonexistent/page.html")
    with pytest.raises(ValueError, match="end > start"):
        parse_seeds("5:2")
    assert parse_seeds("0:3,7") == [0, 1, 2, 7]
    assert [p[0].split("/")[0] for p in plan_shards(["a"], ["b"], [0, 1, 2], [9], 2)] == ["train", "train", "test",
                                                                                           "test_tasks"]


def test_a_task_without_target_boxes_is_refused(tmp_path):
    with pytest.raises(ValueError, match="reports no target boxes on screen"):
        record(tmp_path / "c", ["miniwob/click-scroll-list"], range(0, 2), range(10, 11), progress=False)
    assert not (tmp_path / "c" / MANIFEST).exists()


def test_command_line_one_line_exit_2(tmp_path, capsys):
    assert main(["--out", str(tmp_path / "d"), "--tasks", "click-button", "--train-seeds", "0:4",
                 "--test-seeds", "3:5"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "seeds overlap" in err and err.startswith("rewardgym-record-grounding:")
    assert main(["--out", str(tmp_path / "e"), "--tasks", "click-button", "--viewport", "160by210"]) == 2
    assert "--viewport must be WIDTHxHEIGHT" in capsys.readouterr().err


def test_grounding_pages_record_with_the_sandbox_holding(tmp_path):
    page = tmp_path / "site" / "index.html"
    page.parent.mkdir()
    page.write_text('<html><body><button>Sign in</button><a href="#x">Help</a>'
                    '<img src="http://example.com/pixel.png" alt=""></body></html>')
    manifest = record(tmp_path / "g", [f"grounding:{page}"], range(0, 3), range(10, 12), processes=1,
                      progress=False)
    ds = load_split(tmp_path / "g", "train")
    assert set(ds["source"]) == {"grounding"} and all(n for names in ds["target_names"] for n in names)
    assert min(ds["blocked_requests"]) >= 1 and manifest["blocked_requests"] >= 5  # the image never loaded
    assert json.loads((tmp_path / "g" / MANIFEST).read_text())["rows"] == {"train": 3, "test": 2}
