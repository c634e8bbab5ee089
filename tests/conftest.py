import os

os.environ.setdefault("MUJOCO_GL", "egl")

# Import open_clip (torch, triton) before any test renders with MuJoCo's EGL backend: importing
# triton after an EGL context exists segfaults on these machines, and test order is not fixed.
try:
    import open_clip  # noqa: F401
except ImportError:
    pass
