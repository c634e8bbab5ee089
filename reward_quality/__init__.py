"""Reward quality: how well a model reward agrees with the ground truth (``rewardgym-eval-reward``).

* :mod:`.metrics`: Pearson, Spearman, EPIC distance, ROC AUC and best threshold (numpy/scipy).
* :mod:`.rollouts`: rollouts from random / expert / PPO / noisy-mixture policies, every step
  scored with the model reward and the env's ground truth.
* :mod:`.report`: ``report.json``, ``report.md`` and PNG figures.
* :mod:`.hacking`: model reward against ground-truth success over a PPO run's training.
* :mod:`.app`: the Hydra app and its sweep callback.
"""
