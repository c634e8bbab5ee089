"""A GUI grounding policy on the same episodes, replayed from the dataset and live in Chromium.

Each row of a grounding dataset records the live episode ``reset(seed=row.seed)`` of its task
(:mod:`rewardgym.envs.browser.record`). :func:`evaluate_rows` runs a policy on those rows twice:
on ``rewardgym/Grounding-v0`` (success = the click lies in a recorded target box) and on the live
``rewardgym/Browser-v0`` page of the row's task, reset with the row's seed (success = the page's
own check). Both see the same screenshot (the env's same-seed, same-pixels promise), so the gap
between the two numbers is what the dataset's box-hit rule misses, per task.

``rewardgym-eval-gui RUN_DIR --dataset DIR --split test`` prints and writes ``gui_eval.json``.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from omegaconf import DictConfig


def _wrap(env, cfg: DictConfig):
    from .env_factory import extra_wrappers

    for wrapper in extra_wrappers(cfg.get("wrappers")):
        env = wrapper(env)
    return env


def evaluate_rows(model, cfg: DictConfig, dataset: str | None, split: str = "test", tasks: Sequence[str] | None = None,
                  per_task: int | None = None, live: bool = True, deterministic: bool = True) -> dict[str, Any]:
    """Success per task on the dataset's rows and (``live``) on the same episodes live.

    Args:
        model: anything with ``predict(obs, deterministic)`` (an SB3 model); a callable
            ``(obs, info) -> action`` (e.g. an oracle clicking the recorded box's centre: it checks the
            recording against the live page); None: uniform random clicks.
        cfg: the run's config (its ``wrappers`` turn env observations into the policy's).
        dataset, split, tasks: the rows (``rewardgym.envs.gui.dataset``); ``per_task``: at most this many per task.

    Returns:
        ``{"tasks": {task: {"rows", "dataset_success", "live_success", "agreement"}}, "dataset_success",
        "live_success", "task_mean_dataset", "task_mean_live"}`` (means over rows, and over tasks).
    """
    import gymnasium as gym

    import rewardgym  # noqa: F401
    from rewardgym.envs.browser.record import task_kwargs

    def act(obs, info, space):
        if model is None:
            action = space.sample()
        elif hasattr(model, "predict"):
            action = model.predict(obs, deterministic=deterministic)[0]
        else:
            action = model(obs, info)
        if isinstance(space, gym.spaces.Box):
            return np.clip(np.asarray(action, dtype=np.float32), 0.0, 1.0)
        return action

    action_type = (cfg.env.get("kwargs") or {}).get("action_type", "point")
    replay = gym.make("rewardgym/Grounding-v0", dataset=dataset, split=split, tasks=tasks, action_type=action_type)
    base = replay.unwrapped
    chosen: dict[str, list[int]] = defaultdict(list)
    for i, task in enumerate(base._meta["task"]):
        if per_task is None or len(chosen[task]) < per_task:
            chosen[task].append(i)
    replay = _wrap(replay, cfg)
    out: dict[str, dict] = {}
    for task, rows in sorted(chosen.items()):
        hits, live_hits = [], []
        env = _wrap(gym.make("rewardgym/Browser-v0", obs_type="default", action_type=action_type,
                             **task_kwargs(task)), cfg) if live else None
        try:
            for i in rows:
                obs, info = replay.reset(options={"index": i})
                action = act(obs, info, replay.action_space)
                hits.append(bool(replay.step(action)[4]["success"]))
                if env is not None:
                    live_obs, _ = env.reset(seed=int(info["seed"]))
                    live_action = action if model is None else act(live_obs, info, replay.action_space)
                    live_hits.append(bool(env.step(live_action)[4].get("success", False)))
        finally:
            if env is not None:
                env.close()
        entry = {"rows": len(rows), "dataset_success": float(np.mean(hits))}
        if live:
            entry["live_success"] = float(np.mean(live_hits))
            entry["agreement"] = float(np.mean(np.array(hits) == np.array(live_hits)))
        out[task] = entry
    replay.close()
    result: dict[str, Any] = {"split": split, "tasks": out}
    for key in ("dataset_success", "live_success"):
        if all(key in e for e in out.values()):
            result[key] = float(np.average([e[key] for e in out.values()], weights=[e["rows"] for e in out.values()]))
            result[f"task_mean_{key.split('_')[0]}"] = float(np.mean([e[key] for e in out.values()]))
    return result


def main(argv: list[str] | None = None) -> int:
    from .evaluate import load_run

    p = argparse.ArgumentParser(prog="rewardgym-eval-gui", description=__doc__.splitlines()[0])
    p.add_argument("run_dir", type=Path)
    p.add_argument("--dataset", default=None, help="a grounding dataset (default: the run's env.kwargs.dataset)")
    p.add_argument("--split", default="test")
    p.add_argument("--per-task", type=int, default=None)
    p.add_argument("--no-live", action="store_true", help="the dataset only (no Chromium)")
    a = p.parse_args(argv)
    try:
        cfg, model, _ = load_run(a.run_dir)
        dataset = a.dataset if a.dataset is not None else (cfg.env.get("kwargs") or {}).get("dataset")
        result = evaluate_rows(model, cfg, dataset, a.split, per_task=a.per_task, live=not a.no_live)
    except (FileNotFoundError, ValueError) as err:
        print(f"{p.prog}: {err}", file=sys.stderr)
        return 2
    (a.run_dir / "gui_eval.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
