"""Live tracking: Server-Sent Events for a case and for an officer's queue, across server processes.

Committed case events become :class:`~shaffof.live.hub.CaseSignal`s, carried to every process by
PostgreSQL LISTEN/NOTIFY (in-process on SQLite), and each stream reads what it may show through the
cases service. See docs/notifications.md ("Live updates").
"""
