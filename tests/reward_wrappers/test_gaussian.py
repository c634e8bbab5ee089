import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardgym.reward_wrappers.gaussian import (box_size_reward, coverage_reward, grounding_reward,
                                                parse_prediction, point_reward, trl_reward)

coord = st.floats(0.0, 0.8, allow_nan=False)
size = st.floats(0.02, 0.2, allow_nan=False)


def boxes():
    return st.tuples(coord, coord, size, size).map(lambda t: [t[0], t[1], t[0] + t[2], t[1] + t[3]])


@given(boxes())
def test_point_reward_centre_edge(b):
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    assert point_reward([cx, cy], b)[0] == pytest.approx(1.0)
    assert point_reward([b[2], cy], b)[0] == pytest.approx(math.exp(-0.5))  # right edge
    assert point_reward([cx, b[1]], b)[0] == pytest.approx(math.exp(-0.5))  # top edge


@given(boxes(), st.floats(0.0, 0.3), st.floats(0.0, 0.3))
def test_point_reward_symmetric_and_decreasing(b, dx, dy):
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    r = point_reward([[cx + dx, cy + dy], [cx - dx, cy - dy], [cx + 2 * dx, cy + 2 * dy]], [b] * 3)
    assert r[0] == pytest.approx(r[1])
    assert r[2] <= r[0] + 1e-12
    # independent computation from the formula
    sx, sy = 0.5 * (b[2] - b[0]), 0.5 * (b[3] - b[1])
    assert r[0] == pytest.approx(math.exp(-0.5 * ((dx / sx) ** 2 + (dy / sy) ** 2)))


@given(boxes(), boxes())
@settings(max_examples=60)
def test_coverage_identity_symmetry(a, b):
    assert coverage_reward(a, a)[0] == pytest.approx(1.0)
    assert coverage_reward(a, b)[0] == pytest.approx(coverage_reward(b, a)[0])
    if not np.allclose(a, b):
        assert coverage_reward(a, b)[0] < 1.0


def test_coverage_matches_bhattacharyya_by_hand():
    a, b = [0.1, 0.1, 0.3, 0.2], [0.15, 0.1, 0.25, 0.3]
    mu1, mu2 = np.array([0.2, 0.15]), np.array([0.2, 0.2])
    v1, v2 = (0.5 * np.array([0.2, 0.1])) ** 2, (0.5 * np.array([0.1, 0.2])) ** 2
    v = (v1 + v2) / 2
    db = np.sum((mu1 - mu2) ** 2 / v) / 8 + 0.5 * math.log(np.prod(v) / math.sqrt(np.prod(v1) * np.prod(v2)))
    assert coverage_reward(a, b)[0] == pytest.approx(math.exp(-db))


def test_box_size_reward():
    b = [10, 20, 50, 60]
    assert box_size_reward(b, b, 100, 100)[0] == pytest.approx(0.125)
    worse = box_size_reward([0, 0, 100, 100], b, 100, 100)[0]
    terms = [1 - 10 / 100, 1 - 20 / 100, 1 - 50 / 100, 1 - 40 / 100]
    assert worse == pytest.approx(0.125 * 4 / sum(1 / t for t in terms))


@pytest.mark.parametrize("bad", [[0.5, 0.5, 0.4, 0.6], [0.1, 0.1, 0.1, 0.2], [np.nan, 0, 1, 1]])
def test_degenerate_boxes_raise(bad):
    with pytest.raises(ValueError, match="boxes"):
        point_reward([0.5, 0.5], bad)


def test_grounding_best_of_targets_and_box_mode():
    targets = np.array([[[0.0, 0.0, 0.2, 0.2], [0.5, 0.5, 0.7, 0.7]]])
    assert grounding_reward([0.6, 0.6], targets)[0] == pytest.approx(1.0)
    assert grounding_reward([0.5, 0.5, 0.7, 0.7], targets)[0] == pytest.approx(2.0)
    assert grounding_reward([0.9, 0.05], targets)[0] < 0.01


def test_trl_adapter_parses_and_scores():
    sol = [[0.4, 0.4, 0.6, 0.6]] * 4
    comps = ["I click (0.5, 0.5)", [{"role": "assistant", "content": "box: [0.4, 0.4, 0.6, 0.6]"}], "no idea", "(0.6,0.5)"]
    scores = trl_reward(comps, solution=sol)
    assert scores[0] == pytest.approx(1.0) and scores[1] == pytest.approx(2.0) and scores[2] == 0.0
    assert scores[3] == pytest.approx(math.exp(-0.5))
    assert parse_prediction("[1, 2, 3, 4] then (5, 6)").tolist() == [1, 2, 3, 4]


def test_trl_adapter_columns_chat_and_text_solutions():
    chat = [[{"role": "assistant", "content": [{"type": "text", "text": "I pick (15, 25)"}]}],
            [{"role": "user", "content": "where?"}, {"role": "assistant", "content": "[10,20,20,30]"}],
            ["not a chat message"]]
    bbox = [[10, 20, 20, 30], "[10, 20, 20, 30]", [[0, 0, 1, 1], [10, 20, 20, 30]]]
    scores = trl_reward(completions=chat, prompts=["p"] * 3, bbox=bbox)
    assert scores == pytest.approx([1.0, 2.0, 0.0])
    assert trl_reward(["[0.5, 0.5, 0.4, 0.6]"], solution=[[0.4, 0.4, 0.6, 0.6]]) == [0.0]  # degenerate prediction
    with pytest.raises(KeyError, match="solution"):
        trl_reward(["(1, 2)"], answer=[[0, 0, 1, 1]])


@pytest.mark.parametrize("solution, needle", [
    ([[0.6, 0.6, 0.4, 0.4]], r"solution\[0\] must have x2 > x1 and y2 > y1 .*\[0.6, 0.6, 0.4, 0.4\]"),  # inverted
    ([[math.nan, 0.4, 0.6, 0.6]], r"solution\[0\] must be finite, got \[\[nan, 0.4, 0.6, 0.6\]\]"),
    (["[0.4, 0.4, 0.4, 0.6]"], r"solution\[0\] must have x2 > x1"),                                 # zero width, as text
    ([[[0.1, 0.1, 0.2, 0.2], [0.5, 0.5, 0.5, 0.5]]], r"solution\[0\] .*\[0.5, 0.5, 0.5, 0.5\]"),       # one bad of two
    ([[0.1, 0.2, 0.3]], r"solution\[0\] must be a box"),
])
def test_trl_bad_dataset_box_raises_naming_it(solution, needle):
    """A bad dataset box is the dataset's error: it raises whatever the completion says."""
    for completion in ("(0.5, 0.5)", "no idea"):
        with pytest.raises(ValueError, match=needle):
            trl_reward([completion], solution=solution)


def test_trl_bad_width_raises_and_bad_completion_scores_zero():
    with pytest.raises(ValueError, match=r"width\[0\] and height\[0\] must be finite and > 0"):
        trl_reward(["(5, 5)"], solution=[[0, 0, 10, 10]], width=[0], height=[10])
    assert trl_reward(["[0.6, 0.6, 0.4, 0.4]", "nan"], solution=[[0.4, 0.4, 0.6, 0.6]] * 2) == [0.0, 0.0]
