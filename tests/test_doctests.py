"""Every docstring example in the package runs (``>>>`` lines; ``# doctest: +SKIP`` marks the
ones that need a browser, a model on disk or a long run)."""
import doctest
import importlib
import pkgutil

import gymnasium as gym
import numpy as np
import pytest

import rewardgym

PACKAGES = ["rewardgym", "rewardgym.envs", "rewardgym.reward_wrappers", "rewardgym.agents",
            "rewardgym.reward_quality", "rewardgym.clip_training"]


def _module_names() -> list[str]:
    names = set()
    for package in PACKAGES:
        pkg = importlib.import_module(package)
        names.add(package)
        names |= {m.name for m in pkgutil.walk_packages(pkg.__path__, prefix=package + ".")}
    return sorted(names)


MODULES = _module_names()


def test_the_walk_finds_modules_with_examples():
    assert {"rewardgym.reward_wrappers.batched", "rewardgym.envs.mujoco.tolerance", "rewardgym.errors"} <= set(MODULES)
    found = doctest.DocTestFinder(exclude_empty=True).find(importlib.import_module("rewardgym.reward_wrappers.batched"))
    assert sum(len(t.examples) for t in found) >= 10, "the examples below are really collected"


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = finder.find(module, name, globs={"gym": gym, "np": np, **vars(module)})
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples of {name} failed"
