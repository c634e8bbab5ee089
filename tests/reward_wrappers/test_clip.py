import gymnasium as gym
import numpy as np
import pytest

from rewardgym.reward_wrappers.clip import CLIPReward, vlmrm_reward

rng = np.random.default_rng(0)


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def test_alpha0_is_affine_in_cosine():
    x, goal, base = rng.normal(size=(6, 8)), rng.normal(size=(3, 8)), rng.normal(size=(2, 8))
    g = _unit(goal).mean(0)
    expected = 0.5 - 0.5 * g @ g + _unit(x) @ g  # 1 - |x - g|^2 / 2 with |x| = 1
    np.testing.assert_allclose(vlmrm_reward(x, goal, base, alpha=0.0), expected, atol=1e-12)
    # one goal prompt: exactly 1 - (1 - cos)... i.e. R = cos(x, goal)
    np.testing.assert_allclose(vlmrm_reward(x, goal[:1], base, 0.0), _unit(x) @ _unit(goal[:1])[0], atol=1e-12)


def test_alpha1_ignores_directions_orthogonal_to_d():
    goal, base = rng.normal(size=(2, 5)), rng.normal(size=(2, 5))
    g, b = _unit(goal).mean(0), _unit(base).mean(0)
    d = (g - b) / np.linalg.norm(g - b)
    x = _unit(rng.normal(size=(1, 5)))
    ortho = rng.normal(size=5)
    ortho -= (ortho @ d) * d
    x2 = x + 0.3 * ortho  # changes x off the d axis; after normalisation compare the projections
    r1, r2 = vlmrm_reward(x, goal, base, 1.0), vlmrm_reward(x2, goal, base, 1.0)
    # independent computation: R = 1 - ((x/|x| - g) . d)^2 / 2
    for xx, r in ((x, r1), (x2, r2)):
        expected = 1 - 0.5 * ((_unit(xx) - g) @ d) ** 2
        np.testing.assert_allclose(r, expected, atol=1e-12)


def test_torch_matches_numpy():
    torch = pytest.importorskip("torch")
    x, goal, base = rng.normal(size=(4, 8)), rng.normal(size=(2, 8)), rng.normal(size=(2, 8))
    for alpha in (0.0, 0.5, 1.0):
        t = vlmrm_reward(*(torch.tensor(a) for a in (x, goal, base)), alpha=alpha)
        np.testing.assert_allclose(t.numpy(), vlmrm_reward(x, goal, base, alpha), atol=1e-10)


def test_bad_alpha_and_prompts():
    with pytest.raises(ValueError, match="alpha"):
        vlmrm_reward(np.ones((1, 2)), np.ones((1, 2)), np.ones((1, 2)), alpha=1.5)
    env = gym.make("CartPole-v1", render_mode="rgb_array")
    with pytest.raises(ValueError, match="goal_prompts must be a non-empty list"):
        CLIPReward(goal_prompts="a string, not a list").make_scorer()
    with pytest.raises(ValueError, match="baseline_prompts"):
        CLIPReward(goal_prompts=["x"], alpha=0.5).make_scorer(lambda name: getattr(env.unwrapped, name))
    with pytest.raises(ValueError, match="reward_every must be an integer >= 1, got 0"):
        CLIPReward(goal_prompts=["x"], reward_every=0)(env)
    with pytest.raises(ValueError, match="needs render_mode='rgb_array'"):
        CLIPReward(goal_prompts=["x"])(gym.make("CartPole-v1"))
    with pytest.raises(ValueError, match="goal_prompts is not set and the env has no attribute 'goal_prompts'"):
        CLIPReward().make_scorer(lambda name: getattr(env.unwrapped, name))


def test_missing_weights_error_says_how(tiny_clip):
    from rewardgym.reward_wrappers.clip_models import load_clip

    with pytest.raises(FileNotFoundError, match="No weights are downloaded"):
        load_clip(tiny_clip[0], "/nonexistent/weights.pt", "open_clip", "cpu", "float32")


