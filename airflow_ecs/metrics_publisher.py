"""The worker autoscaling metric, the way Amazon MWAA computes it.

    DesiredWorkers = clamp(ceil((running + queued task instances) / tasks_per_worker),
                           min_workers, max_workers)

Run as `python -m airflow_ecs.metrics_publisher` (the `metrics` ECS service). Every
AIRFLOW_ECS_METRICS_PERIOD seconds (at most 60) it counts task instances in the metadata
database and puts DesiredWorkers, RunningTasks and QueuedTasks to CloudWatch, dimension
Cluster; a step scaling policy makes the worker service follow DesiredWorkers.
"""

from __future__ import annotations

import logging
import math
import os
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass

log = logging.getLogger("airflow_ecs.metrics_publisher")


def desired_workers(running: int, queued: int, tasks_per_worker: int, min_workers: int, max_workers: int) -> int:
    if tasks_per_worker < 1:
        raise ValueError("tasks_per_worker must be at least 1")
    if min(running, queued, min_workers, max_workers) < 0:
        raise ValueError("counts and bounds must not be negative")
    if min_workers > max_workers:
        raise ValueError("min_workers must not exceed max_workers")
    wanted = math.ceil((running + queued) / tasks_per_worker)
    return max(min_workers, min(max_workers, wanted))


@dataclass(frozen=True)
class Settings:
    namespace: str
    cluster: str
    tasks_per_worker: int
    min_workers: int
    max_workers: int
    period: int

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        period = int(env.get("AIRFLOW_ECS_METRICS_PERIOD", "60"))
        if not 1 <= period <= 60:
            raise ValueError("AIRFLOW_ECS_METRICS_PERIOD must be between 1 and 60 seconds")
        per_worker = env.get("AIRFLOW_ECS_TASKS_PER_WORKER") or env.get("AIRFLOW__CELERY__WORKER_CONCURRENCY") or "16"
        cluster = env.get("AIRFLOW_ECS_CLUSTER", "")
        if not cluster:
            raise ValueError("AIRFLOW_ECS_CLUSTER is not set")
        return cls(
            namespace=env.get("AIRFLOW_ECS_METRICS_NAMESPACE", "AirflowEcs"),
            cluster=cluster,
            tasks_per_worker=int(per_worker),
            min_workers=int(env.get("AIRFLOW_ECS_MIN_WORKERS", "0")),
            max_workers=int(env.get("AIRFLOW_ECS_MAX_WORKERS", "10")),
            period=period,
        )


Counter = Callable[[], tuple[int, int]]
Putter = Callable[[str, list[dict]], None]


def metric_data(settings: Settings, running: int, queued: int) -> list[dict]:
    desired = desired_workers(running, queued, settings.tasks_per_worker, settings.min_workers, settings.max_workers)
    dims = [{"Name": "Cluster", "Value": settings.cluster}]
    return [
        {"MetricName": "DesiredWorkers", "Dimensions": dims, "Value": desired, "Unit": "Count"},
        {"MetricName": "RunningTasks", "Dimensions": dims, "Value": running, "Unit": "Count"},
        {"MetricName": "QueuedTasks", "Dimensions": dims, "Value": queued, "Unit": "Count"},
    ]


def publish_once(settings: Settings, count: Counter, put: Putter) -> list[dict]:
    running, queued = count()
    data = metric_data(settings, running, queued)
    put(settings.namespace, data)
    return data


def db_counter(conn_string: str) -> Counter:
    """Counts running and queued task instances in the Airflow metadata database."""
    import sqlalchemy  # noqa: PLC0415 - present in the Airflow image

    engine = sqlalchemy.create_engine(conn_string, pool_pre_ping=True)
    query = sqlalchemy.text("SELECT state, COUNT(*) FROM task_instance WHERE state IN ('running', 'queued') GROUP BY state")

    def count() -> tuple[int, int]:
        with engine.connect() as connection:
            rows = dict(connection.execute(query).all())
        return int(rows.get("running", 0)), int(rows.get("queued", 0))

    return count


def cloudwatch_putter(region: str | None = None) -> Putter:
    import boto3  # noqa: PLC0415 - present in the Airflow image (amazon provider)

    client = boto3.client("cloudwatch", region_name=region)

    def put(namespace: str, data: list[dict]) -> None:
        client.put_metric_data(Namespace=namespace, MetricData=data)

    return put


Wait = Callable[[float], bool]
"""Waits up to the given seconds; True when the publisher is asked to stop."""


def run(settings: Settings, count: Counter, put: Putter, wait: Wait) -> int:
    """Publishes every period until wait() says stop; a failed round is logged, not fatal."""
    rounds = 0
    while True:
        try:
            data = publish_once(settings, count, put)
            log.info("published %s", {d["MetricName"]: d["Value"] for d in data})
        except Exception:  # noqa: BLE001 - keep publishing through transient DB/API errors
            log.exception("could not publish the autoscaling metric")
        rounds += 1
        if wait(settings.period):
            return rounds


def signal_wait(signums: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT)) -> Wait:
    """A wait that ends at once when one of the signals comes, whenever it came.

    The signals are blocked and taken with sigtimedwait, so one that arrives during a round stays
    pending and ends the next wait at once. (A Python handler with Event.wait() loses it when it
    lands just before the wait blocks: the handler then runs only once the wait has timed out,
    and ECS's SIGTERM would sit out the whole period.)
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, signums)

    def wait(seconds: float) -> bool:
        return signal.sigtimedwait(signums, seconds) is not None

    return wait


def main(
    env: Mapping[str, str] | None = None,
    count: Counter | None = None,
    put: Putter | None = None,
    wait: Wait | None = None,
) -> int:
    """The `metrics` ECS service. SIGTERM (ECS stopping the task) or SIGINT ends the loop
    between rounds; count/put default to the metadata database and CloudWatch."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    env = os.environ if env is None else env
    settings = Settings.from_env(env)
    if wait is None:
        wait = signal_wait()
    if count is None:
        count = db_counter(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    if put is None:
        put = cloudwatch_putter(env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"))
    rounds = run(settings, count, put, wait)
    log.info("stopped after %d rounds", rounds)
    return rounds


if __name__ == "__main__":
    main()
