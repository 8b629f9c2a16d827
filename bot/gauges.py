"""The gauges, measured: how much Slack work is due and how old the oldest is, and how
many channels are in storm mode. Each is a bounded read (the backlog counts up to
BACKLOG_CAP records; storms read one state per channel the routes name), done when
Prometheus scrapes the service, and by the flush function on AWS."""

from __future__ import annotations

from bot import metrics, routing, storm
from bot.health import measure_backlog
from bot.metrics import Metrics
from bot.ports import DeliveryStore
from bot.services import Services, alerts_channel


def measure_gauges(
    alerts: DeliveryStore, routes: routing.Routes, channel: str, now: float, into: Metrics
) -> None:
    """Set the gauges from the store as it is at `now`; `channel` is the default one."""
    backlog = measure_backlog(alerts, now)
    into.set(metrics.DUE_WORK, backlog.count)
    into.set(metrics.DUE_WORK_AGE, backlog.oldest_s or 0)
    storming = [
        name
        for name in routing.channels(routes, channel)
        if storm.active(alerts.get_state(storm.state_key(name)), int(now)) is not None
    ]
    into.set(metrics.STORM_CHANNELS, len(storming))


def measure_service_gauges(services: Services) -> None:
    """The gauges of a running bot, into its metrics, at its clock's now."""
    channel = alerts_channel(services.settings)
    now = services.clock.now()
    measure_gauges(services.alerts, services.routes, channel, now, services.metrics)
