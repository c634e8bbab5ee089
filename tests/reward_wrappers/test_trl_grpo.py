"""TRL's GRPOTrainer trains a vision-language model on recorded grounding rows with ``trl_reward``.

The model is a tiny random Qwen2.5-VL built from configs here (``benchmarks/tiny_vlm.py``: no
weights, no hub), saved to a folder and loaded back by ``benchmarks/grpo_grounding.py``, whose
``prepare``/``run`` build the rows (``grpo_rows``), the reward and the ``GRPOTrainer``. The
tiny tokenizer has one token per point of a 10x10 grid, so sampled completions often hold a
point that parses: the rewards are real ``trl_reward`` scores, mostly small (a random point
is rarely on the target), and they differ within a GRPO group. The model learns nothing
useful in 3 steps; the test shows the plumbing: the rows' boxes reach the reward, its scores
reach the trainer's logs, and the weights move because of them (a constant reward leaves
them unchanged).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
pytest.importorskip("trl")
pytest.importorskip("torch")

from rewardgym.envs.gui.dataset import load_split  # noqa: E402
from rewardgym.reward_wrappers.gaussian import completion_text, trl_reward  # noqa: E402

ROOT = Path(__file__).parents[2]
SAMPLE = ROOT / "assets" / "gui" / "sample"   # made by rewardgym-record-grounding (assets/gui/README.md)
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


@pytest.fixture(scope="module")
def grpo(benchmark_script):
    return benchmark_script("grpo_grounding")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, benchmark_script):
    """The folder of a tiny random Qwen2.5-VL and its processor."""
    return benchmark_script("tiny_vlm").save(tmp_path_factory.mktemp("tiny_vlm"), seed=0)


class Recorded:
    """A reward function that records each call's completions, columns and scores."""

    def __init__(self, reward):
        self.reward, self.calls = reward, []
        self.__name__ = reward.__name__

    def __call__(self, completions, **kwargs):
        scores = self.reward(completions, **kwargs)
        self.calls.append({"completions": completions, "scores": scores, **kwargs})
        return scores


def _args(grpo, model, out, *extra):
    return grpo.parse_args(["--model", str(model), "--dataset", str(SAMPLE), "--out", str(out), "--batch-size", "4",
                            "--num-generations", "4", "--max-completion-length", "3", "--learning-rate", "0.01",
                            "--no-gradient-checkpointing", *extra])


def test_grpo_trainer_scores_recorded_rows_with_trl_reward(grpo, tiny_model, tmp_path):
    args = _args(grpo, tiny_model, tmp_path / "run", "--max-steps", "3", "--eval-rows", "4")
    ready = grpo.prepare(args)
    ready["reward"] = reward = Recorded(ready["reward"])
    summary = grpo.run(args, ready)

    # the reward ran on the 4 held-out rows' greedy answers, once a training step on 4 completions (one
    # prompt x 4 generations, TRL passing its trainer_state and the row's columns), then on the held-out rows
    assert ["trainer_state" in call for call in reward.calls] == [False, True, True, True, False]
    assert [np.mean(reward.calls[i]["scores"]) for i in (0, -1)] == \
        pytest.approx([summary["eval_before"]["mean_reward"], summary["eval_after"]["mean_reward"]])
    reward.calls = reward.calls[1:-1]
    source = load_split(SAMPLE, "train").remove_columns("image")
    rows = {(r["task"], r["seed"]): r for r in source}
    for call in reward.calls:
        assert len(call["completions"]) == 4 and len(set(call["seed"])) == 1
        for prompt, task, seed, boxes in zip(call["prompts"], call["task"], call["seed"], call["target_boxes"]):
            assert boxes == rows[(task, seed)]["target_boxes"]
            assert rows[(task, seed)]["instruction"] in completion_text(prompt)
        # its scores are trl_reward's on those completions and boxes, recomputed here
        assert call["scores"] == trl_reward(call["completions"], target_boxes=call["target_boxes"])

    # the scores reach the trainer: each logged step's reward mean is the mean of that step's scores
    name = f"rewards/{reward.__name__}/mean"
    assert [step[name] for step in summary["log"]] == pytest.approx([np.mean(c["scores"]) for c in reward.calls])
    assert [step["reward"] for step in summary["log"]] == [step[name] for step in summary["log"]]

    # not all zeros: completions parse, some score > 0, and some group's scores differ (a GRPO signal)
    scores = [s for c in reward.calls for s in c["scores"]]
    texts = [completion_text(x) for c in reward.calls for x in c["completions"]]
    assert sum("(0." in t for t in texts) >= 6 and sum(s > 0 for s in scores) >= 6
    assert any(len(set(c["scores"])) > 1 for c in reward.calls)
    assert all(0.0 <= s <= 2.0 for s in scores)

    # the weights moved, the vision tower's and the language model's
    moved = summary["weights"]
    assert moved["changed_tensors"] == moved["trainable_tensors"] > 20 and moved["max_abs_change"] > 1e-4
    for when in ("eval_before", "eval_after"):
        assert summary[when]["rows"] == 4 and 0 <= summary[when]["hit_rate"] <= 1
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["log"] == summary["log"]


