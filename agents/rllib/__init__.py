"""Ray RLlib on rewardgym's envs and rewards (``rewardgym-train agent=rllib_ppo``).

* :mod:`.cluster`: connecting to Ray (a local instance on loopback, or ``ray.address``) and
  checking that the resources asked for exist;
* :mod:`.envs`: the one registered env creator (the SB3 path's env factory), ground-truth metrics;
* :mod:`.shared_reward`: a model reward scored by shared Ray actors that batch across runners;
* :mod:`.policy`: the trained RLModule as a ``predict`` policy for :mod:`rewardgym.agents.evaluate`;
* :mod:`.train`: the training loop, checkpoints and the run folder's outputs.

Nothing here is imported by ``import rewardgym``; Ray is imported only when an RLlib run starts.
"""