def test_one_model_call_per_vector_step_and_equal_to_one_by_one(tiny_clip):
    from stable_baselines3.common.vec_env import DummyVecEnv

    from rewardgym.agents.vec_reward import wrap_vec_env

    name, ckpt = tiny_clip
    reward = CLIPReward(goal_prompts=["pole vertically upright on top of a cart"],
                        baseline_prompts=["pole and cart"], alpha=0.5, model=name, pretrained=ckpt, device="cpu")
    venv = DummyVecEnv([lambda: reward(gym.make("CartPole-v1", render_mode="rgb_array")) for _ in range(4)])
    venv = wrap_vec_env(venv, reward)
    venv.seed(0)
    venv.reset()
    scorer = venv.batcher.scorer
    calls0 = scorer.calls
    for step in range(5):
        _, rewards, dones, infos = venv.step(np.array([venv.action_space.sample() for _ in range(4)]))
        assert scorer.calls - calls0 == step + 1, "exactly one batched model call per vector step"
    assert not dones.any(), "CartPole cannot fall within 5 steps: the frames below are the scored ones"
    # the same frames scored one by one give the same rewards
    one_by_one = np.concatenate([scorer.score_frames([e.render()]) for e in venv.venv.envs])
    np.testing.assert_allclose(rewards, one_by_one, rtol=1e-4, atol=1e-5)
    assert np.ptp(rewards) > 0, "different frames should not all score the same"
    assert all("env_reward" in info and "shaped_clip" in info for info in infos)


def test_prompts_default_to_the_task_facts_on_the_env(tiny_clip):
    pytest.importorskip("mujoco")
    name, ckpt = tiny_clip
    env = gym.make("rewardgym/HumanoidPose-v0", task="kneel", render_mode="rgb_array", width=64, height=64)
    scorer = CLIPReward(model=name, pretrained=ckpt, device="cpu").make_scorer(lambda n: getattr(env.unwrapped, n))
    explicit = CLIPReward(goal_prompts=list(env.unwrapped.goal_prompts),
                          baseline_prompts=list(env.unwrapped.baseline_prompts),
                          model=name, pretrained=ckpt, device="cpu").make_scorer()
    np.testing.assert_allclose(scorer.goal.numpy(), explicit.goal.numpy())
    np.testing.assert_allclose(scorer.baseline.numpy(), explicit.baseline.numpy())
    env.close()


def test_preprocess_is_centre_crop_then_resize_within_a_few_levels():
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    from rewardgym.reward_wrappers.clip_models import ClipEncoder

    enc = ClipEncoder(None, None, 24, [0.4, 0.5, 0.6], [0.2, 0.25, 0.3], "cpu", torch.float32, "open_clip")
    frames = [rng.integers(0, 256, (40, 70, 3), dtype=np.uint8) for _ in range(3)]
    frames[1] = frames[1][::-1]  # a flipped render (negative strides) is fine too
    x = enc.preprocess(frames)
    ref = torch.tensor(np.stack(frames)[:, :, 15:55].astype(np.float32)).permute(0, 3, 1, 2)
    ref = F.interpolate(ref, size=(24, 24), mode="bicubic", antialias=True).clamp(0, 255) / 255
    ref = (ref - torch.tensor([0.4, 0.5, 0.6]).view(1, 3, 1, 1)) / torch.tensor([0.2, 0.25, 0.3]).view(1, 3, 1, 1)
    err = (x - ref).abs() * torch.tensor([0.2, 0.25, 0.3]).view(1, 3, 1, 1) * 255  # in 1/255 levels
    # uint8 resizing rounds (and clamps overshoot) between its two separable passes
    assert x.shape == (3, 3, 24, 24) and err.max() <= 6.0 and err.mean() <= 0.6


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(st.integers(0, 2**31 - 1), st.integers(2, 12), st.floats(0.0, 1.0))
@settings(max_examples=40, deadline=None)
def test_vlmrm_matches_the_projection_formula_by_hand(seed, dim, alpha):
    r = np.random.default_rng(seed)
    x, goal, base = r.normal(size=(5, dim)), r.normal(size=(3, dim)), r.normal(size=(2, dim))
    g = np.mean([v / np.sqrt(v @ v) for v in goal], axis=0)
    b = np.mean([v / np.sqrt(v @ v) for v in base], axis=0)
    d = g - b
    expected = []
    for v in x:
        e = v / np.sqrt(v @ v) - g
        along = (e @ d) / (d @ d) * d  # component of x - g along d
        y = alpha * along + (1 - alpha) * e  # (x - g) P with P symmetric
        expected.append(1 - 0.5 * y @ y)
    got = vlmrm_reward(x, goal, base, alpha)
    np.testing.assert_allclose(got, expected, atol=1e-10)
    assert np.all(got <= 1 + 1e-12), "R = 1 - |.|^2 / 2 can never exceed 1"


