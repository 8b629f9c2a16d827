"""The bot's own metrics: the one list of them, the Prometheus and CloudWatch adapters,
the store-latency wrapper, and what the core counts as events and alerts go by."""

from __future__ import annotations

import json
import re
import time

import pytest

from adapters.emf import EmfMetrics
from adapters.memory import MemoryAlertStore
from adapters.prometheus import PrometheusMetrics
from adapters.timed_store import timed
from bot import alert_actions, metrics, storm
from bot.config import Settings
from bot.errors import NotFoundError
from bot.gauges import measure_gauges
from bot.metrics import ALL, NAMESPACE, Kind, NoMetrics
from bot.models import Alert, AlertStatus, Outbox
from bot.routing import Routes
from tests.corpus import load, untimed
from tests.factories.services import memory_services
from tests.fakes import FakeClock
from tests.prometheus_samples import samples

NOW = 1_700_000_000


# --- the list --------------------------------------------------------------------------


def test_each_metric_has_a_unique_prometheus_and_cloudwatch_name():
    assert len({m.name for m in ALL}) == len(ALL)
    assert len({m.cloudwatch_name for m in ALL}) == len(ALL)
    for m in ALL:
        assert re.fullmatch(r"awsbot_[a-z_]+", m.name), m.name
        assert m.name.endswith("_total") == (m.kind is Kind.COUNTER), m.name
        assert re.fullmatch(r"[A-Z][A-Za-z]+", m.cloudwatch_name), m.cloudwatch_name
        assert m.unit in {"Count", "Seconds"}


def test_the_cloudwatch_name_drops_the_prefix_and_total():
    assert metrics.EVENTS_STORED.cloudwatch_name == "EventsStored"
    assert metrics.STORE_SECONDS.cloudwatch_name == "StoreCallSeconds"


def test_labels_must_be_the_metric_s_own():
    exported = PrometheusMetrics()
    with pytest.raises(ValueError, match="family"):
        exported.inc(metrics.EVENTS_STORED)
    with pytest.raises(ValueError):
        exported.inc(metrics.EVENTS_DUPLICATE, family="ec2")


# --- Prometheus --------------------------------------------------------------------------


def test_prometheus_exposes_counters_gauges_and_histograms():
    exported = PrometheusMetrics()
    exported.inc(metrics.EVENTS_STORED, family="health")
    exported.inc(metrics.EVENTS_STORED, 2, family="health")
    exported.set(metrics.STORM_CHANNELS, 3)
    exported.observe(metrics.STORE_SECONDS, 0.003, store="events", operation="get")
    seen = samples(exported)
    assert seen[("awsbot_events_stored_total", (("family", "health"),))] == 3
    assert seen[("awsbot_storm_channels", ())] == 3
    count = ("awsbot_store_call_seconds_count", (("operation", "get"), ("store", "events")))
    assert seen[count] == 1
    text = exported.exposition().decode()
    for m in ALL:  # every metric is declared, with its help, before anything is counted
        assert f"# HELP {m.name.removesuffix('_total')}" in text


def test_each_app_counts_in_its_own_registry():
    one, two = PrometheusMetrics(), PrometheusMetrics()
    one.inc(metrics.ALERTS_OPENED)
    assert samples(one)[("awsbot_alerts_opened_total", ())] == 1
    assert samples(two)[("awsbot_alerts_opened_total", ())] == 0


# --- CloudWatch's embedded metric format ------------------------------------------------


def emf_lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]


