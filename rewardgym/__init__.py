"""rewardgym: Gymnasium environments whose rewards come from what a model sees.

Importing this package registers every environment with Gymnasium and nothing else:
no MuJoCo, torch or Playwright is imported until an environment or reward is built.

>>> import gymnasium as gym
>>> import rewardgym
>>> gym.register_envs(rewardgym)
>>> "rewardgym/HumanoidPose-v0" in gym.registry
True

Every task also has an id of its own, for tools that take nothing but an id string (CleanRL's
``--env-id``, RL Zoo's ``--env``, RLlib): ``rewardgym/<Family><Task>-v0``, where ``<Family>`` is
``Humanoid``, ``Manipulation``, ``Browser``, ``MetaWorld`` or ``Fetch`` and ``<Task>`` is the task name in CamelCase
(words split at ``_``, ``-`` and ``/``). ``gym.make("rewardgym/HumanoidKneel-v0")`` is
``gym.make("rewardgym/HumanoidPose-v0", task="kneel")``, with the same time limit:

>>> task_env_id("rewardgym/Browser-v0", "miniwob/click-test-2")
'rewardgym/BrowserMiniwobClickTest2-v0'
>>> gym.spec("rewardgym/ManipulationPickPlace-v0").kwargs
{'task': 'pick_place'}
"""
from __future__ import annotations

from gymnasium.envs.registration import register, registry

__version__ = "0.1.0"
__all__ = ["__version__", "register_envs", "task_env_id", "ENV_IDS", "TASK_ENV_IDS"]

# id -> (entry point, registration keyword arguments). Entry points are strings so that
# registering imports nothing heavy. Each family keeps to its own block.
_ENVS: dict[str, tuple[str, dict]] = {
    # --- MuJoCo humanoid pose tasks (envs/mujoco/humanoid_pose_v0.py) ---
    "rewardgym/HumanoidPose-v0": (
        "rewardgym.envs.mujoco.humanoid_pose_v0:HumanoidPoseEnv",
        {"max_episode_steps": 100},
    ),
    # --- MuJoCo manipulation tasks (envs/mujoco/manipulation_v0.py) ---
    "rewardgym/Manipulation-v0": (
        "rewardgym.envs.mujoco.manipulation_v0:ManipulationEnv",
        {"max_episode_steps": 100},
    ),
    # --- Browser GUI tasks (envs/browser/browser_v0.py) ---
    "rewardgym/Browser-v0": (
        "rewardgym.envs.browser.browser_v0:BrowserEnv",
        {"max_episode_steps": 10},
    ),
    # --- Meta-World v3 tasks, unedited, with rewardgym's task facts (envs/metaworld/; extra `metaworld`) ---
    "rewardgym/MetaWorld-v0": (
        "rewardgym.envs.metaworld.env:MetaWorldEnv",
        {"max_episode_steps": 500},
    ),
    # --- Gymnasium-Robotics Fetch tasks, unedited, flat observations (envs/fetch/; extra `robotics`) ---
    "rewardgym/Fetch-v0": (
        "rewardgym.envs.fetch.env:FetchEnv",
        {"max_episode_steps": 50},
    ),
    # --- GUI grounding from a recorded dataset, no browser (envs/gui/grounding_v0.py) ---
    "rewardgym/Grounding-v0": (
        "rewardgym.envs.gui.grounding_v0:GroundingEnv",
        {},
    ),
}

ENV_IDS: tuple[str, ...] = tuple(_ENVS)

# family id -> (prefix of its per-task ids, its task names). Literal copies of the task tables
# (humanoid_tasks.TASKS, manipulation_tasks.TASKS, browser tasks.OWN_TASKS + "miniwob/" +
# MINIWOB_TASKS) so that registering imports none of them; tests/test_registration.py checks
# that they match.
_TASKS: dict[str, tuple[str, tuple[str, ...]]] = {
    "rewardgym/HumanoidPose-v0": ("Humanoid", (
        "stand", "kneel", "sit", "lotus", "splits", "arms_raised", "lie_down", "one_leg")),
    "rewardgym/Manipulation-v0": ("Manipulation", (
        "reach", "push", "pick_place", "stack", "drawer_open", "button_press")),
    "rewardgym/Browser-v0": ("Browser", (
        "click-button", "click-shape", "click-red", "click-checkbox", "click-link", "click-icon",
        "click-scroll-item", "miniwob/click-test", "miniwob/click-test-2", "miniwob/click-test-transfer",
        "miniwob/click-button", "miniwob/click-link", "miniwob/click-dialog-2", "miniwob/focus-text",
        "miniwob/focus-text-2", "miniwob/click-color", "miniwob/click-tab")),
    "rewardgym/MetaWorld-v0": ("MetaWorld", (
        "reach", "push", "pick-place", "button-press-topdown", "button-press", "drawer-open", "door-open",
        "plate-slide", "handle-press", "faucet-open", "lever-pull")),
    "rewardgym/Fetch-v0": ("Fetch", ("reach", "push", "pick_and_place", "slide")),
}


def task_env_id(family_id: str, task: str) -> str:
    """The id of one task of a family: ``rewardgym/<Family><Task>-v0`` (see the module doc)."""
    if family_id not in _TASKS:
        raise ValueError(f"unknown env family {family_id!r}; choose one of {sorted(_TASKS)}")
    prefix, _ = _TASKS[family_id]
    words = task.replace("/", " ").replace("-", " ").replace("_", " ").split()
    version = family_id.rsplit("-", 1)[1]
    return f"rewardgym/{prefix}{''.join(w[:1].upper() + w[1:] for w in words)}-{version}"


# per-task id -> (family id, task name)
TASK_ENV_IDS: dict[str, tuple[str, str]] = {
    task_env_id(family, task): (family, task) for family, (_, tasks) in _TASKS.items() for task in tasks}


def register_envs() -> None:
    """Register every rewardgym environment: each family and each task (idempotent; done on import)."""
    for env_id, (entry_point, kwargs) in _ENVS.items():
        if env_id not in registry:
            register(id=env_id, entry_point=entry_point, **kwargs)
    for env_id, (family, task) in TASK_ENV_IDS.items():
        if env_id not in registry:
            entry_point, kwargs = _ENVS[family]
            register(id=env_id, entry_point=entry_point, kwargs={"task": task}, **kwargs)


register_envs()
