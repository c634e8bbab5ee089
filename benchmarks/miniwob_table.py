"""Writes ``docs/miniwob.md``: every MiniWoB++ task of the installed ``miniwob`` package, whether it
is playable in ``rewardgym/Browser-v0``, whether it has target boxes, and the scripted oracle's
success over N seeds (``envs/browser/miniwob_oracle.py``, through ``action_type="gui"`` steps).

* **playable**: ``reset`` gives an instruction on seeds 0 and 1, and a ``noop`` step returns the
  task's own state (reward, done, success) without a page failure;
* **target boxes**: the task has a plan, and ``reset`` reports at least one box on every seed;
* **oracle**: success rate of :func:`~rewardgym.envs.browser.miniwob_oracle.run_episode` over
  seeds ``0 .. N-1`` (the env's own ``info["success"]``), acting with strings (``free_text=True``);
* **vector form**: the same oracle acting only through the ``Box(9,)`` vectors a stable-baselines3
  agent sends (``free_text=False``, ``run_episode(..., vector=True)``: vocabulary entries, or text
  one character key at a time); ``--no-vector`` skips it.

One Chromium serves every task (a keeper env holds it). Heavy: run it niced::

    nice -n 10 .venv/bin/python benchmarks/miniwob_table.py [--seeds 20] [--out docs/miniwob.md] [--json rows.json]

``--tasks a b --merge rows.json`` re-measures only those tasks and writes the whole table with the
other rows taken from an earlier run's ``--json`` file; ``--from-json rows.json`` writes the table
of an earlier run again, measuring nothing.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from rewardgym.envs.browser import miniwob
from rewardgym.envs.browser.actions import GuiAction
from rewardgym.envs.browser.browser_v0 import BrowserEnv
from rewardgym.envs.browser.miniwob_oracle import run_episode

COMMAND = "nice -n 10 .venv/bin/python benchmarks/miniwob_table.py --seeds 20"


def vector_rate(name: str, seeds: int) -> tuple[float, str]:
    """The oracle's success through the vector form, and why it missed (the distinct reasons)."""
    env = BrowserEnv(task=f"miniwob/{name}", action_type="gui", free_text=False, max_steps=300)
    try:
        results = [run_episode(env, seed, vector=True) for seed in range(seeds)]
    finally:
        env.close()
    return sum(r.success for r in results) / seeds, "; ".join(sorted({r.why for r in results if not r.success}))


def measure(name: str, seeds: int, vector: bool = True) -> dict:
    row = {"task": name, "playable": False, "boxes": False, "oracle": None, "vector": None, "why": "", "vector_why": ""}
    env = BrowserEnv(task=f"miniwob/{name}", action_type="gui", free_text=True, max_steps=80)
    try:
        has_boxes = []
        for seed in (0, 1):
            obs, info = env.reset(seed=seed)
            has_boxes.append(len(info["target_boxes"]) > 0)
            if not obs["instruction"]:
                raise RuntimeError("empty instruction")
            _, reward, _, _, info = env.step(GuiAction("noop"))
            if "failure" in info:
                raise RuntimeError(info["failure"])
        row["playable"] = True
        if name in miniwob.planned_tasks():
            results = [run_episode(env, seed) for seed in range(seeds)]
            row["oracle"] = sum(r.success for r in results) / seeds
            row["boxes"] = all(has_boxes)
            fails = sorted({r.why for r in results if not r.success})
            row["why"] = "; ".join(fails)
            if vector:
                row["vector"], row["vector_why"] = vector_rate(name, seeds)
    except Exception as err:  # a broken task is a row of the table, not the end of the run
        row["why"] = f"{type(err).__name__}: {str(err).splitlines()[0][:160]}"
    finally:
        env.close()
    return row


def notes(row: dict) -> str:
    name = row["task"]
    parts = []
    if name in miniwob.SUCCESS_THRESHOLDS:
        threshold, why = miniwob.SUCCESS_THRESHOLDS[name]
        parts.append(f"success: raw reward >= {threshold:g} ({why})")
    if name in miniwob.NOTES:
        parts.append(miniwob.NOTES[name])
    if row["oracle"] is not None and row["oracle"] < 1 and row["why"]:
        parts.append(f"oracle misses: {row['why']}")
    if row.get("vector") is not None and row["vector"] < 1 and row.get("vector_why"):
        parts.append(f"vector-form misses: {row['vector_why']}")
    if not row["playable"] and row["why"]:
        parts.append(row["why"])
    if row.get("earlier"):
        was = ", ".join(f"{'oracle' if k == 'oracle' else 'vector form'} {v:.0%}"
                        for k, v in row["earlier"].items() if v is not None)
        parts.append(f"re-measured in a later run (--tasks ... --merge); the full run had: {was}")
    return "; ".join(parts).replace("|", "/")


