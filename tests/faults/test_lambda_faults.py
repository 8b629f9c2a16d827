"""The same faults on AWS: the ingest Lambda must not acknowledge what it did not finish.

EventBridge and SNS invoke it asynchronously; when it raises, Lambda invokes it again with
the same event (then sends it to the dead-letter queue). So a store failure mid-batch, or
between storing an event and writing its alert, must raise, and the second invocation,
where the stored events are duplicates, must still bring every alert to Slack once."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest

from bot.delivery import flush
from bot.errors import UnprocessedError
from tests import lambdas
from tests.corpus import load
from tests.fakes import FakeClock
from tests.faults.support import throttle_put
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_lambda_triggers import Context, aws  # noqa: F401 (the fixture)

ALARMS = 4


def sns_batch() -> dict[str, Any]:
    """One SNS invocation holding ALARMS classic alarm notifications, one alarm each."""
    sample = load("sns_cloudwatch_alarm_ok.json")
    (record,) = sample["Records"]
    records = []
    for n in range(ALARMS):
        one = copy.deepcopy(record)
        message = json.loads(one["Sns"]["Message"])
        message.update(AlarmName=f"LambdaFault{n}", NewStateValue="ALARM", OldStateValue="OK")
        one["Sns"]["MessageId"] = f"fault-sns-{n}"
        one["Sns"]["Message"] = json.dumps(message)
        records.append(one)
    return {"Records": records}


def roots(fake: FakeSlack) -> list[str]:
    return [
        c.params["text"] for c in fake.calls("chat.postMessage") if not c.params.get("thread_ts")
    ]


@pytest.mark.parametrize("where", ["event store, 3rd write", "alert store, 2nd alert"])
def test_a_store_failure_raises_and_the_retried_invocation_loses_and_doubles_nothing(
    aws,  # noqa: F811
    fake_slack: FakeSlack,
    figures,
    where: str,
):
    module = lambdas.load("ingest")
    batch = sns_batch()
    svc = lambdas.services()
    faults = pytest.MonkeyPatch()  # its own: undoing it must leave the aws fixture's env
    if where.startswith("event"):
        throttle_put(svc.events, 3, faults)
    else:
        original_create, calls = svc.alerts.create_alert, [0]

        def create_alert(alert: Any, applied: str | None = None) -> None:
            calls[0] += 1
            if calls[0] == 2:
                raise UnprocessedError("DynamoDB could not create alert: throttled")
            original_create(alert, applied)

        faults.setattr(svc.alerts, "create_alert", create_alert)

    try:
        with pytest.raises(UnprocessedError):  # Lambda invokes again with the same event
            module.handler(batch, Context())
    finally:
        faults.undo()
    first = len(roots(fake_slack))
    again = module.handler(batch, Context())  # Lambda's retry
    assert again["stored"] + again["duplicates"] == ALARMS
    assert again["rejected"] == []
    # Posts beyond the channel's 1/s budget wait for the flush (or notify) function.
    later = FakeClock(time.time())
    lambdas.clock.use(later)
    for _ in range(ALARMS * 2):
        later.advance(5)
        flush(svc.delivery)
    titles = roots(fake_slack)
    assert len(titles) == ALARMS, titles  # every alarm once: none lost, none doubled
    assert sorted(t.split(": ")[1].split(" ")[0] for t in titles) == [
        f"LambdaFault{n}" for n in range(ALARMS)
    ]
    alerts = [a for a in svc.alerts.list_alerts() if a.kind == "alert"]
    assert sorted(a.count for a in alerts) == [1] * ALARMS
    assert module.handler(batch, Context())["duplicates"] == ALARMS  # a third delivery
    later.advance(60)
    flush(svc.delivery)
    assert len(roots(fake_slack)) == ALARMS
    assert svc.alerts.list_pending(int(svc.clock.now()) + 3600, 100) == []
    figures.add(
        "faults",
        f"ingest Lambda, {where} fails (SNS batch of {ALARMS} alarms), then Lambda's retry",
        f"first invocation raised after {first} roots; after the retry {len(titles)} roots "
        f"for {ALARMS} alarms, counts {sorted(a.count for a in alerts)}, 0 lost, 0 doubled",
    )
