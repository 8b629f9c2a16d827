"""An alert's root and its incident: Declare incident until one is declared, then a line
naming the channel; once closed, the line says so and the button is back."""

from __future__ import annotations

from blocks.alert import DECLARE_INCIDENT, alert_blocks
from bot.models import AlertStatus, IncidentRef
from tests.factories import T0
from tests.slack.fake_slack import validate_blocks
from tests.unit.test_blocks_alert import _alarm, _alert, _all_text, _elements


def test_declare_incident_is_offered_until_an_incident_is_declared():
    blocks, _ = alert_blocks(_alarm(), _alert(), controls=True, now=T0)
    button = _elements(blocks)[DECLARE_INCIDENT]
    assert button["value"] == "a-1:4" and button["text"]["text"] == "Declare incident"
    assert validate_blocks(blocks) == []

    ref = IncidentRef(channel="C0INC", name="inc-x", declared_by="U1", declared_at=T0)
    blocks, _ = alert_blocks(_alarm(), _alert(incident=ref), controls=True, now=T0)
    assert DECLARE_INCIDENT not in _elements(blocks)
    assert "Incident: <#C0INC>" in _all_text(blocks)

    closed = ref.model_copy(update={"closed_at": T0 + 60})
    blocks, _ = alert_blocks(_alarm(), _alert(incident=closed), controls=True, now=T0)
    assert DECLARE_INCIDENT in _elements(blocks)
    assert "Incident: <#C0INC> (closed)" in _all_text(blocks)


def test_a_resolved_alert_and_a_claim_under_way_show_no_button():
    resolved = _alert(status=AlertStatus.RESOLVED, resolved_at=T0)
    blocks, _ = alert_blocks(_alarm(), resolved, controls=True, now=T0)
    assert DECLARE_INCIDENT not in _elements(blocks)
    claim = IncidentRef(declared_by="U1", declared_at=T0)  # its channel on its way
    blocks, _ = alert_blocks(_alarm(), _alert(incident=claim), controls=True, now=T0)
    assert DECLARE_INCIDENT not in _elements(blocks) and "Incident:" not in _all_text(blocks)
