"""What changed before an alert: which events are changes (each family says), how each is
told, and `changes_before`, the newest change of each thing in the hour before an alert."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from adapters.memory import MemoryEventStore
from bot import changes as changes_module
from bot.changes import change_scope, changes_before
from bot.models import Alert, Change, Event
from bot.sources import change, interpret
from bot.sources import ecs as ecs_source
from tests.corpus import corpus_events
from tests.factories import changes
from tests.factories.changes import ACCOUNT, CHANGES, NOT_CHANGES, REGION

T0 = 1_700_000_000
HOUR = 3600
CONSOLE = f"https://{REGION}.console.aws.amazon.com"


# --- which events are changes, and how each is told ------------------------------------------


@pytest.mark.parametrize(
    ("event", "kind", "title", "url"),
    [
        (
            changes.stack("UPDATE_COMPLETE", "api-prod"),
            "stack",
            "stack api-prod UPDATE_COMPLETE",
            f"{CONSOLE}/cloudformation/home?region={REGION}#/stacks/stackinfo?stackId=arn%3A",
        ),
        (
            changes.pipeline("SUCCEEDED", "deploy-api"),
            "pipeline",
            "pipeline deploy-api execution SUCCEEDED",
            f"{CONSOLE}/codesuite/codepipeline/pipelines/deploy-api/view?region={REGION}",
        ),
        (
            changes.ecs_deployment("SERVICE_DEPLOYMENT_COMPLETED", "web"),
            "ecs",
            "ECS service web deployment COMPLETED",
            f"{CONSOLE}/ecs/v2/clusters/prod/services/web/health?region={REGION}",
        ),
        (
            changes.codedeploy("SUCCESS", "shop"),
            "codedeploy",
            "CodeDeploy shop/prod deployment SUCCESS",
            f"{CONSOLE}/codesuite/codedeploy/deployments/d-ABCDEF123?region={REGION}",
        ),
        (changes.agent_deployment("v1.2.3"), "agent", f"agent {ACCOUNT} deployed v1.2.3", None),
        (
            changes.agent_deployment("SUCCEEDED"),
            "agent",
            f"agent {ACCOUNT} deployment SUCCEEDED",
            None,
        ),
    ],
    ids=["stack", "pipeline", "ecs", "codedeploy", "agent-version", "agent-status"],
)
def test_each_kind_of_change_is_told_with_its_console_page(
    event: Event, kind: str, title: str, url: str | None
) -> None:
    told = change(event)
    assert told is not None
    assert (told.kind, told.title, told.at, told.event_id) == (
        kind,
        title,
        event.published_at,
        event.id,
    )
    assert told.url == url or (url is not None and (told.url or "").startswith(url))
    assert change_scope(event) == f"{ACCOUNT}#{REGION}"


def test_the_console_page_is_the_one_its_alert_links_to() -> None:
    """A change links where its event's own alert would: the interpreters' links."""
    for make in CHANGES[:-1]:  # an agent's deployment has no console page
        event = make()
        told = change(event)
        assert told is not None and told.url == interpret(event)[0].console_url


@pytest.mark.parametrize("make", NOT_CHANGES, ids=lambda make: make.__name__)
def test_resource_stage_action_instance_and_service_events_are_no_changes(
    make: Callable[..., Event],
) -> None:
    event = make()
    assert change(event) is None
    assert change_scope(event) is None


def test_reduced_events_without_detail_type_are_read_by_their_shape() -> None:
    stack = changes.stack().model_copy(update={"detail_type": None})
    resource = changes.stack_resource().model_copy(update={"detail_type": None})
    deployment = changes.ecs_deployment().model_copy(update={"detail_type": None})
    action = changes.ecs_service_action().model_copy(update={"detail_type": None})
    stage = changes.pipeline_stage().model_copy(update={"detail_type": None})
    instance = changes.codedeploy_instance().model_copy(update={"detail_type": None})
    assert [change(e) is not None for e in (stack, deployment)] == [True, True]
    assert [change(e) for e in (resource, action, stage, instance)] == [None] * 4


def test_an_event_without_an_account_is_indexed_under_none() -> None:
    assert change_scope(changes.pipeline(account="")) is None


def test_a_reader_that_fails_makes_no_change_and_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: Event) -> Change | None:
        raise KeyError("odd detail")

    monkeypatch.setattr(ecs_source, "change", broken)
    event = changes.ecs_deployment(event_id="odd-1")
    with caplog.at_level(logging.WARNING):
        assert change(event) is None
        assert change_scope(event) is None
    assert "odd-1" in caplog.text


def test_real_samples_of_every_kind_are_changes_and_no_other_sample_is() -> None:
    """The corpus's real events: each kind's samples read as changes, with real names."""
    told = {
        name: found for name, event, _ in corpus_events() if (found := change(event)) is not None
    }
    assert {name: c.title for name, c in told.items()} == {
        "cloudformation_stack_status_change_create_complete.json": (
            "stack teststack CREATE_COMPLETE"
        ),
        "codedeploy_deployment_state_change_success.json": (
            "CodeDeploy myApplication/myDeploymentGroup deployment SUCCESS"
        ),
        "codepipeline_notification_pipeline_execution_succeeded.json": (
            "pipeline myPipeline execution SUCCEEDED"
        ),
        "codepipeline_pipeline_execution_failed.json": "pipeline myPipeline execution FAILED",
        "codepipeline_pipeline_execution_succeeded.json": (
            "pipeline myPipeline execution SUCCEEDED"
        ),
        "ecs_deployment_state_change_completed.json": (
            "ECS service servicetest deployment COMPLETED"
        ),
        "ecs_deployment_state_change_failed.json": "ECS service servicetest deployment FAILED",
    }
    assert all((c.url or "").startswith("https://") for c in told.values())


# --- the changes before an alert ---------------------------------------------------------------


def alarm_alert(at: int = T0, **signal: object) -> Alert:
    fired = changes.alarm(published_at=at)
    [sig] = interpret(fired)
    sig = sig.model_copy(update=signal)
    return Alert(
        id="al-1",
        fingerprint=sig.fingerprint,
        account=sig.account,
        first_seen=at,
        last_seen=at,
        opened_at=at,
        signal=sig,
    )


def stored(*events: Event) -> MemoryEventStore:
    store = MemoryEventStore()
    assert all(store.create_many(list(events)))
    return store


def titles(found: list[Change]) -> list[str]:
    return [c.title for c in found]


def test_the_newest_changes_of_the_hour_before_come_newest_first() -> None:
    store = stored(
        changes.stack("UPDATE_COMPLETE", published_at=T0 - 240),
        changes.pipeline("SUCCEEDED", published_at=T0 - 600),
        changes.ecs_deployment(published_at=T0 - 300),
        changes.codedeploy(published_at=T0 - HOUR),  # the window's first second
        changes.agent_deployment(published_at=T0 - HOUR - 1),  # before the window
        changes.pipeline("STARTED", "later", published_at=T0 + 1),  # after the alert
    )
    assert titles(changes_before(store, alarm_alert(), T0)) == [
        "stack api-prod UPDATE_COMPLETE",
        "ECS service web deployment COMPLETED",
        "pipeline deploy-api execution SUCCEEDED",
        "CodeDeploy shop/prod deployment SUCCESS",
    ]


def test_of_each_thing_changed_only_its_newest_state_is_told() -> None:
    store = stored(
        changes.stack("UPDATE_IN_PROGRESS", published_at=T0 - 300),
        changes.stack("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", published_at=T0 - 200),
        changes.stack("UPDATE_COMPLETE", published_at=T0 - 100),
        changes.stack("UPDATE_COMPLETE", "other-stack", published_at=T0 - 400),
    )
    assert titles(changes_before(store, alarm_alert(), T0)) == [
        "stack api-prod UPDATE_COMPLETE",
        "stack other-stack UPDATE_COMPLETE",
    ]


def test_at_most_the_limit_is_told_however_many_changed() -> None:
    store = stored(*(changes.pipeline(name=f"p{n}", published_at=T0 - n) for n in range(30)))
    found = changes_before(store, alarm_alert(), T0, limit=3)
    assert titles(found) == [f"pipeline p{n} execution SUCCEEDED" for n in range(3)]
    assert changes_before(store, alarm_alert(), T0, limit=0) == []


def test_only_the_alerts_account_and_region_are_looked_at() -> None:
    store = stored(
        changes.pipeline(name="there", published_at=T0 - 60, region="us-east-1"),
        changes.pipeline(name="elsewhere", published_at=T0 - 60, account="210987654321"),
        changes.pipeline(name="here", published_at=T0 - 60),
    )
    assert titles(changes_before(store, alarm_alert(), T0)) == ["pipeline here execution SUCCEEDED"]


def test_the_alerts_own_events_are_not_its_changes() -> None:
    """A stack's failed update is the alert itself, not a change before it."""
    failed = changes.stack("UPDATE_ROLLBACK_FAILED", published_at=T0)
    [signal] = interpret(failed)
    store = stored(
        changes.stack("UPDATE_IN_PROGRESS", published_at=T0 - 120),
        failed,
        changes.pipeline(published_at=T0 - 180),
    )
    assert titles(changes_before(store, signal, T0)) == ["pipeline deploy-api execution SUCCEEDED"]


