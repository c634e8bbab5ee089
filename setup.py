"""Maps the repository's top-level folders into the one ``rewardgym`` import namespace.

``envs/`` -> ``rewardgym.envs``, ``reward_wrappers/`` -> ``rewardgym.reward_wrappers``,
``agents/`` -> ``rewardgym.agents``, ``reward_quality/`` -> ``rewardgym.reward_quality``,
``clip_training/`` -> ``rewardgym.clip_training``; ``conf/`` and ``assets/`` ship as package data
(``rewardgym.conf``, ``rewardgym.assets``). Works for ``pip install -e .`` and wheels.
"""
from pathlib import Path

from setuptools import find_namespace_packages, setup

HERE = Path(__file__).parent
ROOTS = {
    "rewardgym": "rewardgym",
    "rewardgym.envs": "envs",
    "rewardgym.reward_wrappers": "reward_wrappers",
    "rewardgym.agents": "agents",
    "rewardgym.reward_quality": "reward_quality",
    "rewardgym.clip_training": "clip_training",
    "rewardgym.conf": "conf",
    "rewardgym.assets": "assets",
}
EXCLUDE = ["__pycache__", "*.__pycache__", "*.egg-info"]

packages = []
for package, folder in ROOTS.items():
    packages.append(package)
    packages += [f"{package}.{sub}" for sub in find_namespace_packages(str(HERE / folder), exclude=EXCLUDE)]

setup(
    packages=packages,
    package_dir=ROOTS,
    package_data={
        "rewardgym.conf": ["*.yaml", "**/*.yaml"],
        "rewardgym.assets": ["*", "**/*"],
    },
    include_package_data=True,
)
