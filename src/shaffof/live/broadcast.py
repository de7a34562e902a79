"""Carrying case signals to every server process: in-process (SQLite) or PostgreSQL LISTEN/NOTIFY.

On PostgreSQL each process runs one listener thread on a dedicated psycopg connection (``LISTEN
shaffof_case_events``), started when the process's first stream opens. Signals are sent after the
change commits (``NOTIFY`` from a pooled connection, one round trip per committed transaction), so a
rolled-back change is never announced; if the NOTIFY itself fails, the change stays committed and
streams catch up on their next signal or reconnect (they re-read the timeline). After the listener
loses and regains its connection, every stream of the process is told to re-read (RESYNC).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import psycopg
import sqlalchemy as sa

from shaffof.live.hub import CaseSignal, LiveHub
from shaffof.observability import get_logger

CHANNEL = "shaffof_case_events"
RESYNC_PAYLOAD = '{"resync":true}'
log = get_logger("shaffof.live")


class InProcessBroadcast:
    """SQLite: one process serves every stream; the hub is the whole broadcast."""

    def __init__(self, hub: LiveHub) -> None:
        self._hub = hub

    def publish(self, signals: Sequence[CaseSignal]) -> None:
        for signal in signals:
            self._hub.publish(signal)

    def publish_resync(self) -> None:
        self._hub.resync_all()

    def ensure_listening(self) -> None:
        return None

    def close(self) -> None:
        return None


class PostgresBroadcast:
    def __init__(self, engine: sa.Engine, hub: LiveHub, *, reconnect_seconds: float = 1.0) -> None:
        self._engine = engine
        self._hub = hub
        self._reconnect_seconds = reconnect_seconds
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._listening = threading.Event()

    def publish(self, signals: Sequence[CaseSignal]) -> None:
        self._notify([signal.to_json() for signal in signals])

    def publish_resync(self) -> None:
        self._notify([RESYNC_PAYLOAD])

    def _notify(self, payloads: Sequence[str]) -> None:
        if not payloads:
            return
        try:
            with self._engine.connect() as connection:
                for payload in payloads:
                    connection.execute(sa.select(sa.func.pg_notify(CHANNEL, payload)))
                connection.commit()
        except Exception as error:  # the change is committed; a lost signal only delays the streams
            log.warning("live signal not sent", error_type=type(error).__name__, signals=len(payloads))

    def ensure_listening(self, timeout: float = 10.0) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._listen, name="shaffof-live-listener", daemon=True)
                self._thread.start()
        if not self._listening.wait(timeout):
            log.warning("live listener not connected yet; streams start without cross-process signals")

    @property
    def listening(self) -> bool:
        return self._listening.is_set()

    def _conninfo(self) -> str:
        return self._engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def _listen(self) -> None:
        connected_before = False
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo(), autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    if connected_before:
                        self._hub.resync_all()  # signals sent while we were away are lost: re-read
                    connected_before = True
                    self._listening.set()
                    while not self._stop.is_set():
                        for notice in connection.notifies(timeout=0.5):
                            if notice.payload == RESYNC_PAYLOAD:
                                self._hub.resync_all()
                            elif (signal := CaseSignal.from_json(notice.payload)) is not None:
                                self._hub.publish(signal)
            except psycopg.Error as error:
                self._listening.clear()
                log.warning("live listener disconnected; reconnecting", error_type=type(error).__name__)
                self._stop.wait(self._reconnect_seconds)
        self._listening.clear()

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)
