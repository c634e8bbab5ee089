"""Supervised warm start of a GUI grounding policy from recorded target boxes.

GUI-G^2 fine-tunes its reward on a model that was first trained with supervision; here a PPO
policy can start the same way: ``agent.warm_start.epochs=N`` (> 0) trains the run's policy on the
rows of a grounding dataset (:mod:`rewardgym.envs.gui.dataset`; by default the training env's own
dataset and split) before PPO:

* the heatmap of :class:`~rewardgym.agents.policies.InstructionFiLMExtractor` (when the policy
  has one) by cross-entropy against the cells inside the target boxes (uniform over them);
* the action mean by squared error to the first target's centre (point actions) or box (box
  actions), as behaviour cloning does (:func:`rewardgym.agents.demos.behaviour_clone`);
* the log standard deviation is then set to ``log(std)``: PPO explores from there;
* with grid actions (:class:`rewardgym.envs.gui.grid.GridClick`) the policy's own categorical over
  cells is trained by that cross-entropy (and box sizes by cross-entropy with the target's size
  steps): its sampling is PPO's exploration.

Every arm of a comparison that uses the same warm-start settings and seed starts from the same
weights: the result is cached (``agent.warm_start.cache_dir``, default
``$XDG_CACHE_HOME/rewardgym/warm_start``) under a hash of the dataset, split, wrappers, policy
and warm-start settings and the seed, and a second run loads it instead of training again.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf


def _settings(cfg: DictConfig) -> dict[str, Any]:
    ws = dict(OmegaConf.to_container(cfg.agent.get("warm_start") or {}, resolve=True))
    env_kwargs = dict(OmegaConf.to_container(cfg.env.get("kwargs") or {}, resolve=True))
    for key, default in (("dataset", None), ("split", "train"), ("tasks", None)):  # null: the training env's
        if ws.get(key) is None:
            ws[key] = env_kwargs.get(key, default)
    for key, default in (("epochs", 0), ("batch_size", 128), ("learning_rate", 1e-3), ("std", 0.05),
                         ("heatmap_coef", 1.0), ("max_rows", None), ("cache_dir", None)):
        ws.setdefault(key, default)
    return ws


def _check(ws: dict) -> None:
    if not (int(ws["epochs"]) >= 0 and int(ws["batch_size"]) >= 1 and float(ws["learning_rate"]) > 0
            and float(ws["std"]) > 0 and float(ws["heatmap_coef"]) >= 0):
        raise ValueError("agent.warm_start needs epochs >= 0, batch_size >= 1, learning_rate > 0, std > 0 and "
                         f"heatmap_coef >= 0, got {ws}")


def _cache_path(cfg: DictConfig, ws: dict) -> Path:
    root = ws.get("cache_dir") or os.path.join(os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache"),
                                              "rewardgym", "warm_start")
    key = {"ws": {k: v for k, v in ws.items() if k != "cache_dir"}, "seed": int(cfg.seed),
           "dataset_mtime": _mtime(ws["dataset"]),
           "wrappers": OmegaConf.to_container(cfg.get("wrappers") or [], resolve=True),
           "action_type": (cfg.env.get("kwargs") or {}).get("action_type", "point"),
           "policy": cfg.agent.get("policy"), "algo": OmegaConf.to_container(cfg.agent.ppo, resolve=True)
           if cfg.agent.get("ppo") is not None else None, "format": 1}
    digest = hashlib.sha1(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return Path(root) / f"warm_start__{digest}.pt"


def _mtime(dataset) -> float | None:
    from rewardgym.envs.gui.dataset import dataset_dir
    from rewardgym.envs.gui.grounding_v0 import sample_dataset

    path = dataset_dir(dataset if dataset is not None else sample_dataset())
    return max((p.stat().st_mtime for p in Path(path).rglob("*.arrow")), default=None)


def dataset_observations(cfg: DictConfig, ws: dict) -> tuple[dict[str, np.ndarray], list[np.ndarray], str, Any]:
    """The policy's observations of every row (through the run's wrappers), the rows' target
    boxes, the action type and the run's :class:`~rewardgym.envs.gui.grid.GridClick` (or None)."""
    import gymnasium as gym

    from .env_factory import extra_wrappers

    kwargs = dict(OmegaConf.to_container(cfg.env.get("kwargs") or {}, resolve=True))
    if cfg.env.id != "rewardgym/Grounding-v0" and ws["dataset"] is None:
        raise ValueError("agent.warm_start on an env other than rewardgym/Grounding-v0 needs "
                         "agent.warm_start.dataset (a recorded grounding dataset)")
    action_type = kwargs.get("action_type", "point")
    env = gym.make("rewardgym/Grounding-v0", dataset=ws["dataset"], split=ws["split"], tasks=ws["tasks"],
                   action_type=action_type, obs_type="default")
    for wrapper in extra_wrappers(cfg.get("wrappers")):
        env = wrapper(env)
    n = len(env.unwrapped)
    rows = range(n) if ws["max_rows"] is None else np.random.default_rng(int(cfg.seed)).permutation(n)[
        : int(ws["max_rows"])]
    obs, boxes = [], []
    for i in rows:
        o, info = env.reset(options={"index": int(i)})
        obs.append(o)
        boxes.append(np.asarray(info["target_boxes"], dtype=np.float32))
    grid = _grid_of(env)
    env.close()
    keys = obs[0].keys() if isinstance(obs[0], dict) else None
    stacked = {k: np.stack([o[k] for o in obs]) for k in keys} if keys else np.stack(obs)
    return stacked, boxes, action_type, grid


