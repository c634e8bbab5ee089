"""grpo_rows / reward_for: recorded grounding rows as TRL GRPO rows, and the reward reading them."""
from pathlib import Path

import numpy as np
import pytest

datasets = pytest.importorskip("datasets")

from rewardgym.envs.gui.dataset import load_split  # noqa: E402
from rewardgym.reward_wrappers.gaussian import make_trl_reward, trl_reward  # noqa: E402
from rewardgym.reward_wrappers.trl_grounding import PROMPTS, grpo_rows, reward_for  # noqa: E402

SAMPLE = Path(__file__).parents[2] / "assets" / "gui" / "sample"


@pytest.fixture(scope="module")
def split():
    return load_split(SAMPLE, "train").select(range(6))


def _centres(boxes):
    b = np.asarray(boxes, dtype=np.float64)[0]
    return f"({(b[0] + b[2]) / 2}, {(b[1] + b[3]) / 2})"


def test_fraction_rows_keep_image_boxes_and_ask_for_fractions(split):
    rows = grpo_rows(split)
    assert sorted(rows.column_names) == ["image", "prompt", "seed", "target_boxes", "task"]
    for i, row in enumerate(rows):
        (message,) = row["prompt"]
        assert message["role"] == "user"
        assert message["content"] == PROMPTS["fraction"].format(instruction=split[i]["instruction"])
        assert message["content"].startswith(split[i]["instruction"]) and "fractions" in message["content"]
        assert row["target_boxes"] == split[i]["target_boxes"]
        assert (row["task"], row["seed"]) == (split[i]["task"], split[i]["seed"])
        assert row["image"].size == (160, 210)
        assert np.array_equal(np.asarray(row["image"]), np.asarray(split[i]["image"]))


def test_trl_reward_reads_the_recorded_target_boxes_by_default(split):
    """The recorder's column needs no argument: a point at a target's centre scores 1, a miss less."""
    rows = grpo_rows(split)
    kwargs = {c: rows[c] for c in rows.column_names if c != "prompt"}
    hits = trl_reward([_centres(b) for b in rows["target_boxes"]], prompts=rows["prompt"], **kwargs)
    assert hits == pytest.approx([1.0] * len(rows))
    far = trl_reward(["(0.99, 0.01)"] * len(rows), **kwargs)
    assert all(0 <= r < 0.5 for r in far)
    assert reward_for("fraction")(["(0.99, 0.01)"] * len(rows), **kwargs) == far
    # the columns GUI-G^2's code and ScreenSpot copies use still come first
    both = trl_reward(["(0.5, 0.5)"], solution=[[0.4, 0.4, 0.6, 0.6]], target_boxes=[[[0, 0, 0.1, 0.1]]])
    assert both == [1.0]


def test_pixel_rows_use_pixel_boxes_and_the_screenshot_size(split):
    rows = grpo_rows(split, frame="pixel", system="You point at GUI elements.")
    assert sorted(rows.column_names) == ["height", "image", "prompt", "seed", "target_boxes_px", "task", "width"]
    row = rows[0]
    assert row["prompt"][0] == {"role": "system", "content": "You point at GUI elements."}
    assert "pixels of the 160x210 screenshot" in row["prompt"][1]["content"]
    assert (row["width"], row["height"]) == (160, 210)
    assert row["target_boxes_px"] == split[0]["target_boxes_px"]
    centre = _centres(row["target_boxes_px"])
    assert reward_for("pixel")([centre], **{c: [row[c]] for c in ("target_boxes_px", "width", "height")}) == [1.0]
    with pytest.raises(KeyError, match="none of the target columns .*target_boxes_px"):
        trl_reward([centre], target_boxes_px=[row["target_boxes_px"]])  # fractions reward, pixel rows: no silent mix


def test_pixel_size_rescales_the_fraction_boxes(split):
    rows = grpo_rows(split, frame="pixel", pixel_size=(168, 224), prompt="{instruction} ({width} by {height})")
    assert rows[0]["prompt"][0]["content"] == f"{split[0]['instruction']} (168 by 224)"
    assert (rows[0]["width"], rows[0]["height"]) == (168, 224)
    want = np.asarray(split[0]["target_boxes"]) * [168, 224, 168, 224]
    assert np.allclose(rows[0]["target_boxes_px"], want)


@pytest.mark.parametrize("kwargs, needle", [
    ({"frame": "percent"}, r"frame must be one of \['fraction', 'pixel'\], got 'percent'"),
    ({"prompt": "Where is it?"}, r"prompt must contain \{instruction\}, got 'Where is it\?'"),
    ({"prompt": "{instruction} {dpi}"}, r"\{instruction\}, \{width\} and \{height\} only; got \['dpi'\]"),
    ({"pixel_size": (168, 224)}, r"pixel_size is for frame='pixel' only"),
    ({"frame": "pixel", "pixel_size": (168, 0)}, r"pixel_size must be two positive ints \(W, H\), got \(168, 0\)"),
    ({"frame": "pixel", "pixel_size": "168x224"}, r"pixel_size must be two positive ints"),
])
def test_bad_arguments_name_the_value(split, kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        grpo_rows(split, **kwargs)


def test_missing_columns_are_named():
    bare = datasets.Dataset.from_dict({"instruction": ["Click OK."], "target_boxes": [[[0.1, 0.1, 0.2, 0.2]]]})
    with pytest.raises(ValueError, match=r"needs the column\(s\) \['image'\]; the dataset has \['instruction', "):
        grpo_rows(bare)
    with_image = bare.add_column("image", [None])
    with pytest.raises(ValueError, match=r"frame='pixel'\) needs the column\(s\) \['viewport_width', 'viewport_height', "
                                         r"'target_boxes_px'\]"):
        grpo_rows(with_image, frame="pixel")


def test_reward_for_checks_its_arguments():
    with pytest.raises(ValueError, match="frame must be one of"):
        reward_for("px")
    with pytest.raises(ValueError, match="reward_for sets columns from frame"):
        reward_for("pixel", columns=("bbox",))
    # alpha reaches the reward: half a box width off the centre is one sigma at alpha 0.25
    assert reward_for("pixel", alpha=0.25)(["(1.5, 1)"], target_boxes_px=[[[0, 0, 2, 2]]]) == \
        pytest.approx([np.exp(-0.5)])
    assert reward_for("pixel")(["(1.5, 1)"], target_boxes_px=[[[0, 0, 2, 2]]]) == \
        make_trl_reward(columns=("target_boxes_px",))(["(1.5, 1)"], target_boxes_px=[[[0, 0, 2, 2]]])
