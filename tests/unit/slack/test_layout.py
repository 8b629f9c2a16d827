"""Every Slack listener is a module of handlers/slack/listeners that build_app registers,
whose listener Bolt can call by name, and that has its own unit test."""

from __future__ import annotations

import pkgutil
from pathlib import Path

from slack_bolt.util.utils import get_arg_names_of_callable, get_name_for_callable

import handlers.slack.listeners as listeners
from handlers.slack.listeners import LISTENERS
from handlers.slack.listeners.acknowledge import acknowledge
from handlers.slack.wiring import bound

HERE = Path(__file__).parent


def test_every_listener_module_is_registered_and_tested():
    modules = {m.name for m in pkgutil.iter_modules(listeners.__path__)}
    assert {m.__name__.rsplit(".", 1)[1] for m in LISTENERS} == modules
    for module in LISTENERS:
        assert callable(module.register), module.__name__
    untested = {m for m in modules if not (HERE / f"test_{m}.py").exists()}
    assert not untested


def test_a_bound_listener_keeps_the_name_and_arguments_bolt_reads(core):
    """Bolt fills only the arguments it names; on Lambda it finds a lazy listener again
    by its name, so two bound listeners must not share one."""
    work = bound(acknowledge, core)
    assert get_name_for_callable(work) == "acknowledge"
    assert get_arg_names_of_callable(work) == ["body", "action", "client"]
