"""The fast CPU bfloat16 copy of an open_clip ViT image tower (reward_wrappers/clip_fast.py)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("open_clip")

from rewardgym.reward_wrappers import clip_fast  # noqa: E402
from rewardgym.reward_wrappers.clip_models import ClipEncoder, load_clip  # noqa: E402

MEAN, STD = (0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)


def _model(tiny_clip):
    import open_clip

    torch.manual_seed(1)
    return open_clip.create_model(tiny_clip[0], pretrained=tiny_clip[1]).eval()


def _float32_embeddings(model, pixels):
    m, s = torch.tensor(MEAN).view(1, 3, 1, 1), torch.tensor(STD).view(1, 3, 1, 1)
    with torch.inference_mode():
        return model.encode_image((pixels.float() / 255.0 - m) / s)


def test_fast_tower_matches_the_models_float32_forward(tiny_clip):
    model = _model(tiny_clip)
    encode = clip_fast.fast_image_tower(model, MEAN, STD, 32)
    assert encode is not None
    pixels = torch.randint(0, 256, (9, 3, 32, 32), generator=torch.Generator().manual_seed(3), dtype=torch.uint8)
    got, want = encode(pixels), _float32_embeddings(model, pixels)
    assert got.dtype == torch.float32 and got.shape == want.shape == (9, 32)
    cosine = torch.nn.functional.cosine_similarity(got, want, dim=-1)
    assert float(cosine.min()) > 0.999
    # a copy: the model's own weights stay float32 and its forward is untouched
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert model.visual.transformer.resblocks[0].attn.forward.__func__ is torch.nn.MultiheadAttention.forward


def test_fast_tower_folds_the_normalisation_into_the_patch_embedding(tiny_clip):
    conv = _model(tiny_clip).visual.conv1
    folded = clip_fast._fold_normalisation(conv, MEAN, STD)
    x = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8).float()
    m, s = torch.tensor(MEAN).view(1, 3, 1, 1), torch.tensor(STD).view(1, 3, 1, 1)
    with torch.no_grad():
        torch.testing.assert_close(folded(x), conv((x / 255.0 - m) / s), rtol=1e-4, atol=1e-4)


def test_fast_tower_is_refused_when_it_does_not_reproduce_the_model(tiny_clip, monkeypatch):
    model = _model(tiny_clip)

    def wrong_attention(self, query, key, value, **kw):  # drops the attention's contribution
        return torch.zeros_like(query), None

    monkeypatch.setattr(clip_fast, "_attention", wrong_attention)
    assert clip_fast.fast_image_tower(model, MEAN, STD, 32) is None


def test_fast_tower_is_not_made_for_towers_it_does_not_know(tiny_clip):
    class NotAViT(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.visual = torch.nn.Linear(3, 3)

    assert clip_fast.fast_image_tower(NotAViT(), MEAN, STD, 32) is None
    model = _model(tiny_clip)
    model.visual.attn_pool = torch.nn.Identity()  # attentional pooling: not this copy's forward
    assert clip_fast.fast_image_tower(model, MEAN, STD, 32) is None


def test_encoder_uses_it_only_for_cpu_bfloat16_and_can_be_switched_off(tiny_clip, monkeypatch):
    model = _model(tiny_clip)
    frames = np.random.default_rng(0).integers(0, 256, (5, 32, 32, 3), dtype=np.uint8)
    args = (model, None, 32, MEAN, STD, "cpu")
    fast = ClipEncoder(*args, torch.bfloat16, "open_clip")
    assert fast.fast_tower is not None
    assert ClipEncoder(*args, torch.float32, "open_clip").fast_tower is None
    monkeypatch.setenv("REWARDGYM_CLIP_FAST", "0")
    slow = ClipEncoder(*args, torch.bfloat16, "open_clip")
    assert slow.fast_tower is None
    cosine = torch.nn.functional.cosine_similarity(fast.encode_images(frames), slow.encode_images(frames), dim=-1)
    assert float(cosine.min()) > 0.999


def test_bundled_model_gets_the_fast_tower_with_float32_embeddings():
    enc = load_clip(dtype="bfloat16")
    assert enc.fast_tower is not None
    frames = np.random.default_rng(1).integers(0, 256, (6, enc.image_size, enc.image_size, 3), dtype=np.uint8)
    with torch.inference_mode():
        want = enc.model.encode_image(enc.preprocess(frames).float())
    cosine = torch.nn.functional.cosine_similarity(enc.encode_images(frames), want, dim=-1)
    assert float(cosine.min()) > 0.999
