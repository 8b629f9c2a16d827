"""The Enricher over in-memory stores, a fake chat and fake AWS ports: a posted alarm's
graph and error lines come after its first post, once per alert per 10 minutes, and an
enrichment we may not run leaves the alert as posted, with one warning per kind."""

from __future__ import annotations

import logging

import pytest

from adapters.local_queue import LocalEnrichQueue
from bot import lifecycle, storm
from bot.config import Settings
from bot.delivery import flush
from bot.enrich import run as enrich_run
from bot.errors import AccessDeniedError, RequestTimeoutError
from tests.factories.services import memory_services
from tests.fakes import FakeClock
from tests.unit.test_enrich import lambda_errors_alarm

CHANNEL = "C0ALERTS"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


class Graphs:
    def __init__(self, error: Exception | None = None) -> None:
        self.widgets: list[tuple[dict, str | None]] = []
        self.accounts: list[str | None] = []
        self.error = error

    def render(self, widget, region, *, account=None):
        if self.error is not None:
            raise self.error
        self.widgets.append((widget, region))
        self.accounts.append(account)
        return PNG


class Logs:
    def __init__(self, rows=None, error: Exception | None = None) -> None:
        self.queries: list[dict] = []
        self.rows = rows if rows is not None else [
            {"@message": "ERROR db timeout after 3000 ms", "@log": "1:/aws/lambda/api"},
            {"@message": "ERROR db timeout after 3100 ms", "@log": "1:/aws/lambda/api"},
        ]  # fmt: skip
        self.error = error

    def query(self, log_groups, query, start, end, *, max_bytes=None, timeout_s=None,
              account=None, region=None):  # fmt: skip
        self.queries.append({"groups": log_groups, "query": query, "start": start, "end": end,
                             "max_bytes": max_bytes, "timeout_s": timeout_s,
                             "account": account, "region": region})  # fmt: skip
        if self.error is not None:
            raise self.error
        return self.rows


class Tags:
    def __init__(self, tags=None, error: Exception | None = None) -> None:
        self.read: list[str] = []
        self.found = tags if tags is not None else {}
        self.error = error

    def tags(self, alarm_arn):
        self.read.append(alarm_arn)
        if self.error is not None:
            raise self.error
        return self.found


def bot(graphs=None, logs=None, tags=None, routes=None, **settings):
    clock = FakeClock()
    queue = LocalEnrichQueue()
    svc = memory_services(
        Settings(slack_alerts_channel=CHANNEL, **settings),
        clock=clock,
        enrich_queue=queue,
        pause=clock.advance,  # a budget's wait moves the clock, never the test
        graphs=graphs if graphs is not None else Graphs(),
        logs=logs if logs is not None else Logs(),
        alarm_tags=tags,
        **({"routes": routes} if routes is not None else {}),
    )
    return svc, clock, queue


