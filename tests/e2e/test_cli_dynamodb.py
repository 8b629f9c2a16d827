"""`init-db` and `ingest` with STORE=dynamodb, against Amazon's DynamoDB Local."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.contract.dynamodb_local import DynamoDBLocal
from tests.corpus import DISTINCT_IDS, classic_files
from tests.e2e.conftest import run_cli


@pytest.fixture(scope="module")
def dynamodb_env() -> Iterator[dict[str, str]]:
    with DynamoDBLocal() as local:
        yield {
            "STORE": "dynamodb",
            "AWS_ENDPOINT": local.endpoint,
            "AWS_DYNAMODB_TABLE": "monitoring-e2e",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
        }


def test_init_db_is_idempotent_then_ingest_stores_each_id_once(dynamodb_env, tmp_path):
    first = run_cli("init-db", data_dir=tmp_path, env=dynamodb_env)
    assert first.returncode == 0, first.stderr
    assert "monitoring-e2e" in first.stdout and "created" in first.stdout
    again = run_cli("init-db", data_dir=tmp_path, env=dynamodb_env)
    assert again.returncode == 0, again.stderr
    assert "already exists" in again.stdout

    files = [str(p) for p in classic_files()]
    proc = run_cli("ingest", "--json", *files, data_dir=tmp_path, env=dynamodb_env)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert sum(line["stored"] for line in lines) == DISTINCT_IDS
    replay = run_cli("ingest", "--json", *files, data_dir=tmp_path, env=dynamodb_env)
    assert sum(json.loads(line)["stored"] for line in replay.stdout.splitlines()) == 0
    assert not (tmp_path / "monitoring.sqlite3").exists()  # nothing went to SQLite


def test_init_db_against_nothing_is_a_clear_error(tmp_path):
    env = {
        "AWS_ENDPOINT": "http://127.0.0.1:9",  # nothing listens on the discard port
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_MAX_ATTEMPTS": "1",
    }
    proc = run_cli("init-db", data_dir=tmp_path, env=env)
    assert proc.returncode == 1
    assert "init-db failed" in proc.stderr
    assert "Traceback" not in proc.stderr
