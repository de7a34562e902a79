"""Live tracking over Server-Sent Events, on SQLite and PostgreSQL, against a real uvicorn server (TestClient
buffers streams): an officer's action reaches the applicant's open stream, a reconnect resends what was missed,
the queue stream follows the agency, a client that leaves leaves nothing behind — and on PostgreSQL an action
on one server process reaches a stream on another (LISTEN/NOTIFY)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from shaffof.config import Settings
from shaffof.db.engine import Database
from shaffof.live.hub import RESYNC, CaseSignal, LiveHub
from shaffof.platform import Platform
from shaffof.web.app import create_app
from tests.factories import APPEAL_FORM, PASSWORD, World

HEARTBEAT = 0.2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(app: FastAPI, port: int | None = None) -> Iterator[str]:
    """Run the app on a real uvicorn server in a thread (on ``port``, or a free one); its base URL."""
    port = port or free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


def live_app(settings: Settings, database: Database) -> FastAPI:
    return create_app(settings.model_copy(update={"live_heartbeat_seconds": HEARTBEAT}), db=database)


def platform_of(app: FastAPI) -> Platform:
    platform: Platform = app.state.platform
    return platform


def login(http: httpx.Client, name: str) -> dict[str, str]:
    response = http.post("/api/v1/auth/login", json={"login": name, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def file_appeal(http: httpx.Client, headers: dict[str, str]) -> str:
    body = {"service": "appeal-to-hokimiyat", "agency": "YUNUSHOK", "form": APPEAL_FORM}
    response = http.post("/api/v1/cases", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["registration_number"])


class Events:
    """Reads a text/event-stream: one dict per event (id, event, data), comments counted as heartbeats."""

    def __init__(self, response: httpx.Response) -> None:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        self._lines = response.iter_lines()
        self.heartbeats = 0

    def next(self, event: str | None = None, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        fields: dict[str, Any] = {}
        for line in self._lines:
            assert time.monotonic() < deadline, f"no {event or 'event'} within {timeout} s"
            if line.startswith(":"):
                self.heartbeats += 1
            elif line == "":
                if "data" in fields and (event is None or fields.get("event") == event):
                    fields["data"] = json.loads(fields["data"])
                    return fields
                fields = {}
            else:
                name, _, value = line.partition(": ")
                fields[name] = value
        raise AssertionError("the stream ended")


# ---------------------------------------------------------------------------------------------------------- streams


def test_the_applicant_sees_an_officer_action_live(settings: Settings, database: Database, world: World) -> None:
    with serving(live_app(settings, database)) as url, httpx.Client(base_url=url, timeout=15) as http:
        alice, officer = login(http, "alice"), login(http, "yunushok.officer")
        number = file_appeal(http, alice)
        with http.stream("GET", f"/api/v1/cases/{number}/events", headers=alice) as response:
            events = Events(response)
            ready = events.next("ready")
            assert ready["id"] == "3" and ready["data"]["state"] == "registered"  # submitted, registered, assigned

            assert http.post(f"/api/v1/officer/cases/{number}/take", headers=officer).status_code == 200
            taken = events.next("case-event")
            assert taken["id"] == "4"
            assert taken["data"]["registration_number"] == number
            assert (taken["data"]["kind"], taken["data"]["state_after"]) == ("taken", "in_review")

            http.post(f"/api/v1/officer/cases/{number}/request-info", json={"message": "Uy raqami?"}, headers=officer)
            asked = events.next("case-event")
            assert asked["id"] == "5" and asked["data"]["reason"] == "Uy raqami?"
            time.sleep(HEARTBEAT * 3)  # an idle stream carries heartbeats
            http.post(f"/api/v1/cases/{number}/respond", json={"message": "12-uy"}, headers=alice)
            assert events.next("case-event")["data"]["kind"] == "info_provided"
            assert events.heartbeats >= 1


def test_a_reconnect_with_last_event_id_resends_what_was_missed(
    settings: Settings, database: Database, world: World
) -> None:
    with serving(live_app(settings, database)) as url, httpx.Client(base_url=url, timeout=15) as http:
        alice, officer = login(http, "alice"), login(http, "yunushok.officer")
        number = file_appeal(http, alice)
        with http.stream("GET", f"/api/v1/cases/{number}/events", headers=alice) as response:
            last_id = Events(response).next("ready")["id"]
        # While the applicant is away the case moves twice.
        http.post(f"/api/v1/officer/cases/{number}/take", headers=officer)
        http.post(f"/api/v1/officer/cases/{number}/request-info", json={"message": "Manzil?"}, headers=officer)
        headers = alice | {"Last-Event-ID": last_id}
        with http.stream("GET", f"/api/v1/cases/{number}/events", headers=headers) as response:
            events = Events(response)
            ready = events.next("ready")
            assert "id" not in ready and ready["data"]["resumed_after"] == 3
            assert [events.next("case-event")["id"] for _ in range(2)] == ["4", "5"]
            http.post(f"/api/v1/cases/{number}/respond", json={"message": "4-kvartal"}, headers=alice)
            assert events.next("case-event")["id"] == "6"


def test_the_officer_queue_stream_follows_the_agency(settings: Settings, database: Database, world: World) -> None:
    with serving(live_app(settings, database)) as url, httpx.Client(base_url=url, timeout=15) as http:
        alice, officer = login(http, "alice"), login(http, "yunushok.officer")
        with http.stream("GET", "/api/v1/officer/queue/events", headers=officer) as response:
            events = Events(response)
            assert events.next("ready")["data"] == {"resumed": False}
            number = file_appeal(http, alice)
            received = [events.next("queue-event")["data"] for _ in range(2)]
            assert received == [
                {"registration_number": number, "seq": 1, "kind": "submitted", "state": "submitted"},
                {"registration_number": number, "seq": 2, "kind": "registered", "state": "registered"},
            ]
        with http.stream(
            "GET", "/api/v1/officer/queue/events", headers=officer | {"Last-Event-ID": f"{number}:2"}
        ) as response:
            assert Events(response).next("ready")["data"] == {"resumed": True}  # reload the queue, then follow


def test_streams_are_for_those_who_may_read(settings: Settings, database: Database, world: World) -> None:
    with serving(live_app(settings, database)) as url, httpx.Client(base_url=url, timeout=15) as http:
        number = file_appeal(http, login(http, "alice"))
        cases = f"/api/v1/cases/{number}/events"
        assert http.get(cases).status_code == 401
        assert http.get(cases, headers=login(http, "bob")).status_code == 404  # not even its existence
        other_agency = http.get(cases, headers=login(http, "toshhok.officer"))
        assert other_agency.status_code == 403
        assert other_agency.headers["content-type"] == "application/problem+json"
        assert http.get("/api/v1/officer/queue/events", headers=login(http, "alice")).status_code == 403
        with http.stream("GET", cases, headers=login(http, "auditor")) as response:  # the policy decides
            assert Events(response).next("ready")["data"]["registration_number"] == number


def test_clients_that_go_away_leave_no_subscription_behind(
    settings: Settings, database: Database, world: World
) -> None:
    app = live_app(settings, database)
    hub = platform_of(app).live.hub
    with serving(app) as url, httpx.Client(base_url=url, timeout=15) as http:
        alice, officer = login(http, "alice"), login(http, "yunushok.officer")
        number = file_appeal(http, alice)
        for _ in range(3):
            with http.stream("GET", f"/api/v1/cases/{number}/events", headers=alice) as response:
                Events(response).next("ready")
            with http.stream("GET", "/api/v1/officer/queue/events", headers=officer) as response:
                Events(response).next("ready")
        deadline = time.monotonic() + 10
        while hub.subscriber_count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hub.subscriber_count == 0


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_an_action_on_one_server_reaches_a_stream_on_another(
    settings: Settings, database: Database, world: World
) -> None:
    """Two `shaffof serve` processes on one PostgreSQL: each has its own hub and LISTEN thread."""
    other_db = Database(database.engine.url.render_as_string(hide_password=False))
    try:
        with (
            serving(live_app(settings, database)) as first,
            serving(live_app(settings, other_db)) as second,
            httpx.Client(base_url=first, timeout=15) as one,
            httpx.Client(base_url=second, timeout=15) as two,
        ):
            alice, officer = login(one, "alice"), login(two, "yunushok.officer")
            number = file_appeal(one, alice)
            with (
                one.stream("GET", f"/api/v1/cases/{number}/events", headers=alice) as case_stream,
                one.stream("GET", "/api/v1/officer/queue/events", headers=officer) as queue_stream,
            ):
                case_events, queue_events = Events(case_stream), Events(queue_stream)
                case_events.next("ready")
                queue_events.next("ready")
                assert two.post(f"/api/v1/officer/cases/{number}/take", headers=officer).status_code == 200
                assert case_events.next("case-event")["data"]["kind"] == "taken"
                assert queue_events.next("queue-event")["data"] == {
                    "registration_number": number,
                    "seq": 4,  # submitted, registered, assigned, taken
                    "kind": "taken",
                    "state": "in_review",
                }
    finally:
        other_db.dispose()


# ---------------------------------------------------------------------------------------------------------- the hub


def test_the_hub_routes_signals_by_case_and_agency_from_any_thread() -> None:
    async def scenario() -> None:
        hub = LiveHub()
        case = hub.subscribe(registration_number="A-2026-000001")
        agency = hub.subscribe(agency_id=7)
        other = hub.subscribe(agency_id=8)
        signal = CaseSignal(7, "A-2026-000001", 3, "taken", "in_review")
        thread = threading.Thread(target=hub.publish, args=(signal,))
        thread.start()
        thread.join()
        assert await case.get(1) == signal
        assert await agency.get(1) == signal
        assert await other.get(0.05) is None
        for subscription in (case, agency, other):
            subscription.close()
        assert hub.subscriber_count == 0

    asyncio.run(scenario())


def test_a_stream_that_falls_behind_is_told_to_resync_instead_of_growing() -> None:
    async def scenario() -> None:
        hub = LiveHub(queue_size=4)
        with hub.subscribe(agency_id=1) as slow:
            for seq in range(1, 50):
                hub.publish(CaseSignal(1, "A-2026-000001", seq, "taken", "in_review"))
            await asyncio.sleep(0)  # let the loop run the deliveries
            items = [await slow.get(0.1) for _ in range(5)]
            assert RESYNC in items
            assert len([i for i in items if i is not None]) <= 4
        assert hub.subscriber_count == 0

    asyncio.run(scenario())


def test_signals_carry_no_personal_data_and_malformed_payloads_are_ignored() -> None:
    signal = CaseSignal(3, "YUNUSHOK-2026-000001", 4, "decided", "decided")
    assert json.loads(signal.to_json()) == {
        "agency_id": 3,
        "registration_number": "YUNUSHOK-2026-000001",
        "seq": 4,
        "kind": "decided",
        "state": "decided",
    }
    assert CaseSignal.from_json(signal.to_json()) == signal
    assert CaseSignal.from_json("not json") is None
    assert CaseSignal.from_json('{"agency_id": "x"}') is None
