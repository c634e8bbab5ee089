"""Evaluation of a CLIP model on rewardgym's scenes.

* :func:`zero_shot_accuracy`: on the held-out split (held-out seeds), each frame is classified
  among its domain's classes by cosine similarity to class prompts; accuracy per class (= per
  task) with (a) the env's own goal prompt of each class (the CLIP reward's prompt) and (b) the
  mean embedding of the class's held-out paraphrases (sentences never trained on).
* :func:`reward_spearman` (``python -m rewardgym.clip_training.evaluate``): the VLM-RM
  reward of the model on frames of random-policy and scripted rollouts of each humanoid task,
  against the task's ground-truth dense reward: Spearman's rank correlation per task.
"""
from __future__ import annotations

import numpy as np

from . import captions


def _text_emb(model, tokenizer, texts, device):
    import torch
    import torch.nn.functional as F

    with torch.inference_mode():
        return F.normalize(model.encode_text(tokenizer(texts).to(device)).float(), dim=-1)


def zero_shot_accuracy(model, tokenizer, split: dict, device: str = "cpu", batch: int = 256) -> dict:
    """{"goal_prompt": {label: acc}, "held_out_paraphrases": {label: acc}, "n": {label: count},
    "humanoid_mean_goal_prompt": .., "humanoid_mean_held_out": ..}."""
    import torch
    import torch.nn.functional as F

    from .data import normalise_images

    model.eval()
    feats = []
    with torch.inference_mode():
        for i in range(0, len(split["labels"]), batch):
            x = normalise_images(split["images"][i:i + batch], model, device)
            feats.append(F.normalize(model.encode_image(x).float(), dim=-1))
    img = torch.cat(feats).cpu().numpy()
    labels = split["labels"].astype(int)
    res = {"goal_prompt": {}, "held_out_paraphrases": {}, "n": {}}
    for domain, classes in captions.EVAL_LABELS.items():
        goal = _text_emb(model, tokenizer, [captions.PARAPHRASES[c][0] for c in classes], device).cpu().numpy()
        held = np.stack([_text_emb(model, tokenizer, captions.test_paraphrases(c), device).mean(0).cpu().numpy()
                         for c in classes])
        for c_i, c in enumerate(classes):
            sel = labels == captions.LABELS.index(c)
            if not sel.any():
                continue
            res["n"][c] = int(sel.sum())
            res["goal_prompt"][c] = float(np.mean((img[sel] @ goal.T).argmax(1) == c_i))
            res["held_out_paraphrases"][c] = float(np.mean((img[sel] @ held.T).argmax(1) == c_i))
    hum = [c for c in captions.EVAL_LABELS["humanoid"] if c in res["n"]]
    if hum:
        res["humanoid_mean_goal_prompt"] = float(np.mean([res["goal_prompt"][c] for c in hum]))
        res["humanoid_mean_held_out"] = float(np.mean([res["held_out_paraphrases"][c] for c in hum]))
    return res


def humanoid_rollout_frames(every: int = 5, steps: int = 100, seed: int = 12345, size: int = 224):
    """Frames + measurements of random and scripted humanoid rollouts (held-out seeds).

    Random policy: Gymnasium's standing start, uniform random torques (2 episodes).
    Scripted: start in each named reference pose (``reset(options={"pose": p})``), then zero
    torques (the pose sags or collapses) and random torques (1 episode each). Every
    ``every``-th step is kept. Returns (frames list, list of measurement dicts).
    """
    import gymnasium as gym

    import rewardgym  # noqa: F401
    from rewardgym.envs.mujoco.humanoid_poses import POSES

    env = gym.make("rewardgym/HumanoidPose-v0", render_mode="rgb_array", width=size, height=size)
    u = env.unwrapped
    rng = np.random.default_rng(seed)
    starts = [(None, "random")] * 2 + [(p, kind) for p in sorted(POSES) for kind in ("zero", "random")]
    frames, metrics = [], []
    for i, (pose, kind) in enumerate(starts):
        env.reset(seed=seed + i, options={"pose": pose} if pose else None)
        for t in range(steps):
            if t % every == 0:
                frames.append(u.render())
                metrics.append(u.task_metrics())
            act = np.zeros(u.action_space.shape) if kind == "zero" else rng.uniform(-0.4, 0.4, u.action_space.shape)
            u.step(act)
    env.close()
    return frames, metrics


