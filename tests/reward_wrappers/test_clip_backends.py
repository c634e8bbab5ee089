"""CLIP reward backends: the transformers backend with a tiny random CLIPModel saved here, the
bundled-model hook, and one model per process."""
import functools

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from rewardgym.reward_wrappers import clip_models
from rewardgym.agents.vec_reward import wrap_vec_env
from rewardgym.reward_wrappers.clip import CLIPReward

torch = pytest.importorskip("torch")

SIZE = 32
WORDS = ["[UNK]", "[PAD]", "a", "pole", "cart", "upright", "on", "top", "of", "and", "</s>"]


class Noise(gym.Env):
    """Random SIZE x SIZE frames (the model's own resolution: no resize in preprocessing)."""

    metadata = {"render_modes": ["rgb_array"]}
    render_mode = "rgb_array"

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.action_space = spaces.Discrete(2)
        self.observation_space = spaces.Box(0, 1, (1,), np.float32)

    def reset(self, *, seed=None, options=None):
        return np.zeros(1, np.float32), {}

    def step(self, action):
        self.frame = self.rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
        return np.zeros(1, np.float32), 0.0, False, False, {}

    def render(self):
        return self.frame


@pytest.fixture(scope="module")
def tiny_hf_clip(tmp_path_factory):
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers

    folder = tmp_path_factory.mktemp("hf_clip")
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    transformers.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]").save_pretrained(folder)
    cfg = transformers.CLIPConfig(
        text_config=dict(vocab_size=len(WORDS), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, max_position_embeddings=16, eos_token_id=2, bos_token_id=0,
                         pad_token_id=1),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                           image_size=SIZE, patch_size=16),
        projection_dim=16)
    torch.manual_seed(0)
    model = transformers.CLIPModel(cfg).eval()
    model.save_pretrained(folder)
    return str(folder), model, transformers.AutoTokenizer.from_pretrained(folder)


def test_transformers_backend_batched_rewards_equal_an_independent_computation(tiny_hf_clip):
    from stable_baselines3.common.vec_env import DummyVecEnv

    path, model, tok = tiny_hf_clip
    goal, base = ["a pole upright on top of a cart", "pole upright"], ["a pole and a cart"]
    factory = CLIPReward(goal_prompts=goal, baseline_prompts=base, alpha=0.7,
                         model=path, backend="transformers", device="cpu", dtype="float32")
    venv = wrap_vec_env(DummyVecEnv([functools.partial(lambda i: factory(Noise(i)), i) for i in range(3)]), factory)
    venv.reset()
    _, rewards, _, infos = venv.step(np.zeros(3, dtype=int))
    assert venv.batcher.calls == 1 and venv.batcher.scorer.calls == 1
    # independent: CLIPModel forward on the same frames, CLIP's mean/std, VLM-RM by hand
    frames = np.stack([e.render() for e in venv.venv.envs])
    mean = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
    std = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)
    pixels = (torch.tensor(frames).permute(0, 3, 1, 2).float() / 255 - mean) / std
    with torch.no_grad():
        enc = tok(goal + base, padding=True, return_tensors="pt")
        out = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], pixel_values=pixels)
    x, t = out.image_embeds.numpy(), out.text_embeds.numpy()  # both already L2-normalised by CLIPModel
    g, b = t[:2].mean(0), t[2:].mean(0)
    d = (g - b) / np.linalg.norm(g - b)
    y = 0.7 * np.outer((x - g) @ d, d) + 0.3 * (x - g)
    np.testing.assert_allclose(rewards, 1 - 0.5 * (y**2).sum(1), rtol=1e-4, atol=1e-5)
    assert [info["shaped_clip"] for info in infos] == pytest.approx(rewards.tolist(), abs=1e-6)


def test_model_loaded_once_per_process(tiny_hf_clip):
    path = tiny_hf_clip[0]
    a = clip_models.load_clip(path, None, "transformers", "cpu", "float32")
    assert clip_models.load_clip(path, None, "transformers", "cpu", "float32") is a


def test_transformers_backend_missing_directory_says_how(tmp_path):
    with pytest.raises(FileNotFoundError, match="No weights are downloaded"):
        clip_models.load_clip(str(tmp_path / "nope"), None, "transformers", "cpu", "float32")
    with pytest.raises(FileNotFoundError, match="model.safetensors"):
        clip_models.load_clip(str(tmp_path), None, "transformers", "cpu", "float32")


def test_bundled_checkpoint_not_installed_is_one_clear_error(tmp_path, monkeypatch):
    pytest.importorskip("open_clip")
    (tmp_path / f"{clip_models.BUNDLED_MODEL_NAME}.json").write_text(
        '{"embed_dim": 16, "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, '
        '"patch_size": 16}, "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 16, "heads": 2, '
        '"layers": 1}}')
    monkeypatch.setattr(clip_models, "bundled_dir", lambda: tmp_path)
    clip_models.load_clip.cache_clear()
    with pytest.raises(FileNotFoundError, match="bundled CLIP checkpoint is not installed yet"):
        clip_models.load_clip(None, None, "open_clip", "cpu", "float32")
    monkeypatch.setattr(clip_models, "bundled_dir", lambda: tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="bundled CLIP model is not installed"):
        clip_models.load_clip(None, None, "open_clip", "cpu", "float32")
    clip_models.load_clip.cache_clear()


def test_cpu_bfloat16_is_autocast_over_float32_weights_and_close_to_float32(tiny_hf_clip):
    """dtype=bfloat16 on a CPU keeps float32 weights and multiplies in bfloat16 (autocast): the
    embeddings come back float32 and within bfloat16's precision of the float32 ones."""
    path = tiny_hf_clip[0]
    full = clip_models.load_clip(path, None, "transformers", "cpu", "float32")
    half = clip_models.load_clip(path, None, "transformers", "cpu", "bfloat16")
    assert half.autocast and not full.autocast
    assert all(p.dtype == torch.float32 for p in half.model.parameters())
    frames = list(np.random.default_rng(0).integers(0, 256, (6, SIZE, SIZE, 3), dtype=np.uint8))
    a, b = full.encode_images(frames), half.encode_images(frames)
    assert b.dtype == torch.float32
    cos = torch.nn.functional.cosine_similarity(a, b)
    assert cos.min() > 0.99, cos
    assert not torch.equal(a, b)  # bfloat16 products really ran


def test_auto_dtype_on_cpu_follows_native_bfloat16(monkeypatch):
    monkeypatch.setenv("REWARDGYM_CPU_BF16", "0")
    assert clip_models._resolve_device_dtype("cpu", "auto") == ("cpu", torch.float32)
    monkeypatch.setenv("REWARDGYM_CPU_BF16", "1")
    expected = torch.bfloat16 if clip_models.cpu_has_native_bfloat16() else torch.float32
    assert clip_models._resolve_device_dtype("cpu", "auto") == ("cpu", expected)