def test_a_signal_counts_back_from_its_time_or_else_from_now() -> None:
    store = stored(changes.pipeline(published_at=T0 - 60))
    [signal] = interpret(changes.alarm(published_at=T0))
    assert len(changes_before(store, signal, T0 + 2 * HOUR)) == 1  # its own time
    untimed = signal.model_copy(update={"time": 0})
    assert changes_before(store, untimed, T0 + 2 * HOUR) == []
    assert len(changes_before(store, untimed, T0)) == 1


def test_a_reopened_alert_counts_back_from_its_reopening() -> None:
    store = stored(changes.pipeline(published_at=T0 + 2 * HOUR - 60))
    first = alarm_alert()
    assert first.signal is not None
    again = first.signal.model_copy(update={"time": T0 + 2 * HOUR})  # the reopening's
    reopened = first.model_copy(update={"opened_at": T0 + 2 * HOUR, "signal": again})
    assert len(changes_before(store, reopened, T0 + 2 * HOUR)) == 1
    assert changes_before(store, alarm_alert(), T0 + 2 * HOUR) == []


def test_an_alert_without_its_signal_is_looked_up_by_its_account() -> None:
    store = stored(changes.pipeline(published_at=T0 - 60, region=None))
    bare = alarm_alert().model_copy(update={"signal": None})
    assert titles(changes_before(store, bare, T0)) == ["pipeline deploy-api execution SUCCEEDED"]
    nowhere = bare.model_copy(update={"account": ""})
    assert changes_before(store, nowhere, T0) == []


def test_expired_changes_are_left_out() -> None:
    gone = changes.pipeline(published_at=T0 - 60)
    gone = gone.model_copy(update={"expired_at": T0 - 1})
    store = stored(gone, changes.stack(published_at=T0 - 120))
    assert titles(changes_before(store, alarm_alert(), T0)) == ["stack api-prod UPDATE_COMPLETE"]


class CountingStore(MemoryEventStore):
    """Records what `changes_before` asks the store for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[str, str | None, int, int, int]] = []

    def list_changes(
        self, account: str, region: str | None, start: int, end: int, limit: int
    ) -> list[Event]:
        self.asked.append((account, region, start, end, limit))
        return super().list_changes(account, region, start, end, limit)


def test_one_bounded_read_of_the_index_serves_an_alert() -> None:
    store = CountingStore()
    store.create_many([changes.alarm(published_at=T0 - n, event_id=f"a{n}") for n in range(500)])
    changes_before(store, alarm_alert(), T0, limit=5)
    assert store.asked == [(ACCOUNT, REGION, T0 - HOUR, T0, 5 * changes_module.READ_PER_CHANGE)]