def reward_spearman(model: str | None = None, pretrained: str | None = None, alpha: float = 0.5,
                    every: int = 5, device: str = "cpu") -> dict:
    """Spearman rho (and p-value) of the VLM-RM reward vs each humanoid task's ground-truth reward,
    with ``rewardgym.reward_quality.metrics.reward_metrics`` (also Pearson and the ROC AUC of the
    reward for the task's success frames).

    The reward is computed through the CLIP reward's own loader and formula
    (``clip_models.load_clip``, ``clip.vlmrm_reward``) with the task's goal/baseline prompts.
    """
    from scipy.stats import spearmanr

    from rewardgym.reward_quality.metrics import reward_metrics
    from rewardgym.envs.mujoco.humanoid_tasks import TASKS
    from rewardgym.reward_wrappers.clip import vlmrm_reward
    from rewardgym.reward_wrappers.clip_models import load_clip

    enc = load_clip(model, pretrained, "open_clip", device, "float32")
    frames, metrics = humanoid_rollout_frames(every=every)
    img = np.concatenate([enc.encode_images(frames[i:i + 64]).float().cpu().numpy() for i in range(0, len(frames), 64)])
    out = {"frames": len(frames), "alpha": alpha, "tasks": {}}
    for name, task in TASKS.items():
        gt = np.array([task.reward(m)[0] for m in metrics])
        goal = enc.encode_text(list(task.goal_prompts)).float().cpu().numpy()
        base = enc.encode_text(list(task.baseline_prompts)).float().cpu().numpy()
        r = vlmrm_reward(img, goal, base, alpha)
        success = np.array([task.success(m) for m in metrics])
        q = reward_metrics(r, gt, success)  # the team's reward-quality tool (Spearman, Pearson, EPIC, AUC)
        out["tasks"][name] = {"spearman": q["spearman"], "p_value": float(spearmanr(r, gt)[1]), "pearson": q["pearson"],
                              "auc_success": q.get("auc_success"), "gt_success_frames": int(success.sum())}
    rhos = [v["spearman"] for v in out["tasks"].values()]
    out["tasks_with_rho_ge_0.5"] = int(sum(r >= 0.5 for r in rhos))
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json
    from pathlib import Path

    p = argparse.ArgumentParser(prog="rewardgym-eval-clip", description=__doc__.split("\n")[0])
    p.add_argument("--data", default=None, help="folder with test.npz (zero-shot accuracy per task)")
    p.add_argument("--model", default=None, help="open_clip model name (default: the bundled model)")
    p.add_argument("--pretrained", default=None, help="local checkpoint (default: the bundled one)")
    p.add_argument("--alpha", type=float, default=0.5)
    p.add_argument("--every", type=int, default=5, help="keep every k-th rollout step")
    p.add_argument("--no-rollouts", action="store_true", help="skip the Spearman rollouts")
    p.add_argument("--out", default=None, help="write the metrics JSON here")
    a = p.parse_args(argv)
    res = {}
    if a.data:
        from rewardgym.reward_wrappers.clip_models import load_clip

        from .data import load_split

        enc = load_clip(a.model, a.pretrained, "open_clip", "cpu", "float32")
        res["zero_shot"] = zero_shot_accuracy(enc.model, enc.tokenizer, load_split(a.data, "test"), "cpu")
    if not a.no_rollouts:
        res["spearman"] = reward_spearman(a.model, a.pretrained, a.alpha, a.every)
    text = json.dumps(res, indent=1)
    print(text)
    if a.out:
        Path(a.out).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
