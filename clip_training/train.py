"""``rewardgym-train-clip``: trains the small open_clip model on ``rewardgym-make-clip-data`` output.

The model is open_clip's ``CLIP`` built from the default bundled config
``assets/clip/rewardgym-clip-small-64.json`` (``--config`` names another, e.g. the 96-px
``rewardgym-clip-small.json``; registered with ``open_clip.add_model_config``), with open_clip's tokenizer, trained from
scratch (no weights are loaded). Loss: CLIP's symmetric contrastive loss (InfoNCE over
image->text and text->image logits, learnable temperature) with label-aware targets: a batch
holds many frames of the same class, so every caption of a frame's class counts as a positive
(uniform target over them) instead of being pushed away as a false negative. Each frame gets a
fresh random *train* paraphrase of its label every epoch.

Graded targets (``--graded-beta B``, B > 0): for a caption of a humanoid pose class ``c`` the
text->image target over the batch's frames is ``exp(B * (r_c(frame) - 1))``, normalised, where
``r_c`` is the frame's dense ground-truth reward of task ``c`` (stored by the data generator;
frames of other scenes get 0). Frames nearer the pose then rank higher for that caption, not
only the frames that pass its success test. The image->text direction keeps the label targets.
This is supervision from the tasks' own reward functions: a model trained this way is a
learned approximation of them, which is what its Spearman on held-out rollouts then measures.

Writes ``<out>/<name>.pt`` (fp16 state dict, loadable by ``open_clip.create_model_and_transforms
(name, pretrained=path)``), ``<out>/loss_curve.png`` and ``<out>/train_metrics.json`` (loss
history, throughput, held-out zero-shot accuracy per task).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from . import captions
from .data import data_dirs, load_split, normalise_images


def build_model(config: str | Path | None = None, device: str = "cpu"):
    """(model, tokenizer, name) from the bundled config (or another open_clip config JSON)."""
    import open_clip

    from rewardgym.reward_wrappers import clip_models

    path = Path(config) if config else clip_models.bundled_dir() / f"{clip_models.BUNDLED_MODEL_NAME}.json"
    if not path.exists():
        raise FileNotFoundError(f"open_clip model config not found: {path}")
    clip_models.register_config(path)
    model = open_clip.create_model(path.stem, pretrained=None, device=device)
    return model, open_clip.get_tokenizer(path.stem), path.stem


def label_aware_clip_loss(img, txt, labels, logit_scale, rewards=None, graded_beta: float = 0.0):
    """Symmetric InfoNCE of L2-normalised embeddings; positives = all pairs of the same label.

    With ``rewards`` (B, n_labels; NaN where a frame has no reward for a label) and
    ``graded_beta > 0``, the text->image target of each caption whose label has rewards is
    ``exp(graded_beta * (r - 1))`` over the batch's frames (NaN: 0), normalised.
    """
    import torch
    import torch.nn.functional as F

    img, txt = F.normalize(img, dim=-1), F.normalize(txt, dim=-1)
    logits = logit_scale.exp().clamp(max=100) * img @ txt.t()
    same = (labels[:, None] == labels[None, :]).float()
    target = same / same.sum(1, keepdim=True)
    t2i = target
    if rewards is not None and graded_beta > 0:
        r = rewards[:, labels.long()].t()                      # (captions, frames): r_{label of caption}(frame)
        graded = torch.isfinite(r).any(1, keepdim=True)        # captions whose label has rewards
        w = torch.where(torch.isfinite(r), torch.exp(graded_beta * (torch.nan_to_num(r) - 1.0)), torch.zeros_like(r))
        soft = w / w.sum(1, keepdim=True).clamp_min(1e-12)
        t2i = torch.where(graded, soft, target)
    return 0.5 * (torch.sum(-target * F.log_softmax(logits, 1), 1).mean()
                  + torch.sum(-t2i * F.log_softmax(logits.t(), 1), 1).mean())


def save_fp16_state_dict(model, path: Path) -> None:
    import torch

    sd = {k: (v.half() if v.is_floating_point() else v).cpu() for k, v in model.state_dict().items()}
    torch.save(sd, path)


def plot_loss(history: list[float], path: Path, steps_per_epoch: int, title: str = "CLIP") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    h = np.asarray(history)
    k = max(1, len(h) // 100)
    smooth = np.convolve(h, np.ones(k) / k, mode="valid")
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(np.arange(len(h)) / steps_per_epoch, h, alpha=0.3, label="per step")
    ax.plot((np.arange(len(smooth)) + k - 1) / steps_per_epoch, smooth, label=f"mean of {k} steps")
    ax.set_xlabel("epoch")
    ax.set_ylabel("contrastive loss")
    ax.set_title(f"{title} training loss")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def train(data_dir, out, epochs: int = 10, batch_size: int = 128, lr: float = 5e-4, weight_decay: float = 0.1,
          warmup: int = 100, seed: int = 0, device: str = "auto", threads: int | None = None,
          max_steps: int | None = None, config=None, progress: bool = True, graded_beta: float = 0.0) -> dict:
    """Trains and writes the checkpoint, loss curve and metrics into ``out``; returns the metrics."""
    import torch
    from tqdm import tqdm

    from .evaluate import zero_shot_accuracy

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tr = load_split(data_dir, "train")
    model, tokenizer, name = build_model(config, device)
    model.train()
    images = torch.as_tensor(tr["images"]).to(device)
    labels = torch.as_tensor(tr["labels"].astype(np.int64)).to(device)
    n = len(labels)
    rewards = None
    if graded_beta > 0:
        if "rewards" not in tr:
            raise ValueError(f"--graded-beta needs per-frame rewards; {data_dir}/train.npz has none "
                             "(make it again with this version of rewardgym-make-clip-data)")
        rewards = torch.as_tensor(tr["rewards"]).to(device)
    if n < 2:
        raise ValueError(f"need at least 2 training frames, got {n}")
    # every train paraphrase of every label, tokenized once
    para = [captions.train_paraphrases(lab) for lab in captions.LABELS]
    flat = [s for p in para for s in p]
    tokens = tokenizer(flat).to(device)
    offsets = np.cumsum([0] + [len(p) for p in para])
    counts = np.array([len(p) for p in para])
    steps_per_epoch = max(1, n // batch_size)
    total = steps_per_epoch * epochs if max_steps is None else min(max_steps, steps_per_epoch * epochs)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, betas=(0.9, 0.98), eps=1e-6)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    history, step, t0 = [], 0, time.time()
    bar = tqdm(total=total, desc="train-clip", disable=not progress, file=sys.stderr)
    while step < total:
        order = torch.as_tensor(rng.permutation(n), device=device)
        for b in range(steps_per_epoch):
            if step >= total:
                break
            idx = order[b * batch_size:(b + 1) * batch_size]
            lab = labels[idx]
            lab_np = lab.cpu().numpy()
            pick = offsets[lab_np] + (rng.random(len(lab_np)) * counts[lab_np]).astype(np.int64)
            img = model.encode_image(normalise_images(images[idx], model, device))
            txt = model.encode_text(tokens[torch.as_tensor(pick, device=device)])
            loss = label_aware_clip_loss(img, txt, lab, model.logit_scale,
                                         rewards[idx] if rewards is not None else None, graded_beta)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            history.append(float(loss.detach()))
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{history[-1]:.3f}")
    bar.close()
    seconds = time.time() - t0
    model.eval()
    ckpt = out / f"{name}.pt"
    save_fp16_state_dict(model, ckpt)
    plot_loss(history, out / "loss_curve.png", steps_per_epoch, name)
    metrics = {"model": name, "device": device, "torch_threads": torch.get_num_threads(), "seed": seed,
               "epochs": epochs, "batch_size": batch_size, "lr": lr, "graded_beta": graded_beta, "steps": step,
               "train_frames": n,
               "seconds": round(seconds, 1), "images_per_s": round(step * batch_size / seconds, 1),
               "loss_first_50": float(np.mean(history[:50])), "loss_last_50": float(np.mean(history[-50:])),
               "checkpoint_bytes": ckpt.stat().st_size, "loss_history": [round(v, 4) for v in history]}
    if all((d / "test.npz").exists() for d in data_dirs(data_dir)):
        te = load_split(data_dir, "test")
        metrics["zero_shot"] = zero_shot_accuracy(model, tokenizer, te, device)
    (out / "train_metrics.json").write_text(json.dumps(metrics, indent=1))
    return metrics


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="rewardgym-train-clip", description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="folder written by rewardgym-make-clip-data, or a comma list of them (concatenated)")
    p.add_argument("--out", required=True, help="output folder (checkpoint, loss_curve.png, train_metrics.json)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (smoke tests)")
    p.add_argument("--config", default=None, help="open_clip config JSON (default: the bundled one)")
    p.add_argument("--graded-beta", type=float, default=0.0,
                   help="graded text->image targets from the pose tasks' dense rewards (0: label targets only)")
    a = p.parse_args(argv)
    if not a.graded_beta >= 0:
        raise SystemExit(f"--graded-beta must be >= 0, got {a.graded_beta}")
    for key in ("epochs", "batch_size"):
        if getattr(a, key) < 1:
            raise SystemExit(f"--{key.replace('_', '-')} must be >= 1, got {getattr(a, key)}")
    m = train(a.data, a.out, epochs=a.epochs, batch_size=a.batch_size, lr=a.lr, seed=a.seed, device=a.device,
              threads=a.threads, max_steps=a.max_steps, config=a.config,
              graded_beta=a.graded_beta)
    summary = {k: v for k, v in m.items() if k != "loss_history"}
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
