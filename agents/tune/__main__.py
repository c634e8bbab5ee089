"""``python -m rewardgym.agents.tune``: the same as ``rewardgym-tune``."""
from .app import main

if __name__ == "__main__":
    main()
