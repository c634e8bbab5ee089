"""The bundled-CLIP training pipeline: captions, data, training, evaluation, the shipped model."""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("open_clip")
pytest.importorskip("mujoco")

from rewardgym.clip_training import captions  # noqa: E402

TINY_CONFIG = {"embed_dim": 32,
               "vision_cfg": {"image_size": 32, "layers": 1, "width": 64, "head_width": 32, "patch_size": 8},
               "text_cfg": {"context_length": 32, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1}}


def test_held_out_paraphrases_are_never_trained_on():
    for label in captions.LABELS:
        train, test = captions.train_paraphrases(label), captions.test_paraphrases(label)
        assert len(test) == captions.HELD_OUT and train and not set(train) & set(test)
        # no paraphrase shared between two labels
        for other in captions.LABELS:
            if other != label:
                assert not set(captions.PARAPHRASES[label]) & set(captions.PARAPHRASES[other])


def test_humanoid_captions_read_the_prompts_from_the_task_table():
    """A task's goal prompt is edited in humanoid_tasks.TASKS only: the captions follow it, and
    every env's own prompts are train captions (the CLIP reward's default prompts)."""
    import dataclasses

    import gymnasium as gym

    from rewardgym.envs.mujoco.humanoid_tasks import TASKS

    for name in TASKS:
        base = gym.make("rewardgym/HumanoidPose-v0", task=name).unwrapped
        assert set(base.goal_prompts) <= set(captions.train_paraphrases(name))
        assert set(base.baseline_prompts) <= set(captions.train_paraphrases("other"))
    edited = {**TASKS, "kneel": dataclasses.replace(TASKS["kneel"], goal_prompts=("a robot on its knees, praying",))}
    table = captions.humanoid_paraphrases(edited, baseline=("a robot",))
    assert table["kneel"][0] == "a robot on its knees, praying" and table["other"][0] == "a robot"
    assert table["kneel"][1:] == captions.PARAPHRASES["kneel"][1:] and table["stand"] == captions.PARAPHRASES["stand"]
    assert "pole vertically upright on top of a cart" in captions.train_paraphrases("pole_upright")


def test_labels_come_from_ground_truth():
    assert captions.humanoid_label({"stand": True, "arms_raised": True}) == "arms_raised"
    assert captions.humanoid_label({"stand": True}) == "stand"
    assert captions.humanoid_label({}) == "other"
    assert captions.cartpole_label(0.01) == "pole_upright"
    assert captions.cartpole_label(-0.3) == "pole_tilted"
    assert captions.cartpole_label(0.1) is None
    assert captions.mountaincar_label(-0.5) == "car_valley"
    assert captions.mountaincar_label(-0.85) == "car_left"
    assert captions.mountaincar_label(0.2) == "car_right"


def test_humanoid_frames_are_labelled_by_the_success_tests():
    from rewardgym.clip_training.data import humanoid_frames

    from rewardgym.envs.mujoco.humanoid_tasks import TASKS

    triples = humanoid_frames(6, seed=3, size=48)
    assert len(triples) == 6
    for frame, label, rewards in triples:
        assert frame.shape == (48, 48, 3) and frame.dtype == np.uint8 and frame.std() > 5
        assert label in captions.DOMAIN_LABELS["humanoid"]
        assert set(rewards) == set(TASKS) and all(0.0 <= v <= 1.0 for v in rewards.values())


def test_model_frames_match_the_clip_reward_preprocessing():
    torch = pytest.importorskip("torch")
    from rewardgym.clip_training.data import to_model_frames
    from rewardgym.reward_wrappers.clip_models import ClipEncoder

    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (40, 60, 3), dtype=np.uint8) for _ in range(2)]
    enc = ClipEncoder(None, None, 24, [0.0] * 3, [1.0] * 3, "cpu", torch.float32, "open_clip")
    ours = to_model_frames(frames, 24)
    assert ours.shape == (2, 24, 24, 3) and ours.dtype == np.uint8
    theirs = (enc.preprocess(frames) * 255).permute(0, 2, 3, 1).numpy()
    assert np.abs(ours.astype(float) - theirs).max() <= 1e-3


