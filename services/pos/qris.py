"""QRIS (EMVCo merchant-presented mode): TLV encoding, CRC-16/CCITT-FALSE, dynamic payload from a static one.

A payload is a string of fields ``ID (2 digits) + length (2 digits) + value``; tag 63 carries the CRC
(4 upper-case hex digits) computed over everything before it including ``"6304"``.
"""

from __future__ import annotations

from shared.errors import DomainError

FORMAT_INDICATOR = "00"
POINT_OF_INITIATION = "01"
STATIC = "11"
DYNAMIC = "12"
AMOUNT = "54"
ADDITIONAL_DATA = "62"
BILL_NUMBER = "01"
CRC = "63"


class QrisError(DomainError):
    """A QRIS payload is malformed."""


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR."""
    crc = 0xFFFF
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC_TABLE[((crc >> 8) ^ byte) & 0xFF]
    return crc


def parse_fields(payload: str) -> list[tuple[str, str]]:
    """The top-level ``(tag, value)`` pairs of a payload (or of a template's value)."""
    fields, position = [], 0
    while position < len(payload):
        tag, length_text = payload[position : position + 2], payload[position + 2 : position + 4]
        if len(tag) < 2 or not length_text.isdigit():
            raise QrisError(f"malformed QRIS field at position {position}")
        length = int(length_text)
        value = payload[position + 4 : position + 4 + length]
        if len(value) != length:
            raise QrisError(f"QRIS field {tag} is shorter than its length {length}")
        fields.append((tag, value))
        position += 4 + length
    return fields


def encode_fields(fields: list[tuple[str, str]]) -> str:
    out = []
    for tag, value in fields:
        if len(value) > 99:
            raise QrisError(f"QRIS field {tag} is longer than 99 characters")
        out.append(f"{tag}{len(value):02d}{value}")
    return "".join(out)


def with_crc(body_without_crc: str) -> str:
    """Append tag 63 with the CRC of ``body + "6304"``."""
    head = body_without_crc + CRC + "04"
    return head + f"{crc16_ccitt_false(head.encode('ascii')):04X}"


def has_valid_crc(payload: str) -> bool:
    if len(payload) < 8 or payload[-8:-4] != CRC + "04":
        return False
    return payload[-4:] == f"{crc16_ccitt_false(payload[:-4].encode('ascii')):04X}"


def dynamic_payload(static_payload: str, amount: int, bill_number: str | None = None) -> str:
    """A one-transaction QRIS for ``amount`` rupiah from the outlet's static payload.

    Tag 01 becomes ``"12"``, tag 54 carries the amount, tag 62/01 the bill number (when given), fields stay
    in ascending tag order and the CRC in tag 63 is recomputed.
    """
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        raise QrisError("a QRIS amount is a positive whole number of rupiah")
    if not has_valid_crc(static_payload):
        raise QrisError("the outlet's static QRIS payload has a wrong CRC")
    fields = {tag: value for tag, value in parse_fields(static_payload) if tag != CRC}
    fields[POINT_OF_INITIATION] = DYNAMIC
    fields[AMOUNT] = str(amount)
    if bill_number:
        extra = dict(parse_fields(fields.get(ADDITIONAL_DATA, "")))
        extra[BILL_NUMBER] = bill_number[:25]
        fields[ADDITIONAL_DATA] = encode_fields(sorted(extra.items()))
    return with_crc(encode_fields(sorted(fields.items())))


def static_payload(
    merchant_name: str,
    city: str,
    merchant_id: str = "ID1020000000001",
    postal_code: str = "17530",
    category_code: str = "5999",
) -> str:
    """A static QRIS (tag 01 ``"11"``) for an outlet; used for the demo outlet's default settings."""
    account = encode_fields([("00", "ID.CO.QRIS.WWW"), ("02", merchant_id), ("03", "UMI")])
    return with_crc(
        encode_fields(
            [
                (FORMAT_INDICATOR, "01"),
                (POINT_OF_INITIATION, STATIC),
                ("51", account),
                ("52", category_code),
                ("53", "360"),
                ("58", "ID"),
                ("59", merchant_name[:25]),
                ("60", city[:15]),
                ("61", postal_code),
            ]
        )
    )
