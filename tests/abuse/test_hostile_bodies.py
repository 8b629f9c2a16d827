"""Bodies built to cost the service its time or memory, sent six at once.

The rule (docs/commands.md): POST /ingest takes at most INGEST_MAX_EVENTS events and
256 KB per body, refuses numbers JSON does not have, and answers a body of bad events in
one short answer. Six such bodies at once must each be answered 400 or 413 within 5 s,
the server's memory must stay under 150 MB, and valid events sent after are stored.

The server is `python app.py serve` in its own process, so that its memory is its own.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.envelopes import MAX_EVENT_BYTES
from tests.abuse.conftest import AGENT_ID, API_TOKEN, INGEST_TOKEN, Target
from tests.corpus import load
from tests.e2e.conftest import free_port
from tests.figures import FIGURES

BODY_BYTES = MAX_EVENT_BYTES - 64  # just under the 256 KB limit: each is read whole
ANSWER_WITHIN_S = 5.0
RSS_BELOW_MB = 150


def _fill(head: str, item: str, tail: str = "]", sep: str = ",") -> bytes:
    """`head item,item,…tail` as long as fits in BODY_BYTES."""
    count = (BODY_BYTES - len(head) - len(tail)) // (len(item) + len(sep))
    body = (head + sep.join([item] * count) + tail).encode()
    assert BODY_BYTES - len(item) - len(sep) <= len(body) <= BODY_BYTES
    return body


def _invalid_event() -> str:
    """A well-formed EventBridge envelope (about 250 bytes) whose detail is not an object:
    read up to its detail, then rejected."""
    pad = "x" * 150
    event = {"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification"}
    return json.dumps({**event, "id": "", "detail": [pad]})


def hostile_bodies() -> dict[str, tuple[bytes, int]]:
    """Each body and the status it must get."""
    invalid = _invalid_event()
    count = min(1000, (BODY_BYTES - 2) // (len(invalid) + 1))
    numbers, objects = _fill("[", "1"), _fill("[", "{}")
    return {
        f"an array of {numbers.count(b',') + 1:,} numbers": (numbers, 413),
        f"[{{}},{{}},…] of {objects.count(b',') + 1:,} objects": (objects, 413),
        f"arrays nested {BODY_BYTES // 2:,} deep": (
            b"[" * (BODY_BYTES // 2) + b"]" * (BODY_BYTES // 2),
            400,
        ),
        "events full of NaN": (_fill("[", '{"source":"a","detail":{"v":NaN}}'), 400),
        "integers of 4,000 digits": (_fill("[", "9" * 4000), 400),
        f"{count:,} well-formed invalid events": (
            ("[" + ",".join([invalid] * count) + "]").encode(),
            400,
        ),
    }


def _memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (its peak), in kB, from /proc/<pid>/status."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {key: int(fields[key].split()[0]) for key in ("VmRSS", "VmHWM")}


def _post(url: str, body: bytes) -> tuple[int, dict[str, Any], float]:
    started = time.monotonic()
    headers = {"Authorization": f"Bearer {INGEST_TOKEN}", "Content-Type": "application/json"}
    with httpx.Client(base_url=url, timeout=60) as client:
        answer = client.post("/ingest", content=body, headers=headers)
    return answer.status_code, answer.json(), time.monotonic() - started


def test_six_hostile_bodies_at_once_are_refused_in_time_and_memory(serve: Any) -> None:
    served = serve(
        {
            "PORT": str(free_port()),
            "INGEST_TOKEN": INGEST_TOKEN,
            "API_TOKEN": API_TOKEN,
            "LOG_LEVEL": "INFO",  # every line the bodies cause is written, as in production
        }
    )
    url = f"http://127.0.0.1:{served.port}"
    bodies = hostile_bodies()
    assert all(len(body) <= MAX_EVENT_BYTES for body, _ in bodies.values())
    before = _memory_kb(served.process.pid)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        answers = dict(
            zip(bodies, pool.map(lambda b: _post(url, b[0]), bodies.values()), strict=True)
        )

    after = _memory_kb(served.process.pid)
    for name, (status, answer, _) in answers.items():
        assert status == bodies[name][1], (name, status, str(answer)[:300])
        assert answer["error"], name
    (_, invalid, _) = answers[next(n for n in bodies if "well-formed" in n)]
    assert len(invalid["rejected"]) == 100 < invalid["rejected_count"]
    assert "NaN is not a JSON number" in answers["events full of NaN"][1]["error"]
    assert "over the 1000 taken in one body" in answers[next(iter(bodies))][1]["error"]
    log_lines = served.log().count("\n")
    assert log_lines < 100, "a body's rejections are logged once, not per event"

    event = load("ecs_task_state_change_running.json")
    event["id"] = "after-the-hostile-bodies"
    status, stored, _ = _post(url, json.dumps(event).encode())
    assert (status, stored["stored"]) == (202, 1)
    api = {"Authorization": f"Bearer {API_TOKEN}"}
    assert served.http.get(f"/events/{event['id']}", headers=api).status_code == 200

    times = [elapsed for _, _, elapsed in answers.values()]
    peak_mb = after["VmHWM"] / 1024
    FIGURES.add(
        "abuse",
        "six 256 KB hostile bodies at once",
        f"{'; '.join(bodies)}: each answered (400/413) within {ANSWER_WITHIN_S:g} s, "
        f"slowest {max(times):.2f} s; "
        f"server RSS {before['VmRSS'] / 1024:.0f} MB before, peak {peak_mb:.0f} MB "
        f"(bound {RSS_BELOW_MB} MB); {log_lines} log lines",
    )
    assert max(times) < ANSWER_WITHIN_S, answers
    assert peak_mb < RSS_BELOW_MB


NON_FINITE = {"NaN": "NaN", "Infinity": "-Infinity", "1e400": "1e400", "huge integer": "9" * 400}


@pytest.mark.parametrize("number", list(NON_FINITE))
@pytest.mark.parametrize("route", ["/ingest", "/agents", f"/agents/{AGENT_ID}/deployments"])
def test_a_number_json_does_not_have_is_400_on_every_route_that_reads_json(
    shared_target: Target, unchanged: Any, route: str, number: str
) -> None:
    """Python's JSON reader takes NaN and Infinity; stored, they would break every answer
    that serialises them back (JSON has neither)."""
    value = NON_FINITE[number]
    agent = '"id": "210987654399", "region": "us-east-1", "status": "ok"'
    body = f'{{{agent}, "deployed_at": {value}}}'
    client = shared_target.ingest if route == "/ingest" else shared_target.api
    with unchanged(shared_target):
        answer = client.post(route, content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert "not JSON we accept" in answer.json()["error"]
