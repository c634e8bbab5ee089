"""Loading CLIP models for rewards: open_clip or transformers, local weights only, cached.

Nothing is downloaded. ``pretrained`` is a local file (open_clip state dict / checkpoint) or
a tag whose weights are already in open_clip's cache; ``backend="transformers"`` takes a
local directory saved by ``CLIPModel.save_pretrained``. Without arguments the bundled offline
model (``assets/clip``) is used.
"""
from __future__ import annotations

import json
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

# the default: captions + graded targets from the pose tasks' rewards, 64-px input (assets/clip/MODEL_CARD.md)
BUNDLED_MODEL_NAME = "rewardgym-clip-small-64"
# every model shipped in assets/clip (one architecture, two input sizes): "rewardgym-clip-small" is the same recipe at
# 96 px (the earlier default: most of the learning tables were measured with it);
# "rewardgym-clip-captions" (96 px) was trained on the same frames and captions without any reward supervision
BUNDLED_MODELS = (BUNDLED_MODEL_NAME, "rewardgym-clip-small", "rewardgym-clip-captions")


def bundled_dir() -> Path:
    return Path(str(resources.files("rewardgym.assets") / "clip"))


CHECKPOINT_SUFFIXES = (".pt", ".safetensors", ".bin")


def bundled_checkpoint_path(name: str = BUNDLED_MODEL_NAME) -> Path:
    """The bundled weights ``assets/clip/<name>{.pt,.safetensors,.bin}`` (first found; the
    ``.pt`` path when none is installed yet)."""
    for suffix in CHECKPOINT_SUFFIXES:
        path = bundled_dir() / f"{name}{suffix}"
        if path.exists():
            return path
    return bundled_dir() / f"{name}.pt"


def register_config(path: str | Path) -> None:
    """Registers an open_clip model config JSON (or a folder of them) under its file name."""
    import open_clip

    open_clip.add_model_config(str(path))


def register_bundled_models() -> None:
    for name in BUNDLED_MODELS:
        cfg = bundled_dir() / f"{name}.json"
        if cfg.exists():
            register_config(cfg)


HOW_TO = ("Pass a local file: reward.model=<open_clip name> reward.pretrained=/path/to/weights "
          "(e.g. ViT-B-32 with OpenAI's or LAION's open_clip weights), or backend=transformers with "
          "model=/path/to/saved/CLIPModel. No weights are downloaded at run time.")


class ClipEncoder:
    """Batched frame and text encoders with the model's own preprocessing, done on tensors."""

    def __init__(self, model, tokenizer, image_size: int, mean, std, device, dtype, kind: str):
        import torch

        self.model, self.tokenizer, self.kind = model, tokenizer, kind
        self.image_size, self.device, self.dtype = image_size, device, dtype
        # bfloat16 on a CPU: float32 weights (load_clip keeps them, _weights_dtype) and inputs,
        # matrix products in bfloat16 (autocast), so norms and softmax keep float32; about 3x
        # faster than float32 where the CPU multiplies bfloat16 natively (AVX512-BF16 / AMX)
        self.autocast = str(device) == "cpu" and dtype == torch.bfloat16
        if self.autocast:
            self.dtype = torch.float32
        self.mean = torch.tensor(mean, device=device, dtype=torch.float32).view(1, 3, 1, 1)
        self.std = torch.tensor(std, device=device, dtype=torch.float32).view(1, 3, 1, 1)
        # (x/255 - mean)/std as one multiply-add on 0..255 values
        self._shift, self._scale = 255.0 * self.mean, 1.0 / (255.0 * self.std)
        # CPU bfloat16: a copy of an open_clip ViT tower with its casts, attention and input
        # normalisation made cheap (clip_fast; REWARDGYM_CLIP_FAST=0 keeps the model's own forward)
        self.fast_tower = None
        if self.autocast and kind == "open_clip" and os.environ.get("REWARDGYM_CLIP_FAST", "1") != "0":
            from rewardgym.reward_wrappers.clip_fast import fast_image_tower

            self.fast_tower = fast_image_tower(model, mean, std, image_size)

    @property
    def logit_scale(self) -> float | None:
        """The model's learned softmax temperature (CLIP's ``exp(logit_scale)``), None if it has none."""
        scale = getattr(self.model, "logit_scale", None)
        return None if scale is None else float(scale.detach().float().exp())

    def preprocess(self, frames):
        """uint8 HxWx3 frames -> normalised NCHW tensor at the model's resolution: on CPU
        exactly :func:`model_frames` then CLIP's mean/std; on GPU the same crop + resize of the
        whole batch in float."""
        import torch

        if str(self.device) == "cpu":
            x = torch.from_numpy(model_frames(frames, self.image_size)).permute(0, 3, 1, 2).float()
        else:
            x = torch.as_tensor(np.stack([np.asarray(f) for f in frames])).to(self.device).permute(0, 3, 1, 2)
            x = _crop_resize(x.float(), self.image_size).clamp(0, 255)  # float bicubic can overshoot
        return ((x - self._shift) * self._scale).to(self.dtype).contiguous()

    def encode_images(self, frames):
        import torch

        if self.fast_tower is not None:
            return self.fast_tower(torch.from_numpy(model_frames(frames, self.image_size)).permute(0, 3, 1, 2))
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.autocast):
            x = self.preprocess(frames)
            if self.kind == "transformers":
                out = _features(self.model.get_image_features(pixel_values=x))
            else:
                out = self.model.encode_image(x)
        return out.float() if self.autocast else out

    def encode_text(self, texts: list[str]):
        import torch

        with torch.inference_mode():
            if self.kind == "transformers":
                tok = self.tokenizer(texts, padding=True, return_tensors="pt")
                tok = {k: tok[k].to(self.device) for k in ("input_ids", "attention_mask") if k in tok}
                return _features(self.model.get_text_features(**tok))
            return self.model.encode_text(self.tokenizer(texts).to(self.device))


