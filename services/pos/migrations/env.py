"""Alembic environment of the pos service."""

from services.pos.models import Base
from shared.migrations import run_env

run_env(Base.metadata)