def fire(svc, event_id: str = "evt-1", function: str = "api", changed: str = ""):
    event = lambda_errors_alarm(function)
    event["id"] = event_id
    if changed:  # another transition of the alarm
        event["detail"]["state"]["timestamp"] = changed
    event["detail"]["alarmName"] = f"{function}-errors"
    event["resources"] = [f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{function}-errors"]
    svc.ingest(event)


def test_a_posted_alarm_gets_its_graph_and_error_lines_in_its_thread_after_its_post():
    graphs, logs = Graphs(), Logs()
    svc, _clock, queue = bot(graphs, logs)
    fire(svc)
    (post,) = svc.chat.posts
    assert svc.chat.uploads == [] and svc.chat.findings == []  # nothing delays the post
    assert len(queue) == 1

    assert svc.enrich_waiting() == 1
    (upload,) = svc.chat.uploads
    assert upload["ref"] == post["ref"] and upload["content"] == PNG
    (widget, region), = graphs.widgets  # fmt: skip
    assert widget["metrics"][0][:4] == ["AWS/Lambda", "Errors", "FunctionName", "api"]
    assert region == "us-east-1"
    (query,) = logs.queries
    assert query["groups"] == ["/aws/lambda/api"]
    assert query["max_bytes"] == svc.settings.enrich_log_max_bytes
    assert query["timeout_s"] == svc.settings.enrich_log_timeout
    assert (query["account"], query["region"]) == ("123456789012", "us-east-1")
    assert graphs.accounts == ["123456789012"]  # read where the alarm lives
    (reply,) = svc.chat.findings
    assert reply["thread_ts"] == post["ref"].ts
    (line,) = reply["findings"].lines
    assert line.count == 2
    alert = svc.alerts.list_alerts()[0]
    assert set(alert.enrichment.ran_at) == {"changes", "graph", "logs"}


def test_each_kind_runs_once_per_alert_per_ten_minutes():
    svc, clock, _ = bot()
    fire(svc)
    svc.enrich_waiting()
    alert_id = svc.alerts.list_alerts()[0].id
    again = svc.enrich(alert_id)  # a redelivered request
    assert again.done == [] and set(again.skipped) == {"changes", "graph", "logs"}
    assert len(svc.chat.uploads) == 1 and len(svc.chat.findings) == 1
    clock.advance(enrich_run.EVERY_S)
    assert sorted(svc.enrich(alert_id).done) == ["graph", "logs"]
    assert len(svc.chat.uploads) == 2


def test_denied_enrichments_leave_the_alert_as_posted_with_one_warning_per_kind(caplog):
    denied = AccessDeniedError("AccessDenied: cloudwatch:GetMetricWidgetImage")
    svc, clock, _ = bot(Graphs(denied), Logs(error=AccessDeniedError("logs:StartQuery")))
    caplog.set_level(logging.WARNING)
    fire(svc, "evt-1", "api")
    fire(svc, "evt-2", "worker")
    svc.enrich_waiting()  # two roots within a minute: both wait it out
    clock.advance(storm.WINDOW_S)
    assert svc.enrich_waiting() == 2
    assert svc.chat.uploads == [] and svc.chat.findings == []
    assert len(svc.chat.posts) == 2 and svc.chat.updates == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sum("graph enrichment is not allowed" in w for w in warnings) == 1
    assert sum("logs enrichment is not allowed" in w for w in warnings) == 1


def test_a_query_stopped_at_its_byte_limit_posts_nothing_and_the_graph_still_comes():
    stopped = RequestTimeoutError("stopped after scanning 1000000001 bytes")
    svc, _, _ = bot(logs=Logs(error=stopped))
    fire(svc)
    svc.enrich_waiting()
    assert len(svc.chat.uploads) == 1 and svc.chat.findings == []
    result = svc.enrich(svc.alerts.list_alerts()[0].id)
    assert result.done == []  # claimed already: the stopped query is not run again at once


def test_settings_turn_each_kind_off():
    graphs, logs = Graphs(), Logs()
    svc, _, _ = bot(graphs, logs, enrich_graph=False, enrich_logs=False)
    fire(svc)
    svc.enrich_waiting()
    assert graphs.widgets == [] and logs.queries == []
    assert svc.chat.uploads == [] and svc.chat.findings == []


def test_an_alarm_with_no_error_lines_gets_no_reply():
    svc, _, _ = bot(logs=Logs(rows=[]))
    fire(svc)
    svc.enrich_waiting()
    assert svc.chat.findings == [] and len(svc.chat.uploads) == 1


def test_a_root_of_a_forming_burst_waits_its_minute_and_a_storm_skips_it():
    svc, clock, queue = bot()
    fire(svc, "evt-1", "api")
    fire(svc, "evt-2", "worker")  # two new alerts within the minute: a storm may be forming
    assert svc.enrich_waiting() == 2
    assert svc.chat.uploads == []  # both wait out the minute
    assert len(queue) == 2
    clock.advance(storm.WINDOW_S)
    # The channel went into storm mode meanwhile: its roots are not enriched.
    key, now = storm.state_key(CHANNEL), int(clock.now())
    state = svc.alerts.get_state(key)
    assert state is not None
    svc.alerts.put_state(
        state.model_copy(update={"data": {"storm": "s1", "last_new": now, "started": now}})
    )
    assert svc.enrich_waiting() == 2
    assert svc.chat.uploads == [] and svc.chat.findings == []


def test_a_root_of_a_quiet_burst_is_enriched_after_its_minute():
    svc, clock, _queue = bot()
    fire(svc, "evt-1", "api")
    fire(svc, "evt-2", "worker")
    svc.enrich_waiting()
    clock.advance(storm.WINDOW_S)
    assert svc.enrich_waiting() == 2
    assert len(svc.chat.uploads) == 2


@pytest.mark.parametrize("body", ["", "not json", '{"alert": 1}', '["x"]'])
def test_the_enrich_function_drops_messages_that_name_no_alert(body):
    from handlers.aws_lambda.enrich import _alert_id

    assert _alert_id({"body": body}) is None


def test_a_storm_summary_gets_the_graph_of_its_busiest_alarm_and_its_members_nothing():
    graphs, logs = Graphs(), Logs()
    svc, clock, _queue = bot(graphs, logs, storm_threshold=3)
    for n in range(8):
        fire(svc, f"evt-{n}", f"fn{n}")
    fire(svc, "evt-again", "fn6", changed="2019-10-02T17:09:40.000+0000")  # fn6 fires twice
    clock.advance(storm.WINDOW_S)
    flush(svc.delivery)  # the summary's post, paced by the channel's budget
    (summary,) = svc.chat.storms
    svc.enrich_waiting()  # the summary waits for its first minute
    assert svc.chat.uploads == []
    clock.advance(storm.WINDOW_S)
    svc.enrich_waiting()
    (upload,) = svc.chat.uploads
    assert upload["ref"] == summary["ref"]  # in the summary's thread
    (widget, _), = graphs.widgets  # fmt: skip
    assert widget["metrics"][0][2:4] == ["FunctionName", "fn6"]
    assert logs.queries == [] and svc.chat.findings == []  # members get nothing


def stack_update(at: str, stack: str = "api-prod") -> dict:
    arn = f"arn:aws:cloudformation:us-east-1:123456789012:stack/{stack}/0a1b2c3d"
    return {
        "version": "0",
        "id": f"cfn-{stack}-{at}",
        "detail-type": "CloudFormation Stack Status Change",
        "source": "aws.cloudformation",
        "account": "123456789012",
        "time": at,
        "region": "us-east-1",
        "resources": [arn],
        "detail": {"stack-id": arn, "status-details": {"status": "UPDATE_COMPLETE"}},
    }


def test_the_root_shows_the_stack_update_that_came_four_minutes_before_the_alarm():
    svc, clock, _ = bot()
    svc.ingest(stack_update("2019-10-02T17:00:40Z"))  # 4 min before the alarm's change
    svc.ingest(stack_update("2019-10-02T15:00:00Z", "older"))  # outside the hour: not shown
    fire(svc)
    clock.advance(20)  # the channel's post budget, and the root's edit window
    flush(svc.delivery)
    (root,) = [a for a in svc.alerts.list_alerts() if a.kind == "alert" and a.message]
    result = svc.enrich(root.id)
    assert "changes" in result.done
    enriched = svc.alerts.get_alert(root.id)
    (change,) = enriched.enrichment.changes
    assert change.title == "stack api-prod UPDATE_COMPLETE"
    clock.advance(lifecycle.COALESCE_S)  # the edit waits out the root's coalescing window
    flush(svc.delivery)
    edited = svc.chat.updates[-1]["alert"]
    assert edited.enrichment.changes == [change]  # the root was redrawn with it


def test_changes_are_off_with_their_setting():
    svc, clock, _ = bot(enrich_changes=False)
    svc.ingest(stack_update("2019-10-02T17:00:40Z"))
    fire(svc)
    clock.advance(20)
    flush(svc.delivery)
    (root,) = [a for a in svc.alerts.list_alerts() if a.kind == "alert" and a.message]
    assert "changes" not in svc.enrich(root.id).done + list(svc.enrich(root.id).skipped)


def test_an_alarm_tagged_with_a_runbook_gets_the_runbook_button_by_its_next_edit():
    tags = Tags({"Team": "api", "Playbook": "https://wiki.example.com/api-errors"})
    svc, clock, _ = bot(tags=tags)
    fire(svc)
    (post,) = svc.chat.posts
    assert tags.read == []  # no AWS call before the first post
    result = svc.enrich(svc.alerts.list_alerts()[0].id)
    assert "runbook" in result.done
    assert tags.read == ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:api-errors"]
    alert = svc.alerts.list_alerts()[0]
    assert alert.enrichment.runbook_url == "https://wiki.example.com/api-errors"
    clock.advance(svc.delivery.coalesce)
    flush(svc.delivery)
    (update,) = svc.chat.updates
    assert update["ref"] == post["ref"]
    assert update["alert"].enrichment.runbook_url == "https://wiki.example.com/api-errors"


def test_an_alarm_whose_description_names_a_runbook_reads_no_tags():
    tags = Tags({"runbook": "https://wiki.example.com/other"})
    svc, _, _ = bot(tags=tags)
    event = lambda_errors_alarm("api")
    event["detail"]["configuration"]["description"] = "See https://wiki.example.com/api."
    svc.ingest(event)
    result = svc.enrich(svc.alerts.list_alerts()[0].id)
    assert "runbook" not in result.done and "runbook" not in result.skipped
    assert tags.read == []


def test_tags_without_an_https_runbook_change_nothing():
    svc, _, _ = bot(tags=Tags({"runbook": "http://plain.example.com", "owner": "x"}))
    fire(svc)
    result = svc.enrich(svc.alerts.list_alerts()[0].id)
    assert result.skipped["runbook"] == "nothing to show"
    assert svc.alerts.list_alerts()[0].enrichment.runbook_url is None


def test_an_alarm_of_an_account_without_a_read_role_gets_only_the_changes():
    graphs, logs, tags = Graphs(), Logs(), Tags({"runbook": "https://wiki.example.com/r"})
    svc, _, _ = bot(graphs, logs, tags)
    svc.enrich.readable = lambda account: account != "123456789012"
    fire(svc)
    result = svc.enrich(svc.alerts.list_alerts()[0].id)
    assert result.skipped["graph"] == result.skipped["logs"] == "its account has no read role"
    assert result.skipped["runbook"] == "its account has no read role"
    assert graphs.widgets == [] and logs.queries == [] and tags.read == []
    assert svc.chat.uploads == [] and svc.chat.findings == []


def test_a_spent_post_budget_skips_the_kind_and_says_why():
    from bot import budget

    graphs = Graphs()
    svc, clock, _ = bot(graphs)
    fire(svc)
    # Slack answered 429 with a Retry-After longer than the worker waits.
    budget.hold(svc.alerts, budget.post_key(CHANNEL), clock.now() + 2 * enrich_run.LONGEST_PAUSE_S)
    result = svc.enrich(svc.alerts.list_alerts()[0].id)
    assert result.skipped["graph"] == result.skipped["logs"] == "the channel's post budget is spent"
    assert len(graphs.widgets) == 1  # drawn, but not shared
    assert svc.chat.uploads == [] and svc.chat.findings == []


def test_a_deleted_alarm_s_tags_show_nothing_and_warn_nothing(caplog):
    from bot.errors import NotFoundError

    svc, _, _ = bot(tags=Tags(error=NotFoundError("no alarm")))
    fire(svc)
    caplog.set_level(logging.WARNING)
    result = svc.enrich(svc.alerts.list_alerts()[0].id)
    assert result.skipped["runbook"] == "nothing to show"
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_the_log_groups_a_route_names_are_queried_instead_of_the_derived_ones():
    from bot.routing import parse_routes

    routes = parse_routes(
        {"routes": [{"match": {"source": "cloudwatch"}, "channel": CHANNEL,
                     "log_groups": ["/orders/api", "/orders/worker"]}]}
    )  # fmt: skip
    logs = Logs()
    svc, _, _ = bot(logs=logs, routes=routes)
    fire(svc)
    svc.enrich(svc.alerts.list_alerts()[0].id)
    (query,) = logs.queries
    assert query["groups"] == ["/orders/api", "/orders/worker"]
