"""Every bundled CLIP model loads offline through the reward's loader and reads its input size."""
import numpy as np
import pytest


@pytest.mark.parametrize("name, size", [("rewardgym-clip-small-64", 64), ("rewardgym-clip-small", 96),
                                        ("rewardgym-clip-captions", 96)])
def test_bundled_model_loads_offline_and_encodes(name, size):
    pytest.importorskip("open_clip")
    from rewardgym.reward_wrappers.clip_models import bundled_checkpoint_path, input_size, load_clip

    assert bundled_checkpoint_path(name).exists() and input_size(name) == size
    enc = load_clip(name, None, "open_clip", "cpu", "float32")
    text = enc.encode_text(["a humanoid robot kneeling", "a humanoid robot standing"]).float().numpy()
    assert text.shape == (2, 128) and np.linalg.norm(text[0] - text[1]) > 1e-3
