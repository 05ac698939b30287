"""What the deployed Airflow reads: the amazon provider's SecretsManagerBackend, run for real.

Usage: python airflow_backend.py '<backend kwargs JSON>' connection|variable ID...

Run with the tests' virtualenv python (test/harness/pyenv.mjs: the image's Airflow and
amazon provider). AWS_ENDPOINT_URL points
boto3 at moto. Prints one JSON object: for a variable, get_variable(id); for a
connection, get_connection(id) deserialised by both Connection classes Airflow uses (core,
in the scheduler and API server, and the Task SDK's, in tasks), or null when not found.
This is a test helper: it prints passwords, which the CLI never does.
"""

import json
import sys

from airflow.models.connection import Connection as CoreConnection
from airflow.providers.amazon.aws.secrets.secrets_manager import SecretsManagerBackend
from airflow.sdk import Connection as SdkConnection


def fields(conn):
    if conn is None:
        return None
    return {
        "conn_type": conn.conn_type,
        "host": conn.host,
        "login": conn.login,
        "password": conn.password,
        "schema": conn.schema,
        "port": conn.port,
        "extra": conn.extra_dejson,
    }


def main():
    kwargs, kind, ids = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3:]
    backend = SecretsManagerBackend(**kwargs)
    out = {}
    for secret_id in ids:
        if kind == "variable":
            out[secret_id] = backend.get_variable(secret_id)
            continue
        out[secret_id] = {}
        for label, cls in (("core", CoreConnection), ("sdk", SdkConnection)):
            backend._set_connection_class(cls)
            out[secret_id][label] = fields(backend.get_connection(secret_id))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
