"""The local stack and the image files: consistent with each other and with the repo
(there is no Docker engine here, so this checks what compose and buildx would read)."""

import py_compile
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
AIRFLOW_SERVICES = ["airflow-init", "airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-worker"]


def test_compose_has_the_ecs_topology():
    services = COMPOSE["services"]
    assert set(services) == {"postgres", "elasticmq", *AIRFLOW_SERVICES}
    commands = {name: services[name]["command"] for name in AIRFLOW_SERVICES if name != "airflow-init"}
    assert commands == {
        "airflow-api-server": "api-server",
        "airflow-scheduler": "scheduler",
        "airflow-dag-processor": "dag-processor",
        "airflow-triggerer": "triggerer",
        "airflow-worker": "celery worker",
    }
    assert services["postgres"]["image"] == "postgres:17"


def test_init_migrates_and_creates_the_admin_user():
    script = " ".join(COMPOSE["services"]["airflow-init"]["command"])
    assert "airflow db migrate" in script
    assert "airflow users create" in script and "--role Admin" in script


def test_every_airflow_service_builds_from_existing_files_and_mounts_existing_paths():
    for name in AIRFLOW_SERVICES:
        service = COMPOSE["services"][name]
        build = service["build"]
        assert (ROOT / build["context"] / build["dockerfile"]).is_file(), name
        assert service["image"].endswith(":3.3.0")
        for volume in service["volumes"]:
            assert (ROOT / volume.split(":")[0]).exists(), volume
    for volume in COMPOSE["services"]["elasticmq"]["volumes"]:
        assert (ROOT / volume.split(":")[0]).exists(), volume


def test_environment_wires_our_python_package_and_the_predefined_queue():
    env = COMPOSE["services"]["airflow-worker"]["environment"]
    for key in ["AIRFLOW__CORE__EXECUTOR", "AIRFLOW__CORE__AUTH_MANAGER", "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY", "AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__BROKER_URL", "AIRFLOW__CELERY__RESULT_BACKEND"]:
        assert key in env, key
    module, attr = env["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"].rsplit(".", 1)
    assert (ROOT / (module.replace(".", "/") + ".py")).is_file() and attr == "CELERY_CONFIG"
    module, attr = env["AIRFLOW__LOGGING__LOGGING_CONFIG_CLASS"].rsplit(".", 1)
    assert (ROOT / (module.replace(".", "/") + ".py")).is_file() and attr == "LOGGING_CONFIG"
    queue = env["AIRFLOW_ECS_SQS_QUEUE_URL"].rsplit("/", 1)[1]
    assert re.search(rf"^\s*{re.escape(queue)}\s*{{", (ROOT / "build/dev/elasticmq.conf").read_text(), re.M), "the queue is predefined in ElasticMQ"


def copy_sources(containerfile: Path) -> list[str]:
    sources = []
    for line in containerfile.read_text().splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            parts = [p for p in line.split()[1:] if not p.startswith("--")]
            sources.extend(parts[:-1])
    return sources


def test_containerfiles_copy_files_that_exist_and_pin_airflow_3_3():
    for path in [ROOT / "build/prod/Containerfile", ROOT / "build/dev/Containerfile"]:
        text = path.read_text()
        assert re.search(r"^ARG AIRFLOW_VERSION=3\.3\.\d+$", text, re.M), path
        for source in copy_sources(path):
            assert (ROOT / source).exists(), f"{path.name}: COPY {source}"
    prod = (ROOT / "build/prod/Containerfile").read_text()
    assert "apache/airflow:slim-${AIRFLOW_VERSION}" in prod
    assert prod.rstrip().splitlines()[-1].startswith("WORKDIR /opt/airflow")
    assert "USER airflow" in prod.split("FROM apache/airflow:slim")[-1], "the final stage runs as airflow"
    providers = [l for l in (ROOT / "build/prod/requirements.txt").read_text().splitlines() if l and not l.startswith("#")]
    assert providers == ["apache-airflow-providers-amazon", "apache-airflow-providers-celery", "apache-airflow-providers-fab", "pycurl"]


def test_dags_compile():
    for dag in (ROOT / "dags").glob("*.py"):
        py_compile.compile(str(dag), doraise=True)
