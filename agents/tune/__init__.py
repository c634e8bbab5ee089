"""``rewardgym-tune``: Optuna hyperparameter search over ``rewardgym-train``'s Hydra configs.

``space`` (the ``search`` config group), ``study`` (storage, sampler, pruner, dead workers),
``trial`` (one trial: a run folder, its evaluations reported to the pruner), ``report`` (tables,
best trial, plots), ``app`` (the command). docs/tuning.md.
"""