def _crop_resize(x, size: int):
    """NCHW -> centre square crop (side = shorter edge) -> antialiased bicubic resize to size."""
    import torch.nn.functional as F

    h, w = x.shape[-2:]
    m = min(h, w)
    top, left = (h - m) // 2, (w - m) // 2
    x = x[:, :, top:top + m, left:left + m]
    return x if m == size else F.interpolate(x, size=(size, size), mode="bicubic", align_corners=False,
                                             antialias=True)


def model_frames(frames, size: int) -> np.ndarray:
    """uint8 HxWx3 frames -> uint8 (N, size, size, 3) as the CLIP reward's model sees them.

    Centre square crop (side = the shorter edge), then an antialiased bicubic resize
    (CLIP's resize-shorter-side + centre-crop, cropped first so no pixel outside the crop is
    resized), computed on uint8 channels-last views of each frame (PyTorch's fast CPU kernel,
    ~10x faster than float; within a few 1/255 levels of a float resize). Use it to make
    training data for a model that this reward will run (one source of truth).
    """
    import torch

    if all(np.shape(f) == (size, size, 3) for f in frames) and len(frames):  # rendered at the model's size
        return np.ascontiguousarray(np.stack([np.asarray(f) for f in frames]))
    out = [_crop_resize(torch.as_tensor(_positive_strides(f)).permute(2, 0, 1)[None], size) for f in frames]
    return torch.cat(out).permute(0, 2, 3, 1).contiguous().numpy()


def _positive_strides(frame) -> np.ndarray:
    """The frame as an array torch can view (flipped renders, e.g. ``img[::-1]``, are copied)."""
    frame = np.asarray(frame)
    return frame if all(st >= 0 for st in frame.strides) else np.ascontiguousarray(frame)


def _features(out):
    """transformers < 5 returns the projected embeddings, >= 5 an output whose pooler_output they are."""
    return out if hasattr(out, "shape") else out.pooler_output


def _resolve_device_dtype(device: str, dtype: str):
    import torch

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if dtype == "auto":
        if str(device).startswith("cuda"):
            dtype = "float16"
        else:
            dtype = "bfloat16" if cpu_has_native_bfloat16() else "float32"
    if dtype not in ("float16", "bfloat16", "float32"):
        raise ValueError(f"dtype must be auto, float16, bfloat16 or float32, got {dtype!r}")
    return device, getattr(torch, dtype)


def _weights_dtype(device, dtype):
    """bfloat16 on a CPU runs under autocast with float32 weights (see ``ClipEncoder``)."""
    import torch

    return torch.float32 if str(device) == "cpu" and dtype == torch.bfloat16 else dtype


