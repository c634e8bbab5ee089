"""``rewardgym-record-grounding``: grounding data from live pages into a Hugging Face dataset on disk.

Each row is one ``rewardgym/Browser-v0`` one-click episode as ``reset(seed=s)`` shows it: the
screenshot, the instruction, every target box (fractions and pixels), the targets' accessible
roles and names where the env reports them, task, seed and viewport (schema:
:mod:`rewardgym.envs.gui.dataset`). Any task source with target boxes can be recorded:

* rewardgym's own tasks (``click-button``) and MiniWoB++ tasks with a plan (``miniwob/click-tab``);
* ``grounding:<page.html>``: ScreenSpot-style episodes from any local page (``task="grounding"``);
* ``grounding:<folder>`` (a saved site folder, start page ``index.html``) and ``folder:<dir>``
  (a ``task_dir`` with its ``task.json``).

Splits: ``train`` = training tasks x ``train_seeds``; ``test`` = the same tasks x ``test_seeds``;
``test_tasks`` = the held-out tasks x ``test_seeds``. Seeds of train and test must not overlap.

Work is cut into shards (one task, one split, ``shard_size`` seeds) recorded by ``processes``
worker processes (each with its own Chromium in its own network namespace, the env's sandbox);
a finished shard is saved to ``OUT/shards/`` and a rerun of the same command skips it, so an
interrupted recording resumes. The dataset (``OUT/dataset/``) and the manifest
(``OUT/rewardgym_grounding.json``) are written last, each to a temporary name first: a folder
without the manifest is never taken for a complete dataset.

Example::

    rewardgym-record-grounding --out data/gui --tasks click-button,click-red,miniwob/click-test \\
        --train-seeds 0:2000 --test-seeds 1000000:1000200 --test-tasks miniwob/click-tab
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import multiprocessing as mp
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from rewardgym.envs.gui.contract import to_pixels, visible_boxes
from rewardgym.envs.gui.dataset import MANIFEST

ENV_ID = "rewardgym/Browser-v0"
SPLITS = ("train", "test", "test_tasks")


def task_kwargs(task: str) -> dict[str, Any]:
    """Browser-v0 keyword arguments of a task entry (see the module docstring).

    Raises:
        ValueError / FileNotFoundError: the entry names no task, page or folder that exists.
    """
    if not isinstance(task, str) or not task.strip():
        raise ValueError(f"a task entry must be a non-empty string, got {task!r}")
    kind, sep, rest = task.partition(":")
    if sep and kind == "grounding":
        p = Path(rest)
        if p.is_dir():
            return {"task": "grounding", "task_dir": str(p.resolve())}
        if not p.is_file():
            raise FileNotFoundError(f"task {task!r}: no page or folder {rest!r}")
        return {"task": "grounding", "page": str(p.resolve())}
    if sep and kind == "folder":
        if not (Path(rest) / "task.json").is_file():
            raise FileNotFoundError(f"task {task!r}: {rest!r} is not a task folder (no task.json)")
        return {"task": Path(rest).name, "task_dir": str(Path(rest).resolve())}
    if task.startswith("miniwob/"):
        from .miniwob import check_name

        check_name(task[len("miniwob/"):])
        return {"task": task}
    from .tasks import own_task

    own_task(task)
    return {"task": task}


def source_of(task: str) -> str:
    if task.startswith(("grounding:", "folder:")):
        return task.split(":", 1)[0]
    return "miniwob" if task.startswith("miniwob/") else "own"


def parse_seeds(text: str) -> list[int]:
    """``"0:100"`` (a range), ``"3,5,9"`` or a mix (``"0:10,50"``) -> the seeds, in order, unique."""
    out: list[int] = []
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        try:
            if ":" in part:
                a, b = part.split(":", 1)
                lo, hi = int(a), int(b)
                if hi <= lo:
                    raise ValueError
                out.extend(range(lo, hi))
            else:
                out.append(int(part))
        except ValueError:
            raise ValueError(f"seeds must look like 0:100 or 3,5,9 (integers, ranges with end > start), got {part!r}") \
                from None
    if any(s < 0 for s in out):
        raise ValueError(f"seeds must be >= 0, got {min(out)}")
    if len(set(out)) != len(out):
        raise ValueError(f"seeds repeat in {text!r}")
    return out


# --- the worker side: one env per task, kept for the worker's life ---------------------------
_ENVS: dict[tuple, Any] = {}


def _env(task: str, viewport: tuple[int, int]):
    import gymnasium as gym

    import rewardgym  # noqa: F401

    key = (task, viewport)
    if key not in _ENVS:
        _ENVS[key] = gym.make(ENV_ID, obs_type="default", viewport=viewport, **task_kwargs(task))
    return _ENVS[key]


def _png(frame: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def record_episode(env, task: str, seed: int) -> dict | None:
    """One row: the episode ``reset(seed=seed)`` shows, or None when none of its targets is on screen."""
    obs, info = env.reset(seed=seed)
    raw = np.asarray(info.get("target_boxes", np.zeros((0, 4))), dtype=np.float64).reshape(-1, 4)
    elements = list(info.get("target_elements") or [])
    elements += [{}] * (len(raw) - len(elements))
    shown = [(visible_boxes(b), e) for b, e in zip(raw, elements)]
    shown = [(b[0], e) for b, e in shown if len(b)]
    if not shown:
        return None
    boxes = np.array([b for b, _ in shown], dtype=np.float32)
    w, h = env.unwrapped.viewport
    return {"image": {"bytes": _png(obs["screenshot"]), "path": None}, "instruction": obs["instruction"],
            "target_boxes": boxes.tolist(), "target_boxes_px": to_pixels(boxes, (w, h)).astype(np.float32).tolist(),
            "target_roles": [str(e.get("role") or "") for _, e in shown],
            "target_names": [str(e.get("name") or "") for _, e in shown],
            "task": task, "source": source_of(task), "seed": int(seed), "viewport_width": int(w),
            "viewport_height": int(h), "blocked_requests": int(info.get("blocked_requests", 0))}


def _record_shard(job: tuple) -> tuple[str, list[dict], list[int], float]:
    name, task, seeds, viewport = job
    t0 = time.perf_counter()
    env = _env(task, viewport)
    rows, skipped = [], []
    for s in seeds:
        row = record_episode(env, task, s)
        if row is None:
            skipped.append(s)
        else:
            rows.append(row)
    return name, rows, skipped, time.perf_counter() - t0


def _check_task(task: str, viewport: tuple[int, int], seed: int) -> None:
    """A task the recorder cannot use (no target boxes on its first episode) fails before any work."""
    env = _env(task, viewport)
    _, info = env.reset(seed=seed)
    if len(visible_boxes(info.get("target_boxes", np.zeros((0, 4))))) == 0:
        raise ValueError(f"task {task!r} reports no target boxes on screen (seed {seed}); the recorder needs a task "
                         "with target boxes (own tasks, MiniWoB++ tasks with a plan: docs/miniwob.md, grounding pages)")


# --- the parent side -----------------------------------------------------------------------
def _slug(task: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in task)[:60]
    return f"{safe}-{hashlib.sha1(task.encode()).hexdigest()[:8]}"


def plan_shards(tasks: Sequence[str], test_tasks: Sequence[str], train_seeds: Sequence[int], test_seeds: Sequence[int],
                shard_size: int) -> list[tuple[str, str, str, list[int]]]:
    """``(shard name, split, task, seeds)`` of every shard, in a fixed order."""
    plan = []
    for split, split_tasks, seeds in (("train", tasks, train_seeds), ("test", tasks, test_seeds),
                                      ("test_tasks", test_tasks, test_seeds)):
        for task in split_tasks:
            for start in range(0, len(seeds), shard_size):
                chunk = list(seeds[start:start + shard_size])
                plan.append((f"{split}/{_slug(task)}/{chunk[0]}-{chunk[-1]}-{len(chunk)}", split, task, chunk))
    return plan


def _save_shard(folder: Path, rows: list[dict], skipped: list[int]) -> None:
    from datasets import Dataset

    from rewardgym.envs.gui.dataset import features

    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    columns = {k: [r[k] for r in rows] for k in features()}
    Dataset.from_dict(columns, features=features()).save_to_disk(str(tmp))
    (tmp / "skipped.json").write_text(json.dumps(skipped))
    os.replace(tmp, folder)


def record(out: str | Path, tasks: Sequence[str], train_seeds: Sequence[int], test_seeds: Sequence[int],
           test_tasks: Sequence[str] = (), viewport: tuple[int, int] = (160, 210), processes: int | None = None,
           shard_size: int = 100, progress: bool = True) -> dict:
    """Records the dataset into ``out`` (resuming its finished shards); returns the manifest.

    Raises:
        ValueError / FileNotFoundError: a bad task, seeds that overlap or are empty, a task without
            target boxes, or an ``out`` recorded with other settings (naming them).
    """
    try:
        import datasets
        from datasets import DatasetDict, concatenate_datasets, load_from_disk
    except ImportError as err:
        raise ImportError("the recorder needs the `datasets` package: pip install 'rewardgym[gui]'") from err
    datasets.disable_progress_bars()  # the recorder's own bar counts episodes
    tasks, test_tasks = list(dict.fromkeys(tasks)), list(dict.fromkeys(test_tasks))
    if not tasks:
        raise ValueError("give at least one task to record")
    both = sorted(set(tasks) & set(test_tasks))
    if both:
        raise ValueError(f"tasks {both} are both training and held-out tasks")
    if not train_seeds or not test_seeds:
        raise ValueError(f"train and test seeds must both be given, got {len(train_seeds)} and {len(test_seeds)}")
    overlap = sorted(set(train_seeds) & set(test_seeds))
    if overlap:
        raise ValueError(f"train and test seeds overlap (e.g. {overlap[:5]}): held-out seeds must be unseen")
    if isinstance(shard_size, bool) or int(shard_size) != shard_size or shard_size < 1:
        raise ValueError(f"shard_size must be an integer >= 1, got {shard_size!r}")
    viewport = (int(viewport[0]), int(viewport[1]))
    if min(viewport) < 16:
        raise ValueError(f"viewport must be at least 16x16 pixels, got {viewport}")
    for t in tasks + test_tasks:
        task_kwargs(t)  # names a bad entry before any browser starts
    out = Path(out)
    settings = {"tasks": tasks, "test_tasks": test_tasks, "viewport": list(viewport), "shard_size": int(shard_size),
                "train_seeds": _seed_digest(train_seeds), "test_seeds": _seed_digest(test_seeds)}
    settings_file = out / "settings.json"
    if settings_file.exists() and json.loads(settings_file.read_text()) != settings:
        raise ValueError(f"{str(out)!r} holds a recording with other settings ({settings_file}); use another --out "
                         "or delete it")
    (out / "shards").mkdir(parents=True, exist_ok=True)
    settings_file.write_text(json.dumps(settings, indent=1))
    for f in (out / MANIFEST, ):
        f.unlink(missing_ok=True)  # from here on the folder is an unfinished recording

    try:
        for t in tasks + test_tasks:
            _check_task(t, viewport, int(train_seeds[0]))
    finally:
        _close_envs()  # the workers record; this process's Chromium is not needed any more
    plan = plan_shards(tasks, test_tasks, train_seeds, test_seeds, int(shard_size))
    todo = [p for p in plan if not (out / "shards" / p[0]).is_dir()]
    total = sum(len(p[3]) for p in plan)
    done_before = total - sum(len(p[3]) for p in todo)
    t0 = time.perf_counter()
    recorded_now = _run_shards(out, todo, viewport, processes, progress, total, done_before)
    wall = time.perf_counter() - t0

    splits: dict[str, list] = {}
    skipped = 0
    for name, split, task, seeds in plan:
        part = load_from_disk(str(out / "shards" / name))
        skipped += len(seeds) - len(part)
        splits.setdefault(split, []).append(part)
    data = DatasetDict({s: concatenate_datasets(parts) for s, parts in splits.items()})
    empty = [s for s, d in data.items() if len(d) == 0]
    if empty:
        raise ValueError(f"split(s) {empty} got no episode with a target on screen")
    tmp = out / "dataset.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    data.save_to_disk(str(tmp))
    shutil.rmtree(out / "dataset", ignore_errors=True)
    os.replace(tmp, out / "dataset")
    manifest = {"settings": settings, "rows": {s: len(d) for s, d in data.items()},
                "tasks": {s: sorted(set(d["task"])) for s, d in data.items()},
                "skipped_no_target_on_screen": skipped, "recorded_this_run": recorded_now,
                "episodes_per_second_this_run": recorded_now / wall if recorded_now else None,
                "blocked_requests": int(sum(sum(d["blocked_requests"]) for d in data.values()))}
    (out / (MANIFEST + ".tmp")).write_text(json.dumps(manifest, indent=1))
    os.replace(out / (MANIFEST + ".tmp"), out / MANIFEST)
    return manifest


def _seed_digest(seeds: Sequence[int]) -> str:
    return f"{len(seeds)}:{hashlib.sha1(','.join(map(str, seeds)).encode()).hexdigest()[:12]}"


def _close_envs() -> None:
    for env in _ENVS.values():
        env.close()
    _ENVS.clear()


def _run_shards(out: Path, todo: list, viewport, processes: int | None, progress: bool, total: int,
                done_before: int) -> int:
    from tqdm import tqdm

    if not todo:
        return 0
    processes = max(1, min(processes or os.cpu_count() or 1, len(todo)))
    bar = tqdm(total=total, initial=done_before, unit="ep", desc="recording", disable=not progress, smoothing=0.1)
    jobs = [(name, task, seeds, viewport) for name, _, task, seeds in todo]
    count, pool = 0, None
    try:
        if processes == 1:
            results = map(_record_shard, jobs)
        else:
            pool = mp.get_context("forkserver").Pool(processes)
            results = pool.imap_unordered(_record_shard, jobs)
        for name, rows, skipped, _ in results:
            _save_shard(out / "shards" / name, rows, skipped)
            count += len(rows) + len(skipped)
            bar.update(len(rows) + len(skipped))
        if pool is not None:
            pool.close()
            pool.join()
            pool = None
    finally:
        if pool is not None:  # interrupted: the finished shards are saved, the workers stop
            pool.terminate()
        bar.close()
        _close_envs()  # processes=1 recorded here
    return count


def main(argv: list[str] | None = None) -> int:
    from rewardgym.errors import BadInput, user_input

    p = argparse.ArgumentParser(prog="rewardgym-record-grounding", description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="output folder (a rerun of the same command resumes it)")
    p.add_argument("--tasks", required=True, help="comma list of task entries (own, miniwob/<name>, grounding:<page>, "
                                                  "folder:<dir>)")
    p.add_argument("--test-tasks", default="", help="held-out tasks: recorded on the test seeds only (split test_tasks)")
    p.add_argument("--train-seeds", default="0:1000", help="e.g. 0:1000")
    p.add_argument("--test-seeds", default="1000000:1000100", help="held-out seeds, e.g. 1000000:1000100")
    p.add_argument("--viewport", default="160x210", help="WIDTHxHEIGHT in pixels")
    p.add_argument("--processes", type=int, default=None, help="worker processes (default: one per core)")
    p.add_argument("--shard-size", type=int, default=100)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    a = p.parse_args(argv)
    prog = p.prog
    try:
        with user_input("record"):
            w, _, h = a.viewport.partition("x")
            try:
                viewport = (int(w), int(h))
            except ValueError:
                raise ValueError(f"--viewport must be WIDTHxHEIGHT, e.g. 160x210, got {a.viewport!r}") from None
            if a.processes is not None and a.processes < 1:
                raise ValueError(f"--processes must be >= 1, got {a.processes}")
            tasks = [t.strip() for t in a.tasks.split(",") if t.strip()]
            test_tasks = [t.strip() for t in a.test_tasks.split(",") if t.strip()]
            manifest = record(a.out, tasks, parse_seeds(a.train_seeds), parse_seeds(a.test_seeds), test_tasks,
                              viewport, a.processes, a.shard_size, progress=not a.quiet and sys.stderr.isatty())
    except BadInput as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 2
    rate = manifest["episodes_per_second_this_run"]
    print(f"[{prog}] {a.out}: rows {manifest['rows']}, skipped {manifest['skipped_no_target_on_screen']} "
          f"(no target on screen)" + (f", {rate:.1f} episodes/s" if rate else ", nothing left to record"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
