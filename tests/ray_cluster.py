"""A local Ray instance for the tests: ``ray.init(num_cpus=2)`` once per session.

Its workers get ``WIKIPACT_TEST_KILL_TASKS`` (``crashpoints.task_started``), a folder where a
test arms the kill of the worker that starts a given task (``Cluster.kill_worker_at``): a
deterministic way to lose a worker mid-run, whatever the machine's load. Without Ray (the
``ray`` extra), the tests that need it are skipped, saying so.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from wikipact.crashpoints import TASK_KILL_ENV, task_file_name

CPUS = 2


def unavailable() -> str | None:
    if importlib.util.find_spec("ray") is None:
        return "no Ray: install the ray extra (pip install -e '.[dev]' or '.[ray]')"
    return None


@dataclass(frozen=True)
class Cluster:
    kill_dir: Path

    def kill_worker_at(self, task_key: str) -> Path:
        """The first worker to start task ``task_key`` from now on kills itself (SIGKILL)."""
        order = self.kill_dir / task_file_name(task_key)
        order.write_text(task_key)
        return order

    def executor(self, workers: int | None = None):  # type: ignore[no-untyped-def]
        from wikipact.run.ray_executor import RayExecutor

        return RayExecutor(workers=workers)  # joins this session's instance, leaves it running


@contextmanager
def cluster(kill_dir: Path) -> Iterator[Cluster]:
    import ray

    kill_dir.mkdir(parents=True, exist_ok=True)
    env = {TASK_KILL_ENV: str(kill_dir)}
    # the S3 test server's variables, when a test started it before: workers read dumps there
    env |= {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    ray.init(
        num_cpus=CPUS,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
        runtime_env={"env_vars": env},
    )
    try:
        yield Cluster(kill_dir)
    finally:
        ray.shutdown()
