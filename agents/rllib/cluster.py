"""Connecting a run to Ray: a new local instance on loopback only, or the cluster ``ray.address`` names.

Ray 2.60 cannot be told to listen on loopback alone: ``ray.init(_node_ip_address="127.0.0.1")``
is turned into the host's address (``services.resolve_ip_for_localhost``) and its GCS, raylet
and worker gRPC servers listen on all interfaces (seen with ``ss -ltnp``). So a local run
(``ray.address: null``) with ``ray.private_network: auto`` (the default) first moves the driver
into a network namespace of its own (``unshare(CLONE_NEWNET)``, as root) with only its loopback
up: Ray then finds no route out, takes 127.0.0.1 as the node address, every server it starts
listens on 127.0.0.1 of that namespace, and nothing outside the namespace, the host's own
interfaces included, can reach them. Where that is not allowed (no CAP_SYS_ADMIN: the namespace
is made with ``unshare(CLONE_NEWNET)`` alone, not through a user namespace), ``auto`` goes on with
one warning line and Ray listens on all interfaces; ``true`` makes it an error.

``include_dashboard=False`` stops the dashboard's web UI and its HTTP server, but Ray 2.60 still
starts ``dashboard/dashboard.py`` as its API-server process with only the usage-stats module
(``--modules-to-load=UsageStatsHead --disable-frontend``; ``services.start_api_server``, which
``Node.start_head_processes`` always calls), and a ``DashboardAgent`` and a ``RuntimeEnvAgent``
per node. In the namespace the TCP listeners are the GCS, the raylet, the driver's and the
workers' gRPC servers and the runtime-env agent, all on 127.0.0.1.

Every process of a local Ray stays in the run's process group (``RAY_process_group_cleanup_enabled=0``
for the raylet), so killing the group stops the env runners at once.

An address is checked with a TCP connect under ``ray.connect_timeout_s`` before Ray is asked,
so an unreachable one fails in bounded time with one line naming it, not after Ray's retries.
"""
from __future__ import annotations

import ctypes
import fcntl
import os
import socket
import struct
import sys
from typing import Any

from omegaconf import DictConfig

GCS_PORT, CLIENT_PORT = 6379, 10001  # Ray's defaults for HOST and ray://HOST


def parse_address(address: str) -> tuple[str, int, bool]:
    """``(host, port, is_client)`` of ``HOST[:PORT]`` or ``ray://HOST[:PORT]``.

    >>> parse_address("ray://10.0.0.5")
    ('10.0.0.5', 10001, True)
    >>> parse_address("head:6380")
    ('head', 6380, False)
    """
    client = address.startswith("ray://")
    rest = address[len("ray://"):] if client else address
    host, sep, port = rest.rpartition(":")
    if not sep:
        host, port = rest, str(CLIENT_PORT if client else GCS_PORT)
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"ray.address must be null, 'auto', HOST:PORT or ray://HOST:PORT, got {address!r}")
    return host, int(port), client


def check_reachable(address: str, timeout_s: float) -> None:
    """Raises ``ValueError`` naming ``ray.address`` when nothing accepts a TCP connection there."""
    host, port, _ = parse_address(address)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as err:
        raise ValueError(f"ray.address={address!r} is unreachable ({host}:{port}: {err.strerror or err} "
                         f"within {timeout_s:g} s); start the cluster with `ray start --head` first") from None


CLONE_NEWNET, SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x40000000, 0x8913, 0x8914, 0x1


def enter_private_network() -> None:
    """Moves this process (its calling thread and every process it starts later) into a new
    network namespace and brings its loopback up. Raises ``OSError`` where not permitted."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"unshare(CLONE_NEWNET): {os.strerror(err)}")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14s", b"lo", 0, bytes(14))
        flags = struct.unpack("16sH14s", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14s", b"lo", flags | IFF_UP, bytes(14)))


def private_network(mode: Any) -> bool:
    """Applies ``ray.private_network`` (auto | true | false) for a new local Ray; whether it is on."""
    if mode in (False, "false", None):
        return False
    if mode not in (True, "true", "auto"):
        raise ValueError(f"agent.ray.private_network must be auto, true or false, got {mode!r}")
    try:
        enter_private_network()
        return True
    except OSError as err:
        if mode is True or mode == "true":
            raise ValueError(f"agent.ray.private_network=true but no network namespace can be made here ({err}); "
                             "run as root or set agent.ray.private_network=auto") from None
        print(f"[rewardgym] warning: no private network namespace ({err}): Ray 2.60 listens on all interfaces",
              file=sys.stderr)
        return False


def connect(ray_cfg: DictConfig, runtime_env: dict[str, Any] | None = None) -> dict[str, float]:
    """``ray.init`` as the config says; returns the cluster's resources (``{"CPU": 2.0, ...}``)."""
    import ray

    address = ray_cfg.get("address")
    timeout = float(ray_cfg.get("connect_timeout_s", 10))
    common = dict(namespace=str(ray_cfg.get("namespace", "rewardgym")), log_to_driver=bool(ray_cfg.get("log_to_driver", False)),
                  runtime_env=runtime_env, ignore_reinit_error=True)
    if address in (None, "", "local"):
        private_network(ray_cfg.get("private_network", "auto"))
        # Ray 2.60 puts each worker (env runners included) in a process group of its own; they then
        # outlive a kill of the run's process group by 1-2 s (until they notice the raylet is gone).
        # Off, every process of a local Ray stays in the run's group (the raylet reads this variable).
        os.environ.setdefault("RAY_process_group_cleanup_enabled", "0")
        ray.init(address="local", num_cpus=ray_cfg.get("num_cpus"), num_gpus=ray_cfg.get("num_gpus"),
                 include_dashboard=False, **common)  # "local": a new instance, even where `ray start` runs one
    else:
        address = str(address)
        if address != "auto":
            check_reachable(address, timeout)
        try:
            ray.init(address=address, **common)
        except (ConnectionError, TimeoutError, RuntimeError) as err:
            raise ValueError(f"ray.address={address!r}: cannot connect: {err}") from None
    return dict(ray.cluster_resources())


def check_resources(asked: dict[str, tuple[float, str]], available: dict[str, float]) -> None:
    """Raises ``ValueError`` naming the config keys whose GPUs or CPUs the cluster does not have.

    ``asked`` maps a resource to ``(total, "the keys that ask for it")`` pairs.
    """
    for resource, (total, keys) in asked.items():
        have = float(available.get(resource, 0.0))
        if total > have + 1e-9:
            raise ValueError(f"{keys} ask for {total:g} {resource}(s) in all, but the Ray cluster has {have:g}")