def test_model_may_be_a_local_open_clip_config_json(tiny_clip, tmp_path):
    from rewardgym.reward_wrappers.clip_models import load_clip

    name, ckpt = tiny_clip
    cfg = tmp_path / "rg-tiny-json.json"
    cfg.write_text((__import__("pathlib").Path(ckpt).with_suffix(".json")).read_text())
    enc = load_clip(str(cfg), ckpt, "open_clip", "cpu", "float32")
    assert enc.encode_images([np.zeros((40, 50, 3), np.uint8)]).shape == (1, 32)
    with pytest.raises(FileNotFoundError, match="config not found"):
        load_clip(str(tmp_path / "missing.json"), ckpt, "open_clip", "cpu", "float32")


def test_scored_frames_render_at_the_model_input_size():
    pytest.importorskip("mujoco")
    from rewardgym.reward_wrappers.batched import pop_request
    from rewardgym.reward_wrappers.clip_models import input_size

    assert input_size(None) == 64, "the default bundled model's input, read from its config alone"
    assert input_size("rewardgym-clip-small") == 96
    reward = CLIPReward(goal_prompts=["x"], frame_size="auto", frame_antialias=False)
    assert reward.wrapper_kwargs["frame_size"] == 64
    env = reward(gym.make("rewardgym/HumanoidPose-v0", task="kneel"))  # no render_mode needed: render_frame
    env.reset(seed=0)
    frame = pop_request(env.step(env.action_space.sample())[-1]).input
    assert frame.shape == (64, 64, 3) and frame.dtype == np.uint8 and frame.std() > 0
    # a Gymnasium env has no render_frame: its own render() is scored (and resized by the scorer)
    cart = CLIPReward(goal_prompts=["x"], frame_size=32)(gym.make("CartPole-v1", render_mode="rgb_array"))
    cart.reset(seed=0)
    assert pop_request(cart.step(0)[-1]).input.shape == (400, 600, 3)
    with pytest.raises(ValueError, match="frame_size must be an integer >= 8 pixels or None, got 4"):
        CLIPReward(goal_prompts=["x"], frame_size=4)(gym.make("CartPole-v1", render_mode="rgb_array"))
    with pytest.raises(ValueError, match="cannot read the input size of CLIP model '/nope' .*reward.frame_size="):
        CLIPReward(goal_prompts=["x"], model="/nope", backend="transformers", frame_size="auto")
    env.close()


