"""Notifications: a transactional outbox, the in-app inbox, e-mail over SMTP, an SMS webhook, the worker.

``service.enqueue(session, account_id, template, params)`` writes the rows inside the caller's
transaction; ``worker.OutboxWorker`` (``shaffof worker``) delivers e-mail and SMS with retries.
See docs/notifications.md.
"""
