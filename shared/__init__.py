"""The library every Sentra service shares: config, database, Celery, events, outbox/inbox, money, errors, auth."""
