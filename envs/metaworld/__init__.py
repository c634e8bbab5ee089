"""Meta-World v3 tasks in rewardgym (``rewardgym/MetaWorld-v0``, ``env=mw_<task>``); needs the
``metaworld`` extra. Importing this package imports neither Meta-World nor MuJoCo."""
from .tasks import TASKS, MWTask

__all__ = ["TASKS", "MWTask", "MetaWorldEnv"]


def __getattr__(name):
    if name == "MetaWorldEnv":
        from .env import MetaWorldEnv

        return MetaWorldEnv
    raise AttributeError(name)
