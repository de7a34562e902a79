"""Server-Sent Events endpoints: a case's events and an officer's queue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from shaffof.live.service import LiveUpdates
from shaffof.web.deps import CurrentActor, PlatformDep

router = APIRouter(tags=["live"])

EVENT_STREAM = "text/event-stream"
STREAM_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}  # no proxy buffering of the stream
STREAM_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {EVENT_STREAM: {}}, "description": "a Server-Sent Events stream"}
}


def get_live(platform: PlatformDep) -> LiveUpdates:
    return platform.live


LiveDep = Annotated[LiveUpdates, Depends(get_live)]
LastEventId = Annotated[
    str | None,
    Header(alias="Last-Event-ID", max_length=64, description="resume after this event (sent by EventSource)"),
]


@router.get("/cases/{registration_number}/events", response_class=StreamingResponse, responses=STREAM_RESPONSE)
async def case_events(
    registration_number: str, request: Request, actor: CurrentActor, live: LiveDep, last_event_id: LastEventId = None
) -> StreamingResponse:
    """The case's timeline, live: ``ready``, then a ``case-event`` per new event (id = its seq)."""
    stream = await run_in_threadpool(live.open_case_stream, actor, registration_number, last_event_id)
    return StreamingResponse(stream.messages(request.is_disconnected), media_type=EVENT_STREAM, headers=STREAM_HEADERS)


@router.get("/officer/queue/events", response_class=StreamingResponse, responses=STREAM_RESPONSE)
async def queue_events(
    request: Request, actor: CurrentActor, live: LiveDep, last_event_id: LastEventId = None
) -> StreamingResponse:
    """Events of the officer's agency, live: ``ready``, then ``queue-event`` (number, seq, kind, state)."""
    stream = await run_in_threadpool(live.open_queue_stream, actor, last_event_id)
    return StreamingResponse(stream.messages(request.is_disconnected), media_type=EVENT_STREAM, headers=STREAM_HEADERS)
