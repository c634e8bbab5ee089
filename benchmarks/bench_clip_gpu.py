"""The CLIP reward on a GPU: the image tower's frames/s at large batches, then training steps/s.

Part 1, the model alone, for each model and batch size:

* ``reward path``: ``ClipEncoder.encode_images`` on uint8 HxWx3 frames held by the host, what the
  reward does every scored batch (the copy to the device, the crop/resize and normalisation on
  the device, the forward, the embeddings back);
* ``forward``: the image tower alone on a batch already on the device and normalised.

Each is the median of ``--repeats`` timed calls after two warm-up calls, synchronised. Models:
the default bundled ``rewardgym-clip-small-64`` (64 px) and open_clip's ``ViT-B-32`` and ``ViT-L-14``
architectures (224 px; VLM-RM's models are of this family) built with random weights: nothing
is downloaded, and the speed of a forward does not depend on the values of the weights.
``--dtype auto`` is float16 on CUDA (the reward's default).

Part 2, end to end (``--train-steps`` > 0): ``bench_clip_training.py``'s ground-truth run, the
CLIP reward's defaults (model on the CPU) and the CLIP reward with the model on the GPU
(``reward.device=cuda``), PPO on ``humanoid_kneel``, alternated over ``--train-repeats`` rounds,
medians and ratios to the ground truth.

    python benchmarks/bench_clip_gpu.py --out gpu_clip.json            # a machine with CUDA
    bash benchmarks/gpu_check.sh                                       # the same on a bare GPU machine
    python benchmarks/bench_clip_gpu.py --device cpu --models rewardgym-clip-small --batches 8 \\
        --repeats 2 --train-steps 0                                    # the code path on a CPU
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

MODELS = ("rewardgym-clip-small-64", "ViT-B-32", "ViT-L-14")


def _sync(device: str) -> None:
    import torch

    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def _timed(fn, device: str, repeats: int) -> float:
    """Median seconds of ``repeats`` calls of ``fn`` after two warm-up calls."""
    for _ in range(2):
        fn()
    _sync(device)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def model_rates(model: str, batches: list[int], device: str, dtype: str, repeats: int, seed: int = 0) -> list[dict]:
    """Frames/s of the reward path and of the forward alone, one row per batch size."""
    import torch

    from rewardgym.reward_wrappers.clip_models import load_clip

    enc = load_clip(model=model, device=device, dtype=dtype)  # open_clip names without weights: random ones
    size = enc.image_size
    rng = np.random.default_rng(seed)
    rows = []
    for batch in batches:
        frames = rng.integers(0, 256, size=(batch, size, size, 3), dtype=np.uint8)
        with torch.inference_mode():
            x = enc.preprocess(frames)

        def forward():
            with torch.inference_mode():
                return enc.model.encode_image(x)

        path_s = _timed(lambda: enc.encode_images(frames), device, repeats)
        # the CPU bfloat16 copy of the tower (clip_fast) takes raw pixels: no separate forward to time
        fwd_s = _timed(forward, device, repeats) if enc.fast_tower is None else None
        row = {"model": model, "image_size": size, "batch": batch, "device": str(enc.device),
               "dtype": str(enc.dtype).replace("torch.", "") + (" (bf16 autocast)" if enc.autocast else ""),
               "reward_path_frames_per_s": batch / path_s,
               "forward_frames_per_s": batch / fwd_s if fwd_s else None}
        if str(device).startswith("cuda"):
            row["max_memory_gib"] = torch.cuda.max_memory_allocated() / 2 ** 30
        rows.append(row)
        print(f"{model:22s} {size:4d}px batch {batch:5d}: reward path {row['reward_path_frames_per_s']:10.0f} frames/s"
              + (f", forward {row['forward_frames_per_s']:10.0f} frames/s" if row["forward_frames_per_s"] else ""),
              flush=True)
    return rows


def training_rates(steps: int, repeats: int) -> str:
    """``bench_clip_training.py`` with the ground truth, the CLIP defaults and the model on CUDA."""
    script = Path(__file__).resolve().parent / "bench_clip_training.py"
    cmd = [sys.executable, str(script), "--steps", str(steps), "--repeats", str(repeats),
           "--only", "defaults (no overrides)", "model on CUDA"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def _environment(device: str) -> dict:
    import torch

    info = {"torch": torch.__version__, "python": platform.python_version(), "cpus": os.cpu_count(),
            "device": device}
    if str(device).startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda", help="cuda (default) or cpu (to try the code path)")
    p.add_argument("--dtype", default="auto", choices=["auto", "float16", "bfloat16", "float32"])
    p.add_argument("--models", default=",".join(MODELS), help=f"comma list (default: {','.join(MODELS)})")
    p.add_argument("--batches", default="64,256,1024", help="comma list of batch sizes")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--train-steps", type=int, default=8192, help="env steps per training run; 0 skips part 2")
    p.add_argument("--train-repeats", type=int, default=3)
    p.add_argument("--out", default=None, help="write the results here as JSON")
    a = p.parse_args(argv)
    try:
        batches = [int(b) for b in a.batches.split(",")]
        if any(b < 1 for b in batches):
            raise ValueError
    except ValueError:
        print(f"bench_clip_gpu: --batches must be positive integers, got {a.batches!r}", file=sys.stderr)
        return 2
    import torch

    if a.device.startswith("cuda") and not torch.cuda.is_available():
        print(f"bench_clip_gpu: --device {a.device} but torch {torch.__version__} sees no CUDA device "
              "(--device cpu tries the code path)", file=sys.stderr)
        return 2
    result = {"environment": _environment(a.device), "model": []}
    print(json.dumps(result["environment"]), flush=True)
    for model in [m for m in a.models.split(",") if m]:
        result["model"] += model_rates(model, batches, a.device, a.dtype, a.repeats)
    if a.train_steps > 0:
        table = training_rates(a.train_steps, a.train_repeats)
        print(table, flush=True)
        result["training"] = table
    if a.out:
        Path(a.out).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