def test_emf_writes_one_line_per_dimension_set_at_flush(capsys):
    emf = EmfMetrics(dimensions={"Table": "monitoring-dev"})
    emf.inc(metrics.EVENTS_STORED, family="health")
    emf.inc(metrics.EVENTS_STORED, family="health")
    emf.inc(metrics.EVENTS_STORED, family="ec2")
    emf.set(metrics.DUE_WORK, 4)
    emf.set(metrics.DUE_WORK, 7)
    emf.observe(metrics.STORE_SECONDS, 0.5, store="alerts", operation="get_alert")
    emf.observe(metrics.STORE_SECONDS, 0.25, store="events", operation="create_many")
    assert capsys.readouterr().out == ""  # nothing before the invocation ends
    emf.flush()
    lines = emf_lines(capsys)
    by_dims = {tuple(line["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]): line for line in lines}
    assert len(lines) == 3  # health, ec2, and the table's own line
    for line in lines:
        (directive,) = line["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == NAMESPACE
        assert line["Table"] == "monitoring-dev"
    by_family = {x.get("family"): x for x in lines}
    assert by_family["health"]["EventsStored"] == [2.0]
    assert by_family["ec2"]["EventsStored"] == [1.0]
    assert by_dims[("Table",)]["DueWorkRecords"] == [7.0]  # a gauge keeps its last value
    # Every store call shares the table's line: store and operation are not dimensions.
    table = by_dims[("Table",)]
    assert table["StoreCallSeconds"] == [0.5, 0.25]
    assert "store" not in table and "operation" not in table
    units = {m["Name"]: m["Unit"] for m in table["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert units == {"StoreCallSeconds": "Seconds", "DueWorkRecords": "Count"}
    emf.flush()
    assert capsys.readouterr().out == ""  # a flush forgets what it wrote


def test_every_metric_s_unit_is_one_cloudwatch_takes(capsys):
    emf = EmfMetrics()
    for metric in ALL:
        labels = dict.fromkeys(metric.labels, "x")
        emf.observe(metric, 1, **labels)  # a unit CloudWatch lacks would raise here
    emf.flush()
    written = {
        m["Name"]
        for line in emf_lines(capsys)
        for m in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]
    }
    assert written == {metric.cloudwatch_name for metric in ALL}


def test_emf_seconds_are_written_to_the_microsecond(capsys):
    emf = EmfMetrics()
    emf.observe(metrics.STORE_SECONDS, 7.779899897286668e-05, store="events", operation="get")
    emf.inc(metrics.ALERTS_OPENED, 3)
    emf.flush()
    (line,) = emf_lines(capsys)
    assert line["StoreCallSeconds"] == [7.8e-05]
    assert line["AlertsOpened"] == [3.0]  # counts are not rounded


def test_emf_still_refuses_labels_a_metric_does_not_take():
    with pytest.raises(ValueError, match="takes labels"):
        EmfMetrics().observe(metrics.STORE_SECONDS, 0.1, store="events")


def test_emf_refuses_a_unit_cloudwatch_lacks_when_recorded_not_at_the_flush():
    odd = metrics.Metric("bot_odd_total", Kind.COUNTER, "a counter of nothing", unit="Apples")
    with pytest.raises(ValueError, match="Apples"):
        EmfMetrics().inc(odd)


def test_emf_lines_carry_the_time_of_the_flush_in_milliseconds(capsys):
    emf = EmfMetrics()
    emf.inc(metrics.ALERTS_OPENED)
    before = time.time() * 1000
    emf.flush()
    (line,) = emf_lines(capsys)
    assert before - 1000 <= line["_aws"]["Timestamp"] <= time.time() * 1000 + 1000


def test_powertools_metrics_disabled_writes_nothing_and_forgets(capsys, monkeypatch):
    emf = EmfMetrics()
    emf.inc(metrics.ALERTS_OPENED)
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    emf.flush()
    assert capsys.readouterr().out == ""
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED")
    emf.flush()
    assert capsys.readouterr().out == ""  # what was recorded then is not written later


# --- store latency -----------------------------------------------------------------------


class Ticks:
    """A timer that moves 0.25 s at each reading."""

    def __init__(self) -> None:
        self.at = 0.0

    def __call__(self) -> float:
        self.at += 0.25
        return self.at


def test_every_store_call_is_timed_by_store_and_operation_raised_or_not():
    from adapters.timed_store import TimedStore

    exported = PrometheusMetrics()
    store = MemoryAlertStore()
    wrapped = TimedStore(store, "alerts", exported, timer=Ticks())
    assert wrapped.get_state("nothing") is None
    with pytest.raises(NotFoundError):
        wrapped.get_alert("missing")
    seen = samples(exported)
    for operation in ("get_state", "get_alert"):
        labels = (("operation", operation), ("store", "alerts"))
        assert seen[("awsbot_store_call_seconds_count", labels)] == 1
        assert seen[("awsbot_store_call_seconds_sum", labels)] == 0.25


def test_the_timed_store_keeps_the_store_s_attributes():
    store = MemoryAlertStore()
    wrapped = timed(store, "alerts", NoMetrics())
    assert wrapped.list_alerts() == []
    assert wrapped.get_state.__name__ == "get_state"


def test_a_timed_store_wraps_each_method_once_and_times_every_call():
    from adapters.timed_store import TimedStore

    exported = PrometheusMetrics()
    wrapped = TimedStore(MemoryAlertStore(), "alerts", exported, timer=Ticks())
    assert wrapped.get_state is wrapped.get_state  # kept after its first use
    for _ in range(3):
        wrapped.get_state("nothing")
    labels = (("operation", "get_state"), ("store", "alerts"))
    assert samples(exported)[("awsbot_store_call_seconds_count", labels)] == 3


def test_together_is_not_timed_as_a_store_call():
    from adapters.memory import MemoryEventStore
    from adapters.timed_store import TimedStore

    exported = PrometheusMetrics()
    wrapped = TimedStore(MemoryEventStore(), "events", exported, timer=Ticks())
    with wrapped.together():
        pass
    assert not [k for k in samples(exported) if ("operation", "together") in k[1]]


# --- what the core counts -----------------------------------------------------------------


def alarm(state: str, event_id: str) -> dict:
    event = untimed(load("cloudwatch_alarm_state_change_single_metric.json"))
    event["id"] = event_id
    event["detail"]["state"]["value"] = state
    return event


@pytest.fixture
def counted():
    exported = PrometheusMetrics()
    svc = memory_services(
        Settings(_env_file=None, slack_alerts_channel="C1"), clock=FakeClock(NOW), metrics=exported
    )
    return svc, exported


def test_ingest_counts_stored_by_family_duplicates_and_rejections(counted):
    svc, exported = counted
    event = alarm("ALARM", "evt-1")
    svc.ingest_raw(json.dumps([event, {"not": "an event"}]))
    svc.ingest_raw(json.dumps(event))
    seen = samples(exported)
    assert seen[("awsbot_events_stored_total", (("family", "alarm"),))] == 1
    assert seen[("awsbot_events_duplicate_total", ())] == 1
    assert seen[("awsbot_events_rejected_total", ())] == 1
    create_many = (("operation", "create_many"), ("store", "events"))
    timed_events = ("awsbot_store_call_seconds_count", create_many)
    assert seen[timed_events] == 2  # the stores bootstrap was given are timed too


def test_alerts_opened_and_resolved_by_their_source(counted):
    svc, exported = counted
    svc.ingest_raw(json.dumps(alarm("ALARM", "a")))
    svc.ingest_raw(json.dumps(alarm("ALARM", "b")))  # a repeat: no new alert
    svc.ingest_raw(json.dumps(alarm("OK", "c")))
    seen = samples(exported)
    assert seen[("awsbot_alerts_opened_total", ())] == 1
    assert seen[("awsbot_alerts_resolved_total", (("by", "source"),))] == 1


def test_an_alert_resolved_by_hand_is_counted_so(counted):
    svc, exported = counted
    svc.ingest_raw(json.dumps(alarm("ALARM", "a")))
    (alert,) = svc.alerts.list_alerts()
    done = alert_actions.resolve(svc.delivery, alert.id, alert.version, "U1")
    assert done is alert_actions.Outcome.DONE
    assert samples(exported)[("awsbot_alerts_resolved_total", (("by", "hand"),))] == 1
    assert svc.alerts.get_alert(alert.id).status is AlertStatus.RESOLVED


def test_the_gauges_measure_the_backlog_and_the_channels_in_a_storm():
    alerts = MemoryAlertStore()
    for i in range(3):
        alerts.create_alert(
            Alert(
                id=f"a{i}",
                fingerprint=f"fp{i}",
                first_seen=NOW - 100,
                last_seen=NOW - 100,
                outbox=Outbox(pending=True, next_attempt_at=NOW - 90 + i),
            )
        )
    for _ in range(3):  # over a threshold of 2 within the minute: a storm in C1
        storm.admit(alerts, "C1", NOW, threshold=2)
    exported = PrometheusMetrics()
    measure_gauges(alerts, Routes(), "C1", NOW, exported)
    seen = samples(exported)
    assert seen[("awsbot_due_work_records", ())] == 3
    assert seen[("awsbot_due_work_oldest_seconds", ())] == 90
    assert seen[("awsbot_storm_channels", ())] == 1
    measure_gauges(alerts, Routes(), "C1", NOW + storm.QUIET_S, exported)
    assert samples(exported)[("awsbot_storm_channels", ())] == 0  # over after a quiet minute


def test_the_operating_docs_list_every_metric():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "operating.md").read_text()
    for m in ALL:
        row = f"| `{m.name}` | `{m.cloudwatch_name}` |"
        assert row in text, m.name
        for label in m.labels:
            assert f"`{label}`" in text, (m.name, label)
