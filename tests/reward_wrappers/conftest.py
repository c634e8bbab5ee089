import json

import pytest

TINY = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory):
    """A tiny random open_clip model built here: (model name, local checkpoint path)."""
    torch = pytest.importorskip("torch")
    import open_clip

    from rewardgym.reward_wrappers.clip_models import register_config

    folder = tmp_path_factory.mktemp("tiny_clip")
    (folder / "rg-tiny-test.json").write_text(json.dumps(TINY))
    register_config(folder / "rg-tiny-test.json")
    torch.manual_seed(0)
    model = open_clip.create_model("rg-tiny-test")
    ckpt = folder / "rg-tiny-test.pt"
    torch.save(model.state_dict(), ckpt)
    return "rg-tiny-test", str(ckpt)
