"""``RayExecutor``: tasks on a Ray cluster (``--executor ray``; ``pip install 'wikipact[ray]'``).

Each task is a Ray task. Ray retries a task whose worker process died (killed, out of memory,
its node lost) up to ``RETRIES`` times on another worker; an exception raised by the task
itself is not retried (it is the task's answer: a damaged dump stays damaged) and reaches the
caller from ``get()``, as from a local worker. Results come back through Ray's object store, in
the order the caller asks for them, so outputs are the same bytes as with ``LocalExecutor``.

``address``: ``None`` starts a Ray instance on this machine for the run and stops it at the
end; ``auto`` joins the cluster this machine belongs to (``ray start``); ``ray://host:10001``
connects to a remote cluster with Ray Client. An instance already running in this process (a
test's, an application's) is used as is and left running. ``workers``: tasks run at once
(default: the cluster's CPUs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wikipact.errors import ConfigError

RETRIES = 3  # attempts after a worker process dies (Ray's default for tasks, made explicit)


def _call(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    return fn(*args)


class _RayJob:
    def __init__(self, ref: Any) -> None:
        self._ref = ref

    def get(self) -> Any:
        import ray

        return ray.get(self._ref)


class RayExecutor:
    name = "ray"
    runs_tasks_here = False

    def __init__(self, *, address: str | None = None, workers: int | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise ConfigError("--executor ray needs Ray: pip install 'wikipact[ray]'") from None
        self._started = False
        if not ray.is_initialized():
            try:
                ray.init(
                    address=address,
                    include_dashboard=False,
                    log_to_driver=False,
                    configure_logging=False,
                )
            except ConnectionError as exc:
                raise ConfigError(
                    f"cannot reach the Ray cluster at {address!r} ({exc}); start it with "
                    "`ray start --head`, or leave out --ray-address to run one on this machine"
                ) from None
            self._started = True
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.workers = workers or max(cpus, 1)
        self._remote = ray.remote(max_retries=RETRIES, retry_exceptions=False)(_call)

    def submit(self, fn: Callable[..., Any], *args: Any) -> _RayJob:
        return _RayJob(self._remote.remote(fn, args))

    def close(self) -> None:
        if self._started:
            import ray

            ray.shutdown()
            self._started = False

    def __enter__(self) -> RayExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
