"""`python app.py routes check FILE EVENT.json`, and a bad ROUTES_FILE stopping the start."""

from __future__ import annotations

from tests.e2e.conftest import ROOT, run_cli

EVENT = ROOT / "tests" / "data" / "aws" / "guardduty_finding_high_minimal.json"
ROUTES = """\
routes:
  - name: security
    match: {source: guardduty, severity: high}
    channel: C0SECURITY
    mention: "@here"
    continue: true
  - name: quiet-low
    match: {severity: [low, info]}
    drop: true
  - name: ops
    channel: C0OPS
"""


def test_routes_check_shows_every_channel_an_event_goes_to(tmp_path):
    routes = tmp_path / "routes.yml"
    routes.write_text(ROUTES)
    proc = run_cli("routes", "check", str(routes), str(EVENT), data_dir=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "→ C0SECURITY (rule security, mentions @here)" in proc.stdout
    assert "→ C0OPS (rule ops)" in proc.stdout


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
    assert "line 11:" in proc.stderr and "not a Slack channel id" in proc.stderr


def test_the_service_refuses_to_start_on_a_bad_routes_file(tmp_path):
    routes = tmp_path / "routes.yml"
    routes.write_text("routes:\n  - channel: C0OPS\n    mention: everyone\n")
    proc = run_cli("serve", data_dir=tmp_path, env={"ROUTES_FILE": str(routes), "PORT": "3999"})
    assert proc.returncode == 2
    assert "configuration error" in proc.stderr and "line 3:" in proc.stderr
