"""Use cases: the outlet's settings (name and address, receipt header and footer, PPN, QRIS, discount approval
limit), with demo defaults."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.pos import qris
from services.pos.models import OutletSettings
from shared.auth import Principal
from shared.db import utcnow
from shared.errors import DomainError

DEMO_NAME = "Sentra Oleh-Oleh Kabupaten Bekasi"
DEMO_ADDRESS = "Jl. Ki Hajar Dewantara, Sukamahi, Cikarang Pusat, Kabupaten Bekasi, Jawa Barat 17530"
DEFAULT_DISCOUNT_APPROVAL_LIMIT = 50_000
DEFAULT_QRIS_EXPIRY_MINUTES = 10
DEMO_STATIC_QRIS = qris.static_payload("SENTRA OLEH OLEH BEKASI", "KAB. BEKASI")


def default_settings(outlet_id: str) -> OutletSettings:
    """The demo centre's settings until a manager saves the outlet's own (not PPN-registered)."""
    return OutletSettings(
        outlet_id=outlet_id,
        name=DEMO_NAME,
        address=DEMO_ADDRESS,
        npwp=None,
        ppn_registered=False,
        static_qris_payload=DEMO_STATIC_QRIS,
        discount_approval_limit=DEFAULT_DISCOUNT_APPROVAL_LIMIT,
        qris_expiry_minutes=DEFAULT_QRIS_EXPIRY_MINUTES,
        receipt_header=None,
        receipt_footer=None,
        updated_at=None,
        updated_by=None,
    )


def outlet_settings(session: Session, outlet_id: str) -> OutletSettings:
    """The saved settings of ``outlet_id``, or the demo defaults (not saved) when none were saved yet."""
    return session.get(OutletSettings, str(outlet_id)) or default_settings(str(outlet_id))


def update_outlet_settings(session: Session, outlet_id: str, data: dict, manager: Principal) -> OutletSettings:
    """Save the settings (a full replacement of the fields given; the rest keep their current values)."""
    outlet_id = str(outlet_id)
    settings = session.get(OutletSettings, outlet_id)
    if settings is None:
        settings = default_settings(outlet_id)
        session.add(settings)
    if "static_qris_payload" in data and not qris.has_valid_crc(data["static_qris_payload"]):
        raise DomainError(
            "The static QRIS payload has a wrong CRC.", errors={"static_qris_payload": ["Wrong CRC-16 in tag 63."]}
        )
    if data.get("ppn_registered", settings.ppn_registered) and not data.get("npwp", settings.npwp):
        raise DomainError("A PPN-registered outlet needs its NPWP.", errors={"npwp": ["Required when PPN-registered."]})
    for field, value in data.items():
        setattr(settings, field, value)
    settings.updated_at = utcnow()
    settings.updated_by = manager.user_id
    session.flush()
    return settings
