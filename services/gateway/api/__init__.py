"""The gateway's own HTTP API: log-in sessions and approval grants, user accounts and the audit log."""

from services.gateway.api.auth import auth_blp
from services.gateway.api.users import users_blp

BLUEPRINTS = [auth_blp, users_blp]