def test_a_constant_reward_leaves_the_weights_unchanged(grpo, tiny_model, tmp_path):
    """The control: GRPO's advantages are rewards relative to the group, so equal rewards move nothing."""
    args = _args(grpo, tiny_model, tmp_path / "run", "--max-steps", "2", "--eval-rows", "0")
    ready = grpo.prepare(args)

    def constant(completions, **kwargs):
        return [0.5] * len(completions)

    ready["reward"] = constant
    summary = grpo.run(args, ready)
    assert [step["rewards/constant/mean"] for step in summary["log"]] == [0.5, 0.5]
    assert summary["weights"]["changed_tensors"] == 0 and summary["weights"]["max_abs_change"] == 0.0


@pytest.mark.parametrize("argv, needle", [
    (["--max-steps", "0"], "--max-steps must be >= 1, got 0"),
    (["--batch-size", "6", "--num-generations", "4"], "--batch-size (6) must be a multiple of --num-generations (4)"),
    (["--pixel-size", "auto"], "--pixel-size is for --frame pixel; got --frame fraction"),
    (["--frame", "pixel", "--pixel-size", "168by224"], "--pixel-size must be WxH (e.g. 168x224) or auto, got '168by224'"),
    (["--frame", "percent"], "argument --frame: invalid choice: 'percent'"),
])
def test_script_rejects_bad_arguments(grpo, argv, needle, capsys):
    with pytest.raises(SystemExit) as stop:
        grpo.parse_args(["--model", "m", "--dataset", str(SAMPLE), "--out", "o", *argv])
    assert stop.value.code == 2 and needle in capsys.readouterr().err


def test_script_names_a_missing_dataset_or_model(grpo, tmp_path, capsys):
    assert grpo.main(["--model", "m", "--dataset", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"--dataset {str(tmp_path / 'nope')!r} does not exist" in err
    assert grpo.main(["--model", str(tmp_path / "no-model"), "--dataset", str(SAMPLE), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "cannot load the model" in err and "no-model" in err


@pytest.mark.slow
def test_recorder_to_grpo_script_end_to_end(tmp_path):
    """rewardgym-record-grounding (Chromium) -> tiny_vlm.py -> grpo_grounding.py, as the docs run them."""
    data, model, out = tmp_path / "data", tmp_path / "tiny", tmp_path / "run"
    record = subprocess.run([str(Path(sys.executable).parent / "rewardgym-record-grounding"), "--out", str(data),
                             "--tasks", "click-button", "--train-seeds", "0:4", "--test-seeds", "100:102",
                             "--processes", "1", "--quiet"], capture_output=True, text=True, timeout=300, env=ENV)
    assert record.returncode == 0, record.stderr[-3000:]
    built = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "tiny_vlm.py"), "--out", str(model)],
                           capture_output=True, text=True, timeout=300, env=ENV)
    assert built.returncode == 0, built.stderr[-3000:]
    cmd = [sys.executable, str(ROOT / "benchmarks" / "grpo_grounding.py"), "--model", str(model), "--dataset",
           str(data), "--out", str(out), "--max-steps", "2", "--batch-size", "4", "--num-generations", "4",
           "--max-completion-length", "3", "--learning-rate", "0.01", "--eval-rows", "2", "--save"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=ENV)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "[grpo_grounding] 2 steps" in run.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["rows"] == 4 and summary["frame"] == "fraction" and summary["device"] == "cpu"
    assert len(summary["log"]) == 2 and all("rewards/gaussian_grounding_reward/mean" in s for s in summary["log"])
    assert summary["weights"]["changed_tensors"] > 0 and summary["eval_after"]["rows"] == 2
    from transformers import AutoModelForImageTextToText

    saved = AutoModelForImageTextToText.from_pretrained(out / "model")
    assert type(saved).__name__ == "Qwen2_5_VLForConditionalGeneration"


def test_pixel_frame_auto_size_is_what_the_processor_feeds_the_model(grpo, tiny_model, tmp_path):
    from transformers.models.qwen2_vl.image_processing_qwen2_vl import smart_resize

    args = _args(grpo, tiny_model, tmp_path, "--frame", "pixel", "--pixel-size", "auto", "--limit", "3")
    ready = grpo.prepare(args)
    # the 160x210 screenshot as the tiny processor resizes it (4 to 16 patches of 28x28)
    height, width = smart_resize(210, 160, factor=28, min_pixels=28 * 28 * 4, max_pixels=28 * 28 * 16)
    assert ready["pixel_size"] == (width, height) == (84, 112)
    rows, source = ready["rows"], load_split(SAMPLE, "train").select(range(3))
    assert len(rows) == 3 and rows["width"] == [84] * 3 and rows["height"] == [112] * 3
    for got, boxes in zip(rows["target_boxes_px"], source["target_boxes"]):
        assert np.allclose(got, np.asarray(boxes) * [84, 112, 84, 112])
    assert "pixels of the 84x112 screenshot" in rows[0]["prompt"][0]["content"]
    centre = [f"({(b[0] + b[2]) / 2}, {(b[1] + b[3]) / 2})" for b in (r[0] for r in rows["target_boxes_px"])]
    assert ready["reward"](centre, **{c: rows[c] for c in ("target_boxes_px", "width", "height")}) == [1.0] * 3
