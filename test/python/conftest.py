"""pytest runs in the tests' virtualenv, where Airflow is installed (the image's packages).
Importing airflow_ecs.celery_config there builds the real Celery config, which needs the
queue URL the infra sets on every container; Airflow itself gets a throwaway home."""

import os
import tempfile

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="airflow-home-"))
os.environ.setdefault("AIRFLOW_ECS_SQS_QUEUE_URL", "http://127.0.0.1:9/000000000000/airflow-ecs-pytest")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