def _targets(boxes: list[np.ndarray], action_type: str) -> np.ndarray:
    first = np.stack([b[0] for b in boxes])
    if action_type == "box":
        return first
    return (first[:, :2] + first[:, 2:]) / 2.0


def _cell_targets(extractor, boxes: list[np.ndarray]):
    """(N, cells) target distributions: uniform over the cells whose centres lie in a target box
    (the nearest cell when none does)."""
    import torch

    cx, cy = extractor.cell_x.cpu().numpy(), extractor.cell_y.cpu().numpy()
    out = np.zeros((len(boxes), len(cx)), dtype=np.float32)
    for i, b in enumerate(boxes):
        inside = np.zeros(len(cx), dtype=bool)
        for x1, y1, x2, y2 in b:
            inside |= (cx >= x1) & (cx <= x2) & (cy >= y1) & (cy <= y2)
        if not inside.any():
            centre = (b[0, :2] + b[0, 2:]) / 2
            inside[np.argmin((cx - centre[0]) ** 2 + (cy - centre[1]) ** 2)] = True
        out[i, inside] = 1.0 / inside.sum()
    return torch.as_tensor(out)


def warm_start(model, cfg: DictConfig, run_dir: Path | None = None) -> dict[str, Any] | None:
    """Trains ``model``'s policy on the dataset's boxes (module docstring); None when epochs is 0.
    Writes ``warm_start.json`` into ``run_dir``."""
    import torch

    ws = _settings(cfg)
    _check(ws)
    epochs = int(ws["epochs"])
    if epochs == 0:
        return None
    policy = model.policy
    from gymnasium import spaces

    if not hasattr(policy, "log_std") and not isinstance(policy.action_space, (spaces.Discrete, spaces.MultiDiscrete)):
        raise ValueError(f"agent.warm_start needs a PPO policy with point/box or GridClick actions, got "
                         f"{type(policy).__name__} on {policy.action_space}")
    cache = _cache_path(cfg, ws)
    t0 = time.perf_counter()
    if cache.exists():
        policy.load_state_dict(torch.load(cache, map_location=policy.device))
        stats = json.loads(cache.with_suffix(".json").read_text())
        stats["cached"] = str(cache)
    else:
        stats = _train(policy, cfg, ws, epochs)
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        torch.save(policy.state_dict(), tmp)
        cache.with_suffix(".json").write_text(json.dumps(stats, indent=1))
        os.replace(tmp, cache)
    stats["time_s"] = time.perf_counter() - t0
    if run_dir is not None:
        (Path(run_dir) / "warm_start.json").write_text(json.dumps(stats, indent=1))
    print(f"[rewardgym] warm start on {stats['rows']} recorded boxes ({epochs} epochs): click inside a target "
          f"{stats['final_hit_rate']:.0%} of training rows" + (" (cached)" if "cached" in stats else ""))
    return stats


def _grid_of(env):
    """The env's :class:`~rewardgym.envs.gui.grid.GridClick` wrapper, or None."""
    from rewardgym.envs.gui.grid import GridClick

    while env is not None:
        if isinstance(env, GridClick):
            return env
        env = getattr(env, "env", None)
    return None


