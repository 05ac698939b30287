"""A DAG that makes a Celery worker do something visible: it reports which worker ran
it and computes a small result that the next task reads back through XCom."""

from __future__ import annotations

import socket
from datetime import datetime

from airflow.sdk import dag, task


@dag(schedule=None, start_date=datetime(2025, 1, 1), catchup=False, tags=["airflow-ecs", "example"])
def example_worker():
    @task
    def where_am_i() -> str:
        host = socket.gethostname()
        print(f"running on worker {host}")
        return host

    @task
    def add_up(host: str) -> int:
        total = sum(range(1, 101))
        print(f"{host} says 1 + 2 + ... + 100 = {total}")
        return total

    add_up(where_am_i())


example_worker()