def test_pipeline_end_to_end_and_loss_drops(tmp_path):
    from rewardgym.clip_training import data, train

    assert data.main(["--out", str(tmp_path / "d"), "--humanoid", "4", "--cartpole", "24", "--mountaincar", "24",
                      "--size", "32", "--test-fraction", "0.5", "--seed", "1"]) == 0
    meta = json.loads((tmp_path / "d" / "meta.json").read_text())
    assert meta["train"]["frames"] == 52 and meta["test"]["seed"] != meta["train"]["seed"]
    split = data.load_split(tmp_path / "d", "train")
    humanoid = split["domains"] == "humanoid"
    pose_cols = [captions.LABELS.index(t) for t in captions.DOMAIN_LABELS["humanoid"] if t != "other"]
    assert np.isfinite(split["rewards"][humanoid][:, pose_cols]).all()
    assert np.isnan(split["rewards"][~humanoid]).all()
    cfg = tmp_path / "tiny-clip.json"
    cfg.write_text(json.dumps(TINY_CONFIG))
    m = train.train(tmp_path / "d", tmp_path / "out", epochs=40, batch_size=16, lr=2e-3, warmup=5, threads=1,
                    max_steps=60, config=cfg, progress=False)
    assert m["steps"] == 60
    h = m["loss_history"]
    assert np.mean(h[-10:]) < 0.9 * np.mean(h[:10]), (h[:10], h[-10:])  # from about log(batch)
    assert (tmp_path / "out" / "loss_curve.png").stat().st_size > 1000
    assert set(m["zero_shot"]["goal_prompt"]) <= set(captions.LABELS)
    # the fp16 checkpoint loads through open_clip's own path
    import open_clip
    import torch

    sd = torch.load(tmp_path / "out" / "tiny-clip.pt")
    assert all(v.dtype == torch.float16 for v in sd.values() if v.is_floating_point())
    model = open_clip.create_model("tiny-clip", pretrained=str(tmp_path / "out" / "tiny-clip.pt"))
    assert model.encode_text(open_clip.get_tokenizer("tiny-clip")(["a cart"])).shape == (1, 32)


def test_graded_targets_rank_frames_by_reward_for_pose_captions():
    torch = pytest.importorskip("torch")
    from rewardgym.clip_training.train import label_aware_clip_loss

    kneel, pole = captions.LABELS.index("kneel"), captions.LABELS.index("pole_upright")
    labels = torch.tensor([kneel, kneel, pole])
    rewards = torch.full((3, len(captions.LABELS)), float("nan"))
    rewards[0, kneel], rewards[1, kneel] = 0.9, 0.2       # frame 0 is nearer the kneeling pose
    scale = torch.tensor(0.0)                              # logit scale exp(0) = 1
    txt = torch.eye(3)
    # two image embeddings: one ranks frame 0 above frame 1 for the kneel captions, one the reverse
    near, far, cart = [1.0, 1.0, 0.0], [0.3, 0.3, 0.9], [0.0, 0.0, 1.0]
    right, wrong = torch.tensor([near, far, cart]), torch.tensor([far, near, cart])
    # label targets cannot tell them apart (both frames are "kneel")...
    assert label_aware_clip_loss(right, txt, labels, scale) == pytest.approx(
        float(label_aware_clip_loss(wrong, txt, labels, scale)), rel=1e-6)
    # ...graded targets prefer the embedding that ranks by reward
    assert label_aware_clip_loss(right, txt, labels, scale, rewards, 5.0) < \
        label_aware_clip_loss(wrong, txt, labels, scale, rewards, 5.0)
    # no rewards for the batch's labels, or beta 0: the label loss exactly
    none = torch.full_like(rewards, float("nan"))
    assert label_aware_clip_loss(right, txt, labels, scale, none, 5.0) == label_aware_clip_loss(right, txt, labels, scale)
    assert label_aware_clip_loss(right, txt, labels, scale, rewards, 0.0) == label_aware_clip_loss(right, txt, labels, scale)


def test_bad_arguments_are_rejected(tmp_path):
    from rewardgym.clip_training import data, train

    with pytest.raises(SystemExit, match="--epochs"):
        train.main(["--data", str(tmp_path), "--out", str(tmp_path / "o"), "--epochs", "0"])
    with pytest.raises(SystemExit, match="--graded-beta must be >= 0, got -1.0"):
        train.main(["--data", str(tmp_path), "--out", str(tmp_path / "o"), "--graded-beta", "-1"])
    with pytest.raises(FileNotFoundError, match="rewardgym-make-clip-data"):
        data.load_split(tmp_path, "train")
    with pytest.raises(SystemExit, match="nothing to render"):
        data.main(["--out", str(tmp_path / "x"), "--humanoid", "0", "--cartpole", "0", "--mountaincar", "0"])
    with pytest.raises(SystemExit, match="--size must be at least 8 pixels, got 4"):
        data.main(["--out", str(tmp_path / "x"), "--size", "4"])


def test_data_size_defaults_to_the_default_bundled_models_input(tmp_path):
    from rewardgym.clip_training import data
    from rewardgym.reward_wrappers.clip_models import input_size

    assert data.main(["--out", str(tmp_path / "d"), "--humanoid", "2", "--cartpole", "0", "--mountaincar", "0",
                      "--split", "train"]) == 0
    size = json.loads((tmp_path / "d" / "meta.json").read_text())["size"]
    assert size == input_size(None) == 64
    with np.load(tmp_path / "d" / "train.npz") as z:
        assert z["images"].shape[1:3] == (size, size)


def _bundled():
    from rewardgym.reward_wrappers.clip_models import bundled_checkpoint_path

    return bundled_checkpoint_path()


