"""Captions from ground truth: each scene state gets a class label, each label several paraphrases.

A frame's label comes from simulator state (the humanoid's pose tests, the pole angle, the
car position). Training captions are drawn at random from the label's *train* paraphrases at
every epoch; the last ``HELD_OUT`` paraphrases of each label are never trained on and are used
only for evaluation, so the model must learn what the words mean rather than one string per
class. Each humanoid task's own goal prompts (``humanoid_tasks.TASKS[name].goal_prompts``, what
``env.unwrapped.goal_prompts`` returns) are read from the task table and put first among its
train paraphrases, and the tasks' baseline prompt (``humanoid_tasks.BASE``) first among
"other"'s, so the CLIP reward's default prompts are in the model's vocabulary of sentences.
CartPole's goal prompt comes likewise from ``rewardgym.envs.classic.TASKS`` (Gymnasium's envs
carry no prompts).
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rewardgym.envs.classic import TASKS as CLASSIC
from rewardgym.envs.mujoco.humanoid_tasks import BASE, TASKS

HELD_OUT = 2  # paraphrases per label kept for the test split

# humanoid pose label -> paraphrases after the task's own goal prompts (the last HELD_OUT are held out)
HUMANOID_MORE: dict[str, list[str]] = {
    "stand": ["a humanoid robot standing upright", "a robot standing on both feet",
              "a humanoid standing straight with its arms down", "a standing humanoid robot",
              "a humanoid robot upright on its two feet"],
    "kneel": ["a humanoid robot on its knees", "a robot kneeling on the floor",
              "a kneeling humanoid robot", "a humanoid robot kneeling down with its torso upright",
              "a humanoid resting on both knees"],
    "sit": ["a humanoid robot sitting with its legs stretched out",
            "a robot seated on the ground", "a sitting humanoid robot",
            "a humanoid robot sitting down on the ground", "a humanoid seated on the floor, legs in front"],
    "lotus": ["a humanoid robot in the lotus position",
              "a robot sitting cross-legged", "a humanoid robot meditating with crossed legs",
              "a humanoid robot sitting cross-legged on the floor", "a meditating humanoid in lotus pose"],
    "splits": ["a humanoid robot with its legs spread wide apart",
               "a robot doing the splits on the floor", "a humanoid in a split with one leg forward and one back",
               "a humanoid robot stretching into the splits", "a robot with its legs split far apart"],
    "arms_raised": ["a humanoid robot raising both arms",
                    "a robot with its hands above its head", "a humanoid robot holding its arms up",
                    "a standing humanoid robot with arms raised above the head", "a robot lifting both hands up high"],
    "lie_down": ["a humanoid robot lying flat on the floor",
                 "a robot lying on the ground", "a fallen humanoid robot lying down",
                 "a humanoid robot lying on the floor", "a robot stretched out flat on the ground"],
    "one_leg": ["a humanoid robot balancing on one foot",
                "a robot standing with one leg lifted", "a humanoid robot with one knee raised",
                "a humanoid robot standing on a single leg", "a robot balancing on one leg"],
    "other": ["a humanoid robot in an awkward pose", "a humanoid robot falling over",
              "a humanoid robot crouching", "a humanoid robot in an odd position", "a robot in a strange pose"],
}


def humanoid_paraphrases(tasks: Mapping = TASKS, baseline: tuple[str, ...] = BASE) -> dict[str, list[str]]:
    """Pose label -> paraphrases: each task's ``goal_prompts`` from the task table, then
    ``HUMANOID_MORE``; "other" starts with the baseline prompts."""
    own = {name: list(task.goal_prompts) for name, task in tasks.items()}
    own["other"] = list(baseline)
    return {label: own[label] + more for label, more in HUMANOID_MORE.items()}


# label -> paraphrases; the last HELD_OUT of each list are held out
PARAPHRASES: dict[str, list[str]] = {
    # humanoid (labels = pose task names, plus "other")
    **humanoid_paraphrases(),
    # CartPole (pole angle)
    "pole_upright": [*CLASSIC["CartPole-v1"].goal_prompts, "a balanced pole standing straight up on a cart",
                     "a cart with an upright pole", "a vertical pole balanced on a cart",
                     "a pole standing upright on a cart", "a cart balancing a straight pole"],
    "pole_tilted": ["a pole tilted to the side on a cart", "a cart with a leaning pole",
                    "a pole falling over on a cart", "a slanted pole on top of a cart",
                    "a cart with its pole tipping over", "a pole leaning far from vertical on a cart"],
    # MountainCar (car position)
    "car_valley": ["a car at the bottom of the valley", "a car in the valley between two hills",
                   "a car at the lowest point of the road", "a car resting in the dip of the valley",
                   "a car down in the valley", "a car at the bottom of the mountain road"],
    "car_left": ["a car on the left slope of the valley", "a car up on the left hill",
                 "a car climbing the left side of the valley", "a car high on the left slope",
                 "a car on the left hillside", "a car on the slope to the left"],
    "car_right": ["a car climbing the right slope toward the peak", "a car going up the right hill",
                  "a car on the right side of the valley", "a car driving up the mountain on the right",
                  "a car on the right hillside", "a car on the slope to the right, heading for the top"],
}

DOMAIN_LABELS: dict[str, list[str]] = {
    "humanoid": ["stand", "kneel", "sit", "lotus", "splits", "arms_raised", "lie_down", "one_leg", "other"],
    "cartpole": ["pole_upright", "pole_tilted"],
    "mountaincar": ["car_valley", "car_left", "car_right"],
}
# classes scored in zero-shot evaluation ("other" has no class prompt)
EVAL_LABELS: dict[str, list[str]] = {d: [x for x in ls if x != "other"] for d, ls in DOMAIN_LABELS.items()}
LABELS: list[str] = [x for ls in DOMAIN_LABELS.values() for x in ls]


def train_paraphrases(label: str) -> list[str]:
    return PARAPHRASES[label][:-HELD_OUT]


def test_paraphrases(label: str) -> list[str]:
    return PARAPHRASES[label][-HELD_OUT:]


def sample_captions(labels: np.ndarray, rng: np.random.Generator, split: str = "train") -> list[str]:
    """One random paraphrase of the given split per label index (indices into ``LABELS``)."""
    pick = train_paraphrases if split == "train" else test_paraphrases
    return [str(rng.choice(pick(LABELS[int(i)]))) for i in labels]


# humanoid: which pose label a frame gets when several success tests hold (most specific first)
HUMANOID_PRIORITY = ("arms_raised", "one_leg", "lotus", "splits", "kneel", "sit", "lie_down", "stand")


def humanoid_label(satisfied: dict[str, bool]) -> str:
    for name in HUMANOID_PRIORITY:
        if satisfied.get(name):
            return name
    return "other"


def cartpole_label(theta: float) -> str | None:
    """Pole angle (radians from vertical): upright below 0.05, tilted above 0.15, else ambiguous."""
    a = abs(theta)
    return "pole_upright" if a < 0.05 else ("pole_tilted" if a > 0.15 else None)


def mountaincar_label(position: float) -> str | None:
    """Car x position (valley bottom at about -0.52); None in the ambiguous bands between."""
    if -0.65 <= position <= -0.4:
        return "car_valley"
    if position < -0.78:
        return "car_left"
    if position > -0.27:
        return "car_right"
    return None
