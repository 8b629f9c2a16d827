"""Prometheus interpreter: an alert fires at its `severity` label's level (MEDIUM without
one), resolves as INFO, keeps Alertmanager's fingerprint from firing to resolution, is
titled by its alertname and summary, and links only to an https source."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.envelopes import read_unit, split_units
from bot.ingest import read_event
from bot.models import Event, Severity, SignalState
from bot.sources import interpret, prometheus
from bot.sources.base import TITLE_LIMIT, Context
from tests.corpus import load
from tests.factories import field_values, make_event
from tests.strategies import assert_readable, junk_like

CTX = Context()
SOURCE = "prometheus.alertmanager"
ALERT = "Prometheus Alert"
GENERATOR = "https://prometheus.example.com/graph?g0.expr=histogram_quantile&g0.tab=1"


def _detail(
    status: Any = "firing",
    *,
    severity: Any = "critical",
    fingerprint: Any = "a1bc48475b20e73d",
    summary: Any = "p99 over 2 s",
    generator: Any = GENERATOR,
    **labels: Any,
) -> dict[str, Any]:
    """A detail as the envelope reader stores one Alertmanager alert."""
    all_labels: dict[str, Any] = {"alertname": "HighLatency", **labels}
    if severity is not None:
        all_labels["severity"] = severity
    detail: dict[str, Any] = {
        "status": status,
        "labels": all_labels,
        "annotations": {"summary": summary, "description": "Checkout p99 is 2.4 s."},
        "startsAt": "2024-05-14T09:00:00Z",
        "generatorURL": generator,
        "fingerprint": fingerprint,
        "receiver": "bot",
        "externalURL": "https://alertmanager.example.com",
    }
    return {k: v for k, v in detail.items() if v is not None}


def _event(detail: dict[str, Any]) -> Event:
    return make_event(ALERT, SOURCE, detail, account="", region=None)


def _one(detail: dict[str, Any]):
    [signal] = prometheus.interpret(_event(detail), CTX)
    return signal


def _read(body: Any) -> list:
    """Every signal a body gives, read as ingest reads it."""
    signals = []
    for unit in split_units(body):
        for raw in read_unit(unit):
            _, found = read_event(raw, received_at=1_700_000_000, ttl=3600, ctx=CTX)
            signals.extend(found)
    return signals


# ---------------------------------------------------------------------------------------------
# Corpus, through the envelope reader
# ---------------------------------------------------------------------------------------------


def test_corpus_webhook_alerts_fire_critical_one_signal_each() -> None:
    signals = _read(load("alertmanager_firing_critical_two_alerts.json"))
    assert [s.family for s in signals] == ["prometheus", "prometheus"]
    assert {(s.severity, s.state) for s in signals} == {(Severity.CRITICAL, SignalState.FIRING)}
    assert [s.fingerprint for s in signals] == [
        "prometheus:a1bc48475b20e73d",
        "prometheus:c2ea85182f28cbd9",
    ]
    assert signals[0].title == "High CPU Temperature: High CPU core temperature"
    assert signals[0].resource == "High CPU Temperature"
    assert signals[0].console_url is None  # http://cobalt:9090/…: not https
    assert signals[0].description == "CPU core temperature is 34.75C"
    assert field_values(signals[0]) == {
        "Status": "firing",
        "Severity label": "critical",
        "host": "andromeda",
        "Receiver": "ops-zulip",
    }


def test_corpus_firing_and_resolved_are_one_alert() -> None:
    [firing, _] = _read(load("alertmanager_firing_critical_two_alerts.json"))
    [resolved] = _read(load("alertmanager_resolved_critical_single_alert.json"))
    assert firing.fingerprint == resolved.fingerprint == "prometheus:a1bc48475b20e73d"
    assert (resolved.severity, resolved.state) == (Severity.INFO, SignalState.RESOLVED)
    assert firing.event_id != resolved.event_id


def test_corpus_amp_sns_text_fires_at_its_warning_label() -> None:
    [signal] = _read(load("edge_sns_amp_alertmanager_default_text.json"))
    assert signal.family == "prometheus"
    assert signal.title == "HostHighCpuLoad: Host high CPU load"
    assert (signal.severity, signal.state) == (Severity.MEDIUM, SignalState.FIRING)
    assert signal.console_url is not None
    assert signal.console_url.startswith("https://aps-workspaces.us-east-1.amazonaws.com/")
    assert signal.account == "111122223333"
    assert signal.region == "us-east-1"


def test_corpus_grafana_alerts_without_severity_are_medium() -> None:
    signals = _read(load("alertmanager_grafana_firing_three_no_severity.json"))
    assert len(signals) == 3
    assert {(s.severity, s.state) for s in signals} == {(Severity.MEDIUM, SignalState.FIRING)}
    assert all("Severity label" not in field_values(s) for s in signals)
    assert len({s.fingerprint for s in signals}) == 3


def test_amp_firing_and_resolved_text_share_a_fingerprint() -> None:
    def amp(section: str) -> dict[str, Any]:
        text = (
            f"Alerts {section}:\nLabels:\n - alertname = DiskFull\n - severity = critical\n"
            "Annotations:\n - summary = Disk full\nSource: https://grafana.example.com/d/1\n"
        )
        return {"Type": "Notification", "MessageId": f"m-{section}", "Message": text}

    [firing] = _read(amp("Firing"))
    [resolved] = _read(amp("Resolved"))
    assert firing.fingerprint == resolved.fingerprint
    assert firing.fingerprint.startswith("prometheus:")
    assert firing.fingerprint != "prometheus:DiskFull"  # the labels' hash, not the name
    assert (firing.severity, firing.state) == (Severity.CRITICAL, SignalState.FIRING)
    assert (resolved.severity, resolved.state) == (Severity.INFO, SignalState.RESOLVED)


# ---------------------------------------------------------------------------------------------
# Severity and state
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "severity"),
    [
        ("critical", Severity.CRITICAL),
        ("warning", Severity.MEDIUM),
        ("info", Severity.LOW),
        (None, Severity.MEDIUM),
        ("page", Severity.HIGH),
        ("error", Severity.HIGH),
        ("minor", Severity.LOW),
        ("none", Severity.LOW),
        (" Critical ", Severity.CRITICAL),
        ("WARNING", Severity.MEDIUM),
        ("sev1", Severity.MEDIUM),
        ("", Severity.MEDIUM),
        (3, Severity.MEDIUM),
    ],
)
def test_firing_severity_follows_the_severity_label(label: Any, severity: Severity) -> None:
    signal = _one(_detail(severity=label))
    assert (signal.severity, signal.state) == (severity, SignalState.FIRING)


def test_alert_without_a_severity_label_still_asks_for_a_look() -> None:
    assert prometheus.UNLABELLED == Severity.MEDIUM
    signal = _one(_detail(severity=None))
    assert signal.severity == Severity.MEDIUM
    assert "Severity label" not in field_values(signal)


@pytest.mark.parametrize("label", ["critical", "warning", "info", None])
def test_resolved_is_resolved_info_whatever_its_label(label: Any) -> None:
    signal = _one(_detail("resolved", severity=label))
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.RESOLVED)
    assert field_values(signal)["Status"] == "resolved"


def test_status_is_read_in_any_case() -> None:
    assert _one(_detail("FIRING")).state == SignalState.FIRING
    assert _one(_detail("Resolved")).state == SignalState.RESOLVED


@pytest.mark.parametrize("status", ["pending", "", None, 5, {"x": 1}])
def test_unknown_status_is_news(status: Any) -> None:
    signal = _one(_detail(status))
    assert (signal.severity, signal.state) == (Severity.INFO, SignalState.INFO)


# ---------------------------------------------------------------------------------------------
# Fingerprint, title, fields, link
# ---------------------------------------------------------------------------------------------


def test_fingerprint_is_alertmanagers_and_stable_from_firing_to_resolved() -> None:
    firing = _one(_detail("firing", summary="p99 over 2 s"))
    resolved = _one(_detail("resolved", summary="p99 back under 2 s"))
    assert firing.fingerprint == resolved.fingerprint == "prometheus:a1bc48475b20e73d"
    other = _one(_detail(fingerprint="c2ea85182f28cbd9"))
    assert other.fingerprint != firing.fingerprint


def test_fingerprint_falls_back_to_the_alertname() -> None:
    assert _one(_detail(fingerprint=None)).fingerprint == "prometheus:HighLatency"


def test_title_is_alertname_and_summary() -> None:
    assert _one(_detail()).title == "HighLatency: p99 over 2 s"
    assert _one(_detail(summary=None)).title == "HighLatency"
    detail = _detail(summary=None)
    detail["annotations"]["message"] = "Grafana says: slow"
    assert _one(detail).title == "HighLatency: Grafana says: slow"
    detail = _detail(summary="line one\n  line two")
    assert _one(detail).title == "HighLatency: line one line two"


def test_title_without_alertname_and_bounded() -> None:
    detail = _detail()
    del detail["labels"]["alertname"]
    assert _one(detail).title == "Prometheus alert: p99 over 2 s"
    assert _one(detail).resource == "Prometheus alert"
    long = _one(_detail(summary="s" * 400, alertname="A" * 300))
    assert len(long.title) <= TITLE_LIMIT
    assert long.title.startswith("A" * 99)


def test_fields_show_the_labels_but_not_the_name_or_severity_twice() -> None:
    labels = {f"label{i}": f"value{i}" for i in range(9)}
    signal = _one(_detail(**labels))
    values = field_values(signal)
    assert values["Status"] == "firing"
    assert values["Severity label"] == "critical"
    assert values["Receiver"] == "bot"
    assert "alertname" not in values
    assert "severity" not in values
    shown = [k for k in values if k.startswith("label")]
    assert shown == [f"label{i}" for i in range(6)]  # at most six labels


def test_description_is_the_description_annotation_clipped() -> None:
    detail = _detail()
    detail["annotations"]["description"] = "d" * 3000
    description = _one(detail).description
    assert len(description) == 1000
    assert description.endswith("…")


GRAFANA = "https://grafana.example.com/alerting/grafana/zTjxv_C7k/view"


AMP = "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/query?q=up"
MANAGED_GRAFANA = "https://g-abc123.grafana-workspace.eu-west-1.amazonaws.com/alerting/list"


@pytest.mark.parametrize(
    ("url", "link"),
    [
        (AMP, AMP),
        (MANAGED_GRAFANA, MANAGED_GRAFANA),
        # Other hosts are anyone's: the bot's button never leads there.
        (GENERATOR, None),
        (GRAFANA, None),
        ("https://my-bucket.s3-website-eu-west-1.amazonaws.com/phish", None),
        ("https://aps-workspaces.eu-west-1.amazonaws.com.evil.example/x", None),
        ("http://prometheus:9090/graph?g0.expr=up", None),
        ("javascript:alert(1)", None),
        ("https://evil.example.com/a b", None),
        ("ftp://prometheus.example.com/", None),
        ("", None),
        (None, None),
        (["https://x.example.com"], None),
        ({"href": "https://x.example.com"}, None),
    ],
)
def test_link_is_the_generator_url_only_on_an_aws_host(url: Any, link: str | None) -> None:
    assert _one(_detail(generator=url)).console_url == link


def test_link_never_leaves_https() -> None:
    for url in ("http://a.example.com", "HTTPS://a.example.com", " https://a.example.com"):
        assert _one(_detail(generator=url)).console_url is None


def test_dispatch_picks_the_prometheus_family() -> None:
    [signal] = interpret(_event(_detail()))
    assert signal.family == "prometheus"


# ---------------------------------------------------------------------------------------------
# Junk
# ---------------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(detail=junk_like(_detail()))
def test_any_detail_gives_one_readable_signal(detail: Any) -> None:
    body = detail if isinstance(detail, dict) else {"labels": detail}
    [signal] = prometheus.interpret(_event(body), CTX)
    assert_readable(signal, "prometheus:")
    assert signal.console_url is None or signal.console_url.startswith("https://")


@settings(max_examples=60, deadline=None)
@given(status=st.sampled_from(["firing", "resolved"]), labels=junk_like({"severity": "x"}))
def test_junk_labels_never_raise_and_resolved_stays_info(status: str, labels: Any) -> None:
    detail = {**_detail(status), "labels": labels}
    [signal] = prometheus.interpret(_event(detail), CTX)
    assert_readable(signal, "prometheus:")
    if status == "resolved":
        assert (signal.severity, signal.state) == (Severity.INFO, SignalState.RESOLVED)
    else:
        assert signal.state == SignalState.FIRING