@pytest.mark.skipif(not _bundled().exists(), reason="bundled checkpoint not built")
def test_bundled_checkpoint_is_small_and_classifies_fresh_frames():
    """Frames of reference poses from seeds never used in training, classified zero-shot."""
    import gymnasium as gym

    import rewardgym  # noqa: F401
    from rewardgym.envs.mujoco.humanoid_tasks import TASKS
    from rewardgym.reward_wrappers.clip_models import BUNDLED_MODEL_NAME, load_clip

    assert _bundled().stat().st_size <= 25 * 2**20
    enc = load_clip(None, None, "open_clip", "cpu", "float32")  # the CLIP reward's default
    assert enc.image_size == 64 and BUNDLED_MODEL_NAME in str(_bundled())
    names = list(TASKS)
    text = enc.encode_text([TASKS[n].goal_prompts[0] for n in names]).numpy()
    text /= np.linalg.norm(text, axis=1, keepdims=True)
    env = gym.make("rewardgym/HumanoidPose-v0", render_mode="rgb_array")
    frames, want = [], ["lie_down", "stand", "kneel"]
    for i, pose in enumerate(want):
        env.reset(seed=987_654 + i, options={"pose": pose})
        frames.append(env.render())
    env.close()
    img = enc.encode_images(frames).numpy()
    got = [names[j] for j in (img @ text.T).argmax(1)]
    assert got == want


@pytest.fixture(scope="module")
def tiny_humanoid_run(tmp_path_factory):
    """A tiny PPO run on the humanoid pose scene: a policy whose states make hard-negative frames."""
    import subprocess
    import sys

    run_dir = tmp_path_factory.mktemp("hn") / "run"
    out = subprocess.run([sys.executable, "-m", "rewardgym.agents.train", "env=humanoid_arms_raised",
                          "agent.total_timesteps=256", "agent.n_envs=2", "agent.ppo.n_steps=128",
                          "agent.ppo.batch_size=64", "agent.ppo.n_epochs=1", "agent.normalize.obs=true",
                          "eval.episodes=1", "eval.every=100000", f"hydra.run.dir={run_dir}"],
                         cwd=run_dir.parent, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return run_dir


def test_policy_frames_are_a_trained_policys_states_labelled_by_the_tests(tiny_humanoid_run, tmp_path):
    """The hard-negative source: states a run's policy reaches, rendered, labelled by the pose tests (all
    kept, ``other`` included), with every task's dense reward; reproducible from the seed; the folder
    concatenates with the base data through ``load_split``."""
    from rewardgym.clip_training import data
    from rewardgym.envs.mujoco.humanoid_tasks import TASKS

    run = str(tiny_humanoid_run)
    a = data.policy_frames(5, seed=2, runs=(run,), size=40)
    b = data.policy_frames(5, seed=2, runs=(run,), size=40)
    assert len(a) == 5
    for (fa, la, ra), (fb, lb, rb) in zip(a, b):
        assert fa.shape == (40, 40, 3) and fa.std() > 5 and np.array_equal(fa, fb) and la == lb and ra == rb
        assert la in captions.DOMAIN_LABELS["humanoid"] and set(ra) == set(TASKS)
    assert not all(np.array_equal(a[0][0], f) for f, _, _ in a[1:])  # the policy moves the body between samples
    assert data.main(["--out", str(tmp_path / "p"), "--humanoid", "0", "--cartpole", "0", "--mountaincar", "0",
                      "--policy", "6", "--policy-runs", run, "--size", "32", "--test-fraction", "0.5"]) == 0
    meta = json.loads((tmp_path / "p" / "meta.json").read_text())
    assert meta["policy_runs"] == [run] and meta["train"]["frames"] == 6 and meta["test"]["frames"] == 3
    assert data.main(["--out", str(tmp_path / "b"), "--humanoid", "2", "--cartpole", "3", "--mountaincar", "0",
                      "--size", "32", "--test-fraction", "0.5"]) == 0
    both = data.load_split(f"{tmp_path / 'b'},{tmp_path / 'p'}", "train")
    base, pol = data.load_split(tmp_path / "b", "train"), data.load_split(tmp_path / "p", "train")
    assert len(both["labels"]) == 5 + 6 and np.array_equal(both["images"][5:], pol["images"])
    assert np.array_equal(both["labels"][:5], base["labels"]) and (both["domains"][5:] == "humanoid").all()


def test_policy_frames_bad_input(tiny_humanoid_run, tmp_path):
    from rewardgym.clip_training import data

    with pytest.raises(SystemExit, match="--policy N needs --policy-runs"):
        data.main(["--out", str(tmp_path / "x"), "--policy", "4"])
    with pytest.raises(SystemExit, match="not a rewardgym-train run dir"):
        data.main(["--out", str(tmp_path / "x"), "--policy", "4", "--policy-runs", str(tmp_path)])
    pol = tmp_path / "pol"
    assert data.main(["--out", str(pol), "--humanoid", "0", "--cartpole", "0", "--mountaincar", "0", "--policy", "2",
                      "--policy-runs", str(tiny_humanoid_run), "--size", "16", "--split", "train"]) == 0
    np.savez(tmp_path / "train.npz", images=np.zeros((1, 8, 8, 3), np.uint8), labels=np.zeros(1, np.int16))
    with pytest.raises(ValueError, match="does not match"):
        data.load_split(f"{pol},{tmp_path}", "train")
