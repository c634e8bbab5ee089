"""Reference poses of Gymnasium's humanoid, built from joint angles by name.

``pose_qpos(model, name)`` returns a full ``qpos`` (root height set so the lowest point of the
body touches the floor) for each named pose; ``random_pose_qpos`` samples joint angles inside
the model's ranges and a random root orientation (or perturbs a named pose), for labelled data
and tests. Put a qpos on an env with ``env.unwrapped.set_pose(qpos)`` (zero velocity,
``mj_forward``) or ``env.reset(options={"qpos": qpos})``; then ``env.unwrapped.task_metrics()``
and ``env.unwrapped.satisfied_tasks()`` give its geometry and which tasks' tests hold.

Example (label frames from ground truth):
    >>> import gymnasium as gym, numpy as np, rewardgym
    >>> env = gym.make("rewardgym/HumanoidPose-v0", render_mode="rgb_array", width=64, height=64)
    >>> _ = env.reset(seed=0)
    >>> base = env.unwrapped
    >>> base.set_pose(random_pose_qpos(base.model, np.random.default_rng(0), near="kneel", noise_deg=5))
    >>> frame, holds = env.render(), base.satisfied_tasks()
    >>> frame.shape, holds["kneel"], holds["stand"]
    ((64, 64, 3), True, False)

Joint sign conventions of Gymnasium's humanoid (degrees, measured on the model): ``*_knee`` is
0 straight and negative bent (-160 max); ``*_hip_y`` negative swings the thigh forward (-110
max), positive backward (+20); ``*_hip_x`` negative spreads the leg outward (-25);
``*_hip_z`` rotates the thigh about its axis; ``*_shoulder1/2`` and ``*_elbow`` move the arms
(ranges in the XML; ``arms_raised`` below puts both hands above the head).
"""
from __future__ import annotations

import mujoco
import numpy as np

# Named reference poses: joint angles in degrees by joint name (joints not named stay at 0).
# "pitch" rotates the whole body about the world y axis (+90 face-down towards +x... -90 lies on
# its back), "roll" about x, "yaw" about z. Each pose passes its own task's success test.
POSES: dict[str, dict[str, float]] = {
    "stand": {},
    "kneel": {"right_knee": -90, "left_knee": -90},
    "sit": {"right_hip_y": -90, "left_hip_y": -90, "right_knee": -2, "left_knee": -2},
    "lotus": {"right_hip_y": -100, "left_hip_y": -100, "right_hip_z": -50, "left_hip_z": -50,
              "right_knee": -155, "left_knee": -155, "right_hip_x": -25, "left_hip_x": -25},
    "splits": {"right_hip_y": -110, "left_hip_y": 20, "right_knee": -2, "left_knee": -2, "pitch": 45},
    "arms_raised": {"right_shoulder1": -85, "right_shoulder2": 20, "right_elbow": -90,
                    "left_shoulder1": 75, "left_shoulder2": -30, "left_elbow": -90},
    "lie_down": {"pitch": -90},
    "one_leg": {"left_hip_y": -90, "left_knee": -90},
}


def _quat(pitch_deg: float, roll_deg: float = 0.0, yaw_deg: float = 0.0) -> np.ndarray:
    q = np.zeros(4)
    # extrinsic (world-axis) x, y, z: roll, pitch, then the heading about the vertical
    mujoco.mju_euler2Quat(q, np.deg2rad([roll_deg, pitch_deg, yaw_deg]), "XYZ")
    return q


def lowest_point(model: mujoco.MjModel, data: mujoco.MjData) -> float:
    """Lowest z over the body's geoms (spheres and capsules), ignoring the floor."""
    low = np.inf
    for g in range(model.ngeom):
        if model.geom_bodyid[g] == 0:
            continue
        r = model.geom_size[g, 0]
        half = model.geom_size[g, 1] if model.geom_type[g] == mujoco.mjtGeom.mjGEOM_CAPSULE else 0.0
        axis_z = data.geom_xmat[g].reshape(3, 3)[2, 2]
        low = min(low, data.geom_xpos[g, 2] - r - abs(half * axis_z))
    return float(low)


def set_joint_angles(model, qpos: np.ndarray, angles: dict[str, float]) -> None:
    """Writes ``angles`` (degrees by hinge-joint name) into ``qpos`` in place."""
    for name, deg in angles.items():
        if name in ("pitch", "roll", "yaw"):
            continue
        jid = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, name)
        if jid < 0:
            raise KeyError(f"the humanoid has no joint {name!r}")
        qpos[model.jnt_qposadr[jid]] = np.deg2rad(deg)


def place_on_floor(model, data, clearance: float = 0.0) -> None:
    """Shifts the root so the lowest point of the body is ``clearance`` above the floor."""
    mujoco.mj_forward(model, data)
    data.qpos[2] += clearance - lowest_point(model, data)
    mujoco.mj_forward(model, data)


def pose_qpos(model: mujoco.MjModel, name: str, data: mujoco.MjData | None = None) -> np.ndarray:
    """Full ``qpos`` of the named pose in ``POSES``, resting on the floor at the origin."""
    if name not in POSES:
        raise ValueError(f"unknown pose {name!r}; choose one of {sorted(POSES)}")
    angles = POSES[name]
    data = data or mujoco.MjData(model)
    data.qpos[:] = model.qpos0
    data.qpos[3:7] = _quat(angles.get("pitch", 0.0), angles.get("roll", 0.0), angles.get("yaw", 0.0))
    set_joint_angles(model, data.qpos, angles)
    place_on_floor(model, data)
    return data.qpos.copy()


def random_pose_qpos(model: mujoco.MjModel, rng: np.random.Generator, data: mujoco.MjData | None = None,
                     near: str | None = None, noise_deg: float = 15.0) -> np.ndarray:
    """Joint angles uniform in range (or ``near`` a named pose, +-``noise_deg``), on the floor."""
    data = data or mujoco.MjData(model)
    if near is not None:
        data.qpos[:] = pose_qpos(model, near, data)
        angles = POSES[near]
        quat = _quat(angles.get("pitch", 0.0) + rng.normal(0, noise_deg / 3), rng.normal(0, noise_deg / 3),
                     rng.uniform(-180, 180))
    else:
        data.qpos[:] = model.qpos0
        quat = _quat(rng.choice([0.0, 0.0, 90.0, -90.0]) + rng.normal(0, 20), rng.normal(0, 20), rng.uniform(-180, 180))
    data.qpos[3:7] = quat
    for j in range(model.njnt):
        if model.jnt_type[j] != mujoco.mjtJoint.mjJNT_HINGE:
            continue
        lo, hi = model.jnt_range[j]
        adr = model.jnt_qposadr[j]
        if near is None:
            data.qpos[adr] = rng.uniform(lo, hi)
        else:
            data.qpos[adr] = np.clip(data.qpos[adr] + np.deg2rad(rng.normal(0, noise_deg)), lo, hi)
    place_on_floor(model, data)
    return data.qpos.copy()
