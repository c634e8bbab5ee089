"""Gymnasium-Robotics Fetch tasks in rewardgym (``rewardgym/Fetch-v0``, ``env=fetch_<task>``); needs
the ``robotics`` extra. Importing this package imports neither Gymnasium-Robotics nor MuJoCo."""
from .tasks import TASKS, FetchTask

__all__ = ["TASKS", "FetchTask", "FetchEnv"]


def __getattr__(name):
    if name == "FetchEnv":
        from .env import FetchEnv

        return FetchEnv
    raise AttributeError(name)
