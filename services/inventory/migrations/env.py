"""Alembic environment of the inventory service."""

from services.inventory.models import Base
from shared.migrations import run_env

run_env(Base.metadata)
