"""`python app.py routes check FILE EVENT.json`, and a bad ROUTES_FILE stopping the start."""

from __future__ import annotations

import pytest

from bot.config import get_settings
from tests.e2e.conftest import ROOT, run_cli

EVENT = ROOT / "tests" / "data" / "aws" / "guardduty_finding_high_minimal.json"
ROUTES = """\
oncall:
  - name: secops
    usergroup: S0SECOPS
routes:
  - name: security
    match: {source: guardduty, severity: high}
    channel: C0SECURITY
    mention: "@here"
    oncall: secops
    continue: true
  - name: quiet-low
    match: {severity: [low, info]}
    drop: true
  - name: ops
    channel: C0OPS
    runbook: https://wiki.example/ops
"""


def test_routes_check_shows_every_channel_an_event_goes_to(tmp_path):
    routes = tmp_path / "routes.yml"
    routes.write_text(ROUTES)
    proc = run_cli("routes", "check", str(routes), str(EVENT), data_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "→ C0SECURITY (rule security, mentions @here, on call: secops)" in proc.stdout
    assert "→ C0OPS (rule ops, runbook https://wiki.example/ops)" in proc.stdout


def test_routes_check_shows_a_drop(tmp_path):
    routes = tmp_path / "routes.yml"
    routes.write_text(ROUTES)
    low = ROOT / "tests" / "data" / "aws" / "guardduty_finding_low_minimal.json"
    proc = run_cli("routes", "check", str(routes), str(low), data_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "dropped by rule quiet-low" in proc.stdout


def test_a_bad_routes_file_is_exit_2_naming_the_line(tmp_path):
    routes = tmp_path / "routes.yml"
    routes.write_text(ROUTES.replace("C0OPS", "ops-channel"))
    proc = run_cli("routes", "check", str(routes), str(EVENT), data_dir=tmp_path)
    assert proc.returncode == 2
    assert "line 15:" in proc.stderr and "not a Slack channel id" in proc.stderr


def test_the_service_refuses_to_start_on_a_bad_routes_file(tmp_path):
    routes = tmp_path / "routes.yml"
    routes.write_text("routes:\n  - channel: C0OPS\n    mention: everyone\n")
    proc = run_cli("serve", data_dir=tmp_path, env={"ROUTES_FILE": str(routes), "PORT": "3999"})
    assert proc.returncode == 2
    assert "configuration error" in proc.stderr and "line 3:" in proc.stderr


def _bad_event_files(tmp_path):
    (tmp_path / "not.json").write_text("{not json")
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00")
    (tmp_path / "empty.json").write_text("[]")
    (tmp_path / "shape.json").write_text('{"a": 1}')
    (tmp_path / "a-directory").mkdir()
    return {
        "not JSON": (tmp_path / "not.json", "not JSON"),
        "not UTF-8": (tmp_path / "binary.json", "not UTF-8"),
        "no events": (tmp_path / "empty.json", "no event"),
        "unknown shape": (tmp_path / "shape.json", "unrecognised event shape"),
        "a directory": (tmp_path / "a-directory", "Is a directory"),
        "missing": (tmp_path / "missing.json", "No such file"),
    }


@pytest.mark.parametrize(
    "case", ["not JSON", "not UTF-8", "no events", "unknown shape", "a directory", "missing"]
)
def test_a_bad_event_file_is_one_line_on_stderr_and_exit_2(case, tmp_path, monkeypatch, capsys):
    """Called through main() (as `python app.py routes check ...` does): no traceback."""
    import app

    routes = tmp_path / "routes.yml"
    routes.write_text(ROUTES)
    event, says = _bad_event_files(tmp_path)[case]
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STORE", "sqlite")
    monkeypatch.setattr(app, "setup_logging", lambda settings: None)
    get_settings.cache_clear()
    try:
        code = app.main(["routes", "check", str(routes), str(event)])
    finally:
        get_settings.cache_clear()
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"{event}: ") and says in err


def test_a_bad_event_file_in_a_real_process_prints_no_traceback(tmp_path):
    routes = tmp_path / "routes.yml"
    routes.write_text(ROUTES)
    event = tmp_path / "event.json"
    event.write_text("not json at all")
    proc = run_cli("routes", "check", str(routes), str(event), data_dir=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == f"{event}: body is not JSON: Expecting value at line 1 column 1"


def test_routes_check_shows_what_the_inhibit_rules_make_of_an_event(tmp_path):
    routes = tmp_path / "routes.yml"
    routes.write_text(
        "inhibit:\n  - name: health-issue\n    parent: {source: health}\n"
        "    child: {source: alarm}\n    equal: [account, region]\n"
    )
    issue = ROOT / "tests" / "data" / "aws" / "health_ec2_issue_minimal.json"
    proc = run_cli("routes", "check", str(routes), str(issue), data_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (
        "parent under inhibit rule health-issue: holds alerts with "
        "account=123456789012, region=us-west-2"
    ) in proc.stdout
    proc = run_cli("routes", "check", str(routes), str(EVENT), data_dir=tmp_path)
    assert "inhibit rule" not in proc.stdout  # a GuardDuty finding is neither
