"""The folder rules of the design ("which folder may use which"), import cycles, light imports.

The import graph is read from the source with ``ast`` (every import, also those inside
functions), mapping each folder to its ``rewardgym.*`` package as ``setup.py`` does.
"""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
# the folder -> package map, read from setup.py (which cannot be imported: it runs setup())
ROOTS = next(ast.literal_eval(node.value) for node in ast.parse((ROOT / "setup.py").read_text()).body
             if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "ROOTS")

# package prefix -> prefixes it must never import (directly or lazily)
FORBIDDEN = {
    "rewardgym.envs": ["rewardgym.reward_wrappers", "rewardgym.agents", "rewardgym.reward_quality",
                       "rewardgym.clip_training", "stable_baselines3"],
    "rewardgym.envs.mujoco": ["rewardgym.envs.browser"],
    "rewardgym.envs.browser": ["rewardgym.envs.mujoco"],
    "rewardgym.reward_wrappers": ["rewardgym.agents", "rewardgym.reward_quality", "rewardgym.clip_training",
                                  "stable_baselines3"],
    "rewardgym.agents": ["rewardgym.reward_quality", "rewardgym.clip_training"],
}


def _modules() -> dict[str, Path]:
    out = {}
    for package, folder in ROOTS.items():
        if package in ("rewardgym.conf", "rewardgym.assets"):
            continue
        for path in (ROOT / folder).rglob("*.py"):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join([package] + parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module ``name`` imports, absolute, with ``from pkg import mod`` resolved to ``pkg.mod``."""
    is_pkg = path.name == "__init__.py"
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            out.add(target)
            out |= {f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES}
    return out


GRAPH = {name: {m for m in _imports(name, path)} for name, path in MODULES.items()}


def test_the_map_finds_every_package():
    assert {"rewardgym", "rewardgym.envs.mujoco.humanoid_pose_v0", "rewardgym.reward_wrappers.batched",
            "rewardgym.agents.train", "rewardgym.reward_quality.app", "rewardgym.clip_training.train"} <= set(MODULES)


@pytest.mark.parametrize("owner", sorted(FORBIDDEN))
def test_folder_rules(owner):
    bad = [(mod, imp) for mod, imps in GRAPH.items() if mod == owner or mod.startswith(owner + ".")
           for imp in imps for banned in FORBIDDEN[owner] if imp == banned or imp.startswith(banned + ".")]
    assert not bad, f"{owner} may not import these: {bad}"


def test_the_rule_check_can_fail():
    assert any(imp.startswith("rewardgym.reward_wrappers") for imp in GRAPH["rewardgym.agents.env_factory"])


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), within the package."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    # a package importing its own submodules (``__init__`` re-exports) is not a cycle worth naming
    graph = {m: {i for i in imps if not i.startswith(m + ".")} for m, imps in GRAPH.items()}
    assert _cycles(graph) == []
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]], "the check itself finds a cycle"


LIGHT = r"""
import sys
class NoSB3:
    def find_spec(self, name, path=None, target=None):
        if name == "stable_baselines3" or name.startswith("stable_baselines3."):
            raise ImportError(f"{name} is blocked in this test")
sys.meta_path.insert(0, NoSB3())
import functools
import gymnasium as gym
import numpy as np
import rewardgym.reward_wrappers.base, rewardgym.reward_wrappers.batched, rewardgym.reward_wrappers.vector
import rewardgym.reward_wrappers.gaussian, rewardgym.reward_wrappers.constant, rewardgym.reward_wrappers.keypoint
import rewardgym.reward_wrappers.clip
from rewardgym.reward_wrappers.batched import BatchedReward, ModelInputWrapper
from rewardgym.reward_wrappers.vector import wrap_vector_env

class Obs(ModelInputWrapper):
    def model_input(self, obs, info, done):
        return float(obs[2])

def scorer():
    return lambda xs: (-np.abs(np.asarray(xs)), {})

class Upright(BatchedReward):
    wrapper, scorer = Obs, staticmethod(scorer)

reward = Upright()
envs = wrap_vector_env(gym.vector.SyncVectorEnv([lambda: reward(gym.make("CartPole-v1"))] * 2), reward)
envs.reset(seed=0)
_, r, *_ = envs.step(np.zeros(2, dtype=int))
assert r.shape == (2,) and np.all(r <= 0), r
assert "stable_baselines3" not in sys.modules
print("ok")
"""


def test_reward_wrappers_and_the_gymnasium_vector_path_work_without_stable_baselines3():
    out = subprocess.run([sys.executable, "-c", LIGHT], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_import_rewardgym_is_light():
    code = ("import sys, rewardgym, gymnasium as gym; gym.register_envs(rewardgym); "
            "print(sorted(m for m in ('torch', 'mujoco', 'playwright', 'open_clip', 'stable_baselines3') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stdout + out.stderr
