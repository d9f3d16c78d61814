#!/bin/sh
# Apply this service's migrations, then exec the given command (gunicorn or a Celery worker).
set -e
if [ -n "${SENTRA_MIGRATE_SERVICE:-}" ]; then
  python -m shared.migrations upgrade "$SENTRA_MIGRATE_SERVICE"
fi
exec "$@"
