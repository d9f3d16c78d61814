"""Alembic environment of the suppliers service."""

from services.suppliers.models import Base
from shared.migrations import run_env

run_env(Base.metadata)