def cpu_has_native_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (AVX512-BF16 or AMX), where ``dtype=auto``
    runs the image encoder's matrix products in bfloat16 (``REWARDGYM_CPU_BF16=0`` turns it off)."""
    import torch

    if os.environ.get("REWARDGYM_CPU_BF16", "1") == "0":
        return False
    cpu = getattr(torch, "cpu", None)
    checks = [getattr(cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    return any(bool(check()) for check in checks if check is not None)


def input_size(model: str | None = None, backend: str = "open_clip") -> int:
    """The model's image input size in pixels, read from its config alone (no weights loaded).

    Raises:
        ValueError: the size cannot be read (name it with ``reward.frame_size=<pixels>``).
    """
    import json

    try:
        if backend == "transformers":
            vision = json.loads((Path(str(model)) / "config.json").read_text())["vision_config"]
            size = vision["image_size"]
        else:
            if model is None or model in BUNDLED_MODELS:
                cfg = json.loads((bundled_dir() / f"{model or BUNDLED_MODEL_NAME}.json").read_text())
            elif str(model).endswith(".json"):
                cfg = json.loads(Path(model).read_text())
            else:
                import open_clip

                cfg = open_clip.get_model_config(model)
            size = cfg["vision_cfg"]["image_size"]
        size = size[0] if isinstance(size, (list, tuple)) else size
        return int(size)
    except (OSError, KeyError, TypeError, ValueError) as err:
        raise ValueError(f"cannot read the input size of CLIP model {model!r} ({backend}): {err}; "
                         "set reward.frame_size=<pixels> (or null to score the env's own frames)") from None


@lru_cache(maxsize=4)
def load_clip(model: str | None = None, pretrained: str | None = None, backend: str = "open_clip",
              device: str = "auto", dtype: str = "auto") -> ClipEncoder:
    """Loads once per process (cached on the arguments)."""
    device, torch_dtype = _resolve_device_dtype(device, dtype)
    if backend == "transformers":
        return _load_transformers(model, device, torch_dtype)
    import open_clip

    if model is None:
        model = BUNDLED_MODEL_NAME
    register_bundled_models()
    if model.endswith(".json"):  # a local open_clip config file: register it under its file name
        if not Path(model).exists():
            raise FileNotFoundError(f"open_clip model config not found: {model!r}")
        register_config(model)
        model = Path(model).stem
    if model in BUNDLED_MODELS:
        if not (bundled_dir() / f"{model}.json").exists():
            raise FileNotFoundError(f"the bundled CLIP model is not installed ({bundled_dir()} has no "
                                    f"{model}.json). {HOW_TO}")
        if pretrained is None:
            pretrained = str(bundled_checkpoint_path(model))
            if not Path(pretrained).exists():
                raise FileNotFoundError(
                    f"the bundled CLIP checkpoint is not installed yet: no {model}"
                    f"{{{','.join(CHECKPOINT_SUFFIXES)}}} in {bundled_dir()} (rewardgym-train-clip makes one). "
                    f"{HOW_TO}")
    if model not in open_clip.list_models():
        raise ValueError(f"unknown open_clip model {model!r}; register its config with "
                         f"rewardgym.reward_wrappers.clip_models.register_config(path) first")
    if pretrained is not None and not Path(pretrained).exists() and pretrained not in open_clip.list_pretrained_tags_by_model(model):
        raise FileNotFoundError(f"CLIP weights not found: {pretrained!r}. {HOW_TO}")
    if pretrained is not None and not Path(pretrained).exists():
        raise FileNotFoundError(f"pretrained={pretrained!r} is a download tag, and rewardgym never downloads. {HOW_TO}")
    net, _, preprocess = open_clip.create_model_and_transforms(model, pretrained=pretrained, device=device,
                                                              precision="fp32")
    net = net.to(dtype=_weights_dtype(device, torch_dtype)).eval()
    cfg = getattr(net.visual, "preprocess_cfg", {}) or {}
    size = net.visual.image_size
    size = size[0] if isinstance(size, (tuple, list)) else size
    mean = cfg.get("mean", open_clip.OPENAI_DATASET_MEAN)
    std = cfg.get("std", open_clip.OPENAI_DATASET_STD)
    return ClipEncoder(net, open_clip.get_tokenizer(model), int(size), mean, std, device, torch_dtype, "open_clip")


def _load_transformers(path: str | None, device: str, dtype) -> ClipEncoder:
    if path is None or not Path(path).is_dir():
        raise FileNotFoundError(f"backend=transformers needs model=<local CLIPModel directory>, got {path!r}. {HOW_TO}")
    try:
        from transformers import AutoTokenizer, CLIPModel
    except ImportError as err:
        raise ImportError("backend=transformers needs `pip install transformers`") from err
    if not any((Path(path) / f).exists() for f in ("model.safetensors", "pytorch_model.bin")):
        raise FileNotFoundError(f"no CLIP weights (model.safetensors / pytorch_model.bin) in {path}. {HOW_TO}")
    net = CLIPModel.from_pretrained(path, local_files_only=True).to(device=device, dtype=_weights_dtype(device, dtype)).eval()
    tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
    proc_file = Path(path) / "preprocessor_config.json"
    proc = json.loads(proc_file.read_text()) if proc_file.exists() else {}
    mean = proc.get("image_mean", [0.48145466, 0.4578275, 0.40821073])
    std = proc.get("image_std", [0.26862954, 0.26130258, 0.27577711])
    return ClipEncoder(net, tok, int(net.config.vision_config.image_size), mean, std, device, dtype, "transformers")
