"""A faster copy of an open_clip ViT image tower for bfloat16 inference on a CPU.

``ClipEncoder`` runs the image tower under ``torch.autocast("cpu", bfloat16)`` with float32
weights, so every call casts every weight to bfloat16 again, and autocast turns PyTorch's
``nn.MultiheadAttention`` off its fused path: the in-projection becomes a batched matrix product
over a weight copied once per token. Measured on the bundled model (batch 128, one thread,
AVX512-BF16): casts 6%, the in-projection 20%, the fused CPU attention kernel 15% of the time
for 37 tokens, the input normalisation another 8%.

:func:`fast_image_tower` returns a private copy of the tower that removes those costs and
changes nothing else of open_clip's own forward:

* the linear layers' weights (and the output projection) are stored in bfloat16 once;
* each attention runs as one in-projection on the (batch, tokens, width) input, a
  ``softmax(q k^T / sqrt(d)) v`` in bfloat16, one out-projection;
* the input normalisation ``(x - 255 mean) / (255 std)`` is folded into the patch embedding
  (the tower then takes uint8 0..255 pixels, exact in bfloat16).

Layer norms, GELU and softmax still run as autocast runs them. The copy is checked against
the model's own autocast forward on a fixed batch when it is made and is not used unless
the embeddings agree (cosine >= 0.999 on every image); a tower it does not know (another
open_clip tower, a timm trunk, attention masks, attentional pooling) gets ``None`` and the
encoder keeps the model's own forward. The copy snapshots the weights: change the model's
weights afterwards and build a new encoder.
"""
from __future__ import annotations

import copy
import types

CHECK_COSINE = 0.999


def _attention(self, query, key, value, need_weights=False, attn_mask=None, key_padding_mask=None, **kw):
    """``nn.MultiheadAttention.forward`` for self-attention without masks, batch first, in the
    weights' dtype (bfloat16 here): same maths as PyTorch's, without autocast's slow path."""
    import torch
    import torch.nn.functional as F

    if attn_mask is not None or key_padding_mask is not None or not (query is key is value):
        raise NotImplementedError("the fast image tower runs self-attention without masks only")
    n, length, width = query.shape
    heads = self.num_heads
    qkv = F.linear(query.to(self.in_proj_weight.dtype), self.in_proj_weight, self.in_proj_bias)
    q, k, v = qkv.view(n, length, 3, heads, width // heads).permute(2, 0, 3, 1, 4)
    weights = torch.softmax((q * (width // heads) ** -0.5) @ k.transpose(-1, -2), dim=-1)
    out = (weights @ v).transpose(1, 2).reshape(n, length, width)
    return F.linear(out, self.out_proj.weight, self.out_proj.bias), None


def _supported(visual) -> bool:
    import torch

    if type(visual).__name__ != "VisionTransformer" or not isinstance(getattr(visual, "conv1", None), torch.nn.Conv2d):
        return False
    if visual.conv1.bias is not None or getattr(visual, "attn_pool", None) is not None:
        return False
    blocks = getattr(getattr(visual, "transformer", None), "resblocks", None)
    if blocks is None or not getattr(visual.transformer, "batch_first", False):
        return False
    return all(isinstance(getattr(b, "attn", None), torch.nn.MultiheadAttention) and b.attn.batch_first
               and b.attn._qkv_same_embed_dim and b.attn.in_proj_bias is not None for b in blocks)


def _fold_normalisation(conv, mean, std):
    """conv((x - 255 mean) / (255 std)) as conv'(x) + b': a patch embedding that takes 0..255 pixels."""
    import torch

    scale = 1.0 / (255.0 * torch.as_tensor(std, dtype=torch.float32))
    shift = 255.0 * torch.as_tensor(mean, dtype=torch.float32) * scale
    w = conv.weight.detach().float()
    folded = torch.nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                             bias=True)
    with torch.no_grad():
        folded.weight.copy_(w * scale.view(1, -1, 1, 1))
        folded.bias.copy_(-(w * shift.view(1, -1, 1, 1)).sum(dim=(1, 2, 3)))
    return folded


def fast_image_tower(model, mean, std, image_size: int, check_images=None):
    """A callable ``uint8 NCHW tensor -> float32 image embeddings`` for CPU bfloat16 inference,
    or None where the tower is not a plain open_clip ViT or the copy does not reproduce it."""
    import torch

    visual = getattr(model, "visual", None)
    if visual is None or not _supported(visual):
        return None
    tower = copy.deepcopy(visual).eval()
    tower.conv1 = _fold_normalisation(visual.conv1, mean, std)
    for mod in tower.modules():
        if isinstance(mod, torch.nn.Linear):
            mod.to(torch.bfloat16)
        elif isinstance(mod, torch.nn.MultiheadAttention):
            mod.in_proj_weight.data = mod.in_proj_weight.data.bfloat16()
            mod.in_proj_bias.data = mod.in_proj_bias.data.bfloat16()
            mod.forward = types.MethodType(_attention, mod)
    if getattr(tower, "proj", None) is not None:
        tower.proj.data = tower.proj.data.bfloat16()
    for p in tower.parameters():
        p.requires_grad_(False)

    def encode(pixels):
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            out = tower(pixels.to(torch.bfloat16))
        return out.float()

    if check_images is None:
        check_images = torch.randint(0, 256, (4, 3, image_size, image_size), generator=torch.Generator().manual_seed(0),
                                     dtype=torch.uint8)
    m = torch.as_tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
    s = torch.as_tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        reference = visual((check_images.float() / 255.0 - m) / s).float()
    try:
        got = encode(check_images)
    except NotImplementedError:
        return None
    cosine = torch.nn.functional.cosine_similarity(got, reference, dim=-1)
    return encode if got.shape == reference.shape and bool((cosine >= CHECK_COSINE).all()) else None
