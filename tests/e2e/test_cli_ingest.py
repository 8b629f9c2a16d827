"""`python app.py ingest FILE... [--json]` as a user runs it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from adapters.factory import open_stores
from bot.config import Settings
from tests.corpus import DISTINCT_IDS, classic_files, corpus_files
from tests.e2e.conftest import ROOT, run_cli


def test_whole_corpus_ingests_with_json_lines(tmp_path):
    files = [str(p) for p in classic_files()]
    proc = run_cli("ingest", *files, "--json", data_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["file"] for line in lines] == files
    for line in lines:
        assert set(line) == {"file", "stored", "duplicates", "ids", "rejected", "rejected_count"}
        assert line["rejected"] == []
    assert sum(line["stored"] for line in lines) == DISTINCT_IDS
    assert (tmp_path / "monitoring.sqlite3").exists()

    again = run_cli("ingest", *files, "--json", data_dir=tmp_path)
    assert sum(json.loads(line)["stored"] for line in again.stdout.splitlines()) == 0


def test_rejections_exit_one_and_say_why(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("not json at all")
    mixed = tmp_path / "mixed.json"
    good = json.loads(corpus_files()[0].read_text())
    mixed.write_text(json.dumps([good, {"what": "is this"}]))
    proc = run_cli(
        "ingest", str(bad), str(mixed), str(tmp_path / "missing.json"), data_dir=tmp_path
    )
    assert proc.returncode == 1
    assert "bad.json: 0 stored" in proc.stdout
    assert "body is not JSON" in proc.stdout
    assert "mixed.json: 1 stored, 0 duplicates, 1 rejected" in proc.stdout
    assert "event 1: unrecognised event shape" in proc.stdout
    assert "cannot read file" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_300_kb_file_is_rejected_cleanly(tmp_path):
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps({"source": "aws.ecs", "detail": {"x": "y" * 300 * 1024}}))
    proc = run_cli("ingest", "--json", str(huge), data_dir=tmp_path)
    assert proc.returncode == 1
    (line,) = proc.stdout.splitlines()
    assert "byte limit" in json.loads(line)["rejected"][0]["error"]


def test_ten_concurrent_processes_store_one_event_once(tmp_path):
    event_file = next(p for p in corpus_files() if p.name.startswith("ecs_task"))
    run_cli("ingest", "--json", str(event_file), data_dir=tmp_path / "warm")  # import caches

    def one(_: int) -> dict:
        proc = run_cli("ingest", "--json", str(event_file), data_dir=tmp_path)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(one, range(10)))
    assert sum(r["stored"] for r in results) == 1
    assert sum(r["duplicates"] for r in results) == 9


def test_stdin_is_a_file_named_dash(tmp_path):
    body = corpus_files()[0].read_text()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "ingest", "--json", "-"],
        input=body,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["stored"] == 1


def test_bad_configuration_is_a_clear_error(tmp_path):
    proc = run_cli("ingest", "x.json", data_dir=tmp_path, env={"REOPEN_WINDOW": "soon"})
    assert proc.returncode == 2
    assert "configuration error" in proc.stderr
    assert "REOPEN_WINDOW".lower() in proc.stderr.lower()


def test_empty_array_file_exits_one(tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    proc = run_cli("ingest", str(empty), data_dir=tmp_path)
    assert proc.returncode == 1
    assert "the body holds no event" in proc.stdout


def test_unusable_settings_are_a_clear_error(tmp_path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    proc = run_cli("ingest", "x.json", data_dir=not_a_dir)
    assert proc.returncode == 2
    assert "configuration error" in proc.stderr
    assert "Traceback" not in proc.stderr
    level = run_cli("ingest", "x.json", data_dir=tmp_path, env={"LOG_LEVEL": "verbose"})
    assert level.returncode == 2
    assert "LOG_LEVEL:" in level.stderr


def test_ingest_with_the_console_prints_every_alert_it_opens(tmp_path):
    """No SLACK_BOT_TOKEN: the console shows each alert's post before the command exits,
    none held back by Slack's rate budgets (which allow 2 posts at once per channel)."""
    files = [str(p) for p in classic_files()[:30]]
    proc = run_cli("ingest", *files, data_dir=tmp_path, env={"SLACK_BOT_TOKEN": ""})
    assert proc.returncode == 0, proc.stderr
    settings = Settings(_env_file=None, data_dir=tmp_path, store="sqlite")
    records = open_stores(settings)[2].list_alerts(limit=1000)
    assert len(records) > 10  # well past the budget's burst of 2
    posted = re.findall(r"^── console .*· id (\S+)$", proc.stderr, flags=re.MULTILINE)
    assert sorted(posted) == sorted(r.id for r in records)
    assert all(r.message is not None for r in records)
