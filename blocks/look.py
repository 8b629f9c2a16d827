"""How severities and states look in Slack: one emoji and one attachment colour each."""

from __future__ import annotations

from bot.models import Severity, SignalState

SEVERITY_EMOJI = {
    Severity.CRITICAL: ":rotating_light:",
    Severity.HIGH: ":red_circle:",
    Severity.MEDIUM: ":large_orange_circle:",
    Severity.LOW: ":large_yellow_circle:",
    Severity.INFO: ":information_source:",
}
SEVERITY_COLOR = {
    Severity.CRITICAL: "#8B0000",
    Severity.HIGH: "#FF0000",
    Severity.MEDIUM: "#FFA500",
    Severity.LOW: "#FFD700",
    Severity.INFO: "#439FE0",
}
STATE_EMOJI = {
    SignalState.FIRING: ":fire:",
    SignalState.RESOLVED: ":white_check_mark:",
    SignalState.INFO: ":memo:",
}
STATE_COLOR = {
    SignalState.FIRING: "#FF0000",
    SignalState.RESOLVED: "#36A64F",
    SignalState.INFO: "#439FE0",
}
