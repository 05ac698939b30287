"""An example DAG written by `airflow-ecs init`: two tasks, the second reading the first's
result through XCom. Edit it or delete it; every .py file in dags/ is a DAG file.

Locally: `airflow-ecs dev up` runs it at http://localhost:8080. On AWS: `airflow-ecs deploy`.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import dag, task


@dag(schedule=None, start_date=datetime(2025, 1, 1), catchup=False, tags=["example"])
def example():
    @task
    def extract() -> list[int]:
        return list(range(1, 101))

    @task
    def total(numbers: list[int]) -> int:
        result = sum(numbers)
        print(f"1 + 2 + ... + 100 = {result}")
        return result

    total(extract())


example()