def _train(policy, cfg: DictConfig, ws: dict, epochs: int) -> dict[str, Any]:
    import torch

    obs_np, boxes, action_type, grid = dataset_observations(cfg, ws)
    obs = policy.obs_to_tensor(obs_np)[0]
    target = torch.as_tensor(_targets(boxes, action_type), device=policy.device)
    extractor = policy.features_extractor
    has_heatmap = hasattr(extractor, "features_and_logits") and (grid is not None or float(ws["heatmap_coef"]) > 0)
    cells = _cell_targets(extractor, boxes).to(policy.device) if has_heatmap else None
    sizes = _size_targets(grid, boxes, policy.device) if grid is not None and grid.box else None
    params = [p for name, p in policy.named_parameters() if name != "log_std" and not name.startswith("value_net")
              and "mlp_extractor.value_net" not in name]
    opt = torch.optim.Adam(params, lr=float(ws["learning_rate"]))
    rng = np.random.default_rng(int(cfg.seed))
    n, bs = len(target), int(ws["batch_size"])
    policy.set_training_mode(True)
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, bs):
            idx = torch.as_tensor(order[start:start + bs], device=policy.device)
            batch = {k: v[idx] for k, v in obs.items()} if isinstance(obs, dict) else obs[idx]
            if grid is not None:
                loss = _grid_loss(policy, batch, cells[idx], None if sizes is None else sizes[idx])
            else:
                loss = _loss(policy, batch, target[idx], cells[idx] if cells is not None else None,
                             float(ws["heatmap_coef"]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    policy.set_training_mode(False)
    with torch.no_grad():
        if grid is None:
            policy.log_std.fill_(float(np.log(float(ws["std"]))))
        out = torch.cat([_mean(policy, {k: v[i:i + 256] for k, v in obs.items()} if isinstance(obs, dict)
                                else obs[i:i + 256]) for i in range(0, n, 256)]).cpu().numpy()
    from rewardgym.envs.gui.contract import click_in_box

    if grid is not None:
        clicks = np.array([grid.point_of(i) for i in out[:, :grid.cells].argmax(axis=1)])
    else:
        clicks = (out[:, :2] + out[:, 2:]) / 2 if action_type == "box" else out
    hits = [click_in_box(np.clip(c, 0, 1), b) for c, b in zip(clicks, boxes)]
    stats = {"rows": n, "epochs": epochs, "action_type": action_type, "grid": grid is not None,
             "final_hit_rate": float(np.mean(hits))}
    if grid is None:
        stats.update(final_mean_error=float(np.abs(out - target.cpu().numpy()).mean()), std=float(ws["std"]))
    return stats


def _size_targets(grid, boxes: list[np.ndarray], device):
    """Box actions on a grid: the width and height steps nearest (in log) to the first target's."""
    import torch

    first = np.stack([b[0] for b in boxes])
    steps = np.log(grid.size_steps)
    w = np.abs(np.log(first[:, 2] - first[:, 0])[:, None] - steps).argmin(axis=1)
    h = np.abs(np.log(first[:, 3] - first[:, 1])[:, None] - steps).argmin(axis=1)
    return torch.as_tensor(np.stack([w, h], axis=1), device=device)


def _mean(policy, batch):
    """The action layer's output: the Gaussian's mean, or the grid's logits."""
    features = policy.extract_features(batch)
    latent_pi, _ = policy.mlp_extractor(features)
    return policy.action_net(latent_pi)


def _grid_loss(policy, batch, cells, sizes):
    """Cross-entropy of the policy's own cell logits against the cells in the target boxes (and,
    for box actions, of its width and height steps against the target's)."""
    import torch
    import torch.nn.functional as F

    out = _mean(policy, batch)
    n = cells.shape[1]
    loss = -(cells * torch.log_softmax(out[:, :n], dim=-1)).sum(dim=1).mean()
    if sizes is not None:
        k = (out.shape[1] - n) // 2
        loss = loss + F.cross_entropy(out[:, n:n + k], sizes[:, 0]) + F.cross_entropy(out[:, n + k:], sizes[:, 1])
    return loss


def _loss(policy, batch, target, cells, heatmap_coef: float):
    """Squared error of the action mean (in screen fractions) plus the heatmap's cross-entropy."""
    import torch
    from stable_baselines3.common.preprocessing import preprocess_obs

    extractor = policy.features_extractor
    if cells is None:
        return ((_mean(policy, batch) - target) ** 2).sum(dim=1).mean()
    pre = preprocess_obs(batch, policy.observation_space, normalize_images=policy.normalize_images)
    features, logits = extractor.features_and_logits(pre)
    mean = policy.action_net(policy.mlp_extractor(features)[0])
    return ((mean - target) ** 2).sum(dim=1).mean() + \
        heatmap_coef * -(cells * torch.log_softmax(logits, dim=-1)).sum(dim=1).mean()