def markdown(rows: list[dict], seeds: int, seconds: float) -> str:
    playable = sum(r["playable"] for r in rows)
    boxed = [r for r in rows if r["boxes"]]
    good = sum(r["oracle"] is not None and r["oracle"] >= 0.9 for r in boxed)
    strong = [r for r in boxed if r["oracle"] is not None and r["oracle"] >= 0.9]
    vector_good = sum(r.get("vector") is not None and r["vector"] >= 0.9 for r in strong)
    vector_measured = sum(r.get("vector") is not None for r in strong)
    lines = [
        "# MiniWoB++ tasks in `rewardgym/Browser-v0`",
        "",
        "Every task page of the installed `miniwob` package, as `task=\"miniwob/<name>\"` (catalogue, success",
        "rule and quirks: `envs/browser/miniwob.py`; target boxes and plans: `assets/browser/miniwob_core.js`,",
        "`miniwob_plans.js` and `miniwob_plans_forms.js`; oracle: `envs/browser/miniwob_oracle.py`). Made by",
        "",
        "```bash",
        COMMAND,
        "```",
        "",
        "(`--tasks a b --merge rows.json` re-measures some tasks and keeps the other rows of an earlier",
        f"`--json rows.json` run.) Time: {seconds / 60:.0f} minutes on the shared 2-core machine. **{playable}** of "
        f"{len(rows)} tasks",
        f"playable, **{len(boxed)}** with target boxes, the oracle solves **>= 90%** of {seeds} seeds on "
        f"**{good}** of those; acting only through the SB3 vector form, it solves >= 90% on **{vector_good}** of "
        f"those {good} ({vector_measured} measured).",
        "",
        "*playable*: `reset` gives an instruction (seeds 0, 1) and a `noop` step returns the task's own",
        "state. *target boxes*: the task has a plan and `reset` reports its box(es). *oracle*: the env's",
        f"own `info[\"success\"]` over seeds 0-{seeds - 1}, acting only through `action_type=\"gui\"` steps",
        "(`free_text=True`: it types the text it read off the page). *vector form*: the same oracle",
        "sending only the `Box(9,)` vectors of `action_type=\"gui\"` (`actions.encode`, `free_text=False`):",
        "text in the episode's vocabulary in one `type`, any other text one character key at a time",
        "(the typing rule of docs/browser.md). Success is `raw reward > 0` unless the notes give a",
        "threshold (the partial-credit rewards). Pages are laid out 500 px wide (the package's window) and",
        "210 px tall; the screenshot is their top-left 160x210 task area.",
        "",
        "| task | playable | target boxes | oracle success | vector form | notes |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        oracle = "-" if r["oracle"] is None else f"{r['oracle']:.0%}"
        vec = "-" if r.get("vector") is None else f"{r['vector']:.0%}"
        lines.append(f"| {r['task']} | {'yes' if r['playable'] else 'no'} | {'yes' if r['boxes'] else 'no'} "
                     f"| {oracle} | {vec} | {notes(r)} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--tasks", nargs="*", default=None, help="a subset (default: every task)")
    ap.add_argument("--out", default="docs/miniwob.md")
    ap.add_argument("--json", default=None, help="also write the rows as JSON here")
    ap.add_argument("--merge", default=None, help="rows of an earlier --json run for the tasks not re-measured")
    ap.add_argument("--no-vector", action="store_true", help="skip the vector-form oracle column")
    ap.add_argument("--from-json", default=None, help="write --out from an earlier --json run, measuring nothing")
    a = ap.parse_args(argv)
    try:
        if a.seeds < 1:
            raise ValueError(f"--seeds must be >= 1, got {a.seeds}")
        names = [miniwob.check_name(n) for n in a.tasks] if a.tasks else list(miniwob.task_names())
    except ValueError as err:  # bad input: one line, exit code 2
        print(f"miniwob_table.py: {err}", file=sys.stderr)
        return 2
    if a.from_json:  # the table again (e.g. after a change of the notes), from measured rows
        done = json.loads(Path(a.from_json).read_text())
        Path(a.out).write_text(markdown(done["rows"], done["seeds"], done["seconds"]))
        print(f"wrote {a.out}")
        return 0
    keeper = BrowserEnv(task="miniwob/click-test")  # holds the process's Chromium between tasks
    keeper.reset(seed=0)
    start, rows = time.monotonic(), []
    try:
        for name in names:
            t = time.monotonic()
            rows.append(measure(name, a.seeds, vector=not a.no_vector))
            r = rows[-1]
            print(f"{name}: playable={r['playable']} boxes={r['boxes']} oracle={r['oracle']} vector={r['vector']} "
                  f"{time.monotonic() - t:.1f}s {r['why']} {r['vector_why']}", flush=True)
    finally:
        keeper.close()
    seconds = time.monotonic() - start
    if a.merge:
        earlier = json.loads(Path(a.merge).read_text())
        seconds += earlier.get("seconds", 0.0)
        fresh = {r["task"]: r for r in rows}
        old = {r["task"]: r for r in earlier["rows"]}
        for name, r in fresh.items():  # keep what the earlier run measured, for the notes
            if name in old:
                r["earlier"] = old[name].get("earlier") or {k: old[name].get(k) for k in ("oracle", "vector")}
        rows = [fresh.get(n) or old[n] for n in miniwob.task_names() if n in fresh or n in old]
    if a.json:
        Path(a.json).write_text(json.dumps({"seeds": a.seeds, "seconds": seconds, "rows": rows}, indent=1))
    if a.tasks is None or a.merge or a.out != "docs/miniwob.md":
        Path(a.out).write_text(markdown(rows, a.seeds, seconds))
        print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