def test_frame_slices_tessellate_the_scored_frames_only():
    """frame_slices=16 draws the reward's frames with coarser round geoms on a renderer of their
    own: close to MuJoCo's 28 (mean pixel difference well under 1 level of 255), and the model's
    own quality settings, used by the observation and render(), are left as they were."""
    pytest.importorskip("mujoco")
    from rewardgym.reward_wrappers.batched import pop_request

    frames = {}
    for slices in (None, 16):
        env = CLIPReward(goal_prompts=["x"], frame_size=96, frame_antialias=False, frame_slices=slices)(
            gym.make("rewardgym/HumanoidPose-v0", task="kneel"))
        env.reset(seed=0)
        frames[slices] = pop_request(env.step(np.zeros(17))[-1]).input
        quality = env.unwrapped.model.vis.quality
        assert (quality.numslices, quality.numstacks) == (28, 16)
        env.close()
    diff = np.abs(frames[None].astype(int) - frames[16].astype(int))
    assert 0 < diff.mean() < 1.0, diff.mean()
    for bad in (2, 4.5, True):
        with pytest.raises(ValueError, match=f"frame_slices must be an integer >= 3 or None, got {bad!r}"):
            CLIPReward(goal_prompts=["x"], frame_size=96, frame_slices=bad)(gym.make("rewardgym/HumanoidPose-v0"))


def test_contrast_reward_is_the_goal_softmax_probability_by_hand():
    import torch

    from rewardgym.reward_wrappers.clip import contrast_reward

    img, goal, other = rng.normal(size=(5, 8)), rng.normal(size=(2, 8)), rng.normal(size=(3, 8))
    g = _unit(_unit(goal).mean(0))
    logits = 7.0 * _unit(img) @ np.vstack([g, _unit(other)]).T
    expected = np.exp(logits[:, 0]) / np.exp(logits).sum(1)
    got = contrast_reward(*(torch.as_tensor(a, dtype=torch.float64) for a in (img, goal, other)), 7.0).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    # a frame on another class's direction scores low though its cosine with the goal is high
    near_both = torch.as_tensor(np.vstack([g + 0.01 * _unit(other[0]), 0.3 * g + _unit(other[0])]))
    r = contrast_reward(near_both, torch.as_tensor(goal), torch.as_tensor(other), 50.0).numpy()
    assert r[0] > 0.5 > r[1]


def test_contrast_prompts_come_from_the_pose_env_and_bad_values_are_named(tiny_clip):
    pytest.importorskip("mujoco")
    name, ckpt = tiny_clip
    env = gym.make("rewardgym/HumanoidPose-v0", task="sit", render_mode="rgb_array", width=64, height=64)
    attr = lambda n: getattr(env.unwrapped, n)  # noqa: E731
    others = env.unwrapped.contrast_prompts
    assert len(others) == 7 and "a humanoid robot sitting on the floor" not in others \
        and "a humanoid robot seated down, meditating, in the lotus position" in others
    scorer = CLIPReward(model=name, pretrained=ckpt, device="cpu", alpha=0, contrast=True).make_scorer(attr)
    assert scorer.contrast.shape[0] == 7 and scorer.contrast_scale == pytest.approx(scorer.encoder.logit_scale)
    env.reset(seed=0)
    r = scorer.score_frames([env.render(), env.render()])
    assert np.all((r > 0) & (r < 1)) and r[0] == pytest.approx(r[1])
    off = CLIPReward(model=name, pretrained=ckpt, device="cpu", alpha=0).make_scorer(attr)
    assert off.contrast is None, "the env's contrast prompts are used only with contrast=true"
    for kwargs, needle in [({"contrast": True, "alpha": 0.5}, "alpha must be 0, got 0.5"),
                           ({"contrast": "yes", "alpha": 0}, "contrast must be true or false, got 'yes'"),
                           ({"contrast": True, "alpha": 0, "contrast_scale": -1}, "contrast_scale must be a number"),
                           ({"contrast": True, "alpha": 0, "contrast_prompts": []}, "contrast=true needs contrast_prompts")]:
        with pytest.raises(ValueError, match=needle):
            CLIPReward(model=name, pretrained=ckpt, device="cpu", **kwargs).make_scorer(attr)
    cart = gym.make("CartPole-v1", render_mode="rgb_array")
    with pytest.raises(ValueError, match="the env has none"):
        CLIPReward(goal_prompts=["x"], model=name, pretrained=ckpt, device="cpu", alpha=0, contrast=True) \
            .make_scorer(lambda n: getattr(cart.unwrapped, n))
    env.close()
