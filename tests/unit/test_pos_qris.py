"""QRIS payloads checked by an EMV merchant-presented-mode parser written here, independent of the service's."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.pos import qris


def crc16_bitwise(data: bytes) -> int:
    """CRC-16/CCITT-FALSE bit by bit (a different method from the service's lookup table)."""
    crc = 0xFFFF
    for byte in data:
        for bit in range(7, -1, -1):
            top = (crc >> 15) & 1
            crc = (crc << 1) & 0xFFFF
            if top ^ ((byte >> bit) & 1):
                crc ^= 0x1021
    return crc


def parse_emv(payload: str) -> dict[str, str]:
    """Parse an EMV QR payload into ``{tag: value}`` and check its structure and CRC (assertions)."""
    fields, order, i = {}, [], 0
    while i < len(payload):
        tag, length = payload[i : i + 2], int(payload[i + 2 : i + 4])
        value = payload[i + 4 : i + 4 + length]
        assert len(value) == length, f"tag {tag} truncated"
        assert tag not in fields, f"tag {tag} twice"
        fields[tag] = value
        order.append(tag)
        i += 4 + length
    assert order[0] == "00" and fields["00"] == "01", "payload format indicator first"
    assert order[-1] == "63" and len(fields["63"]) == 4, "CRC last"
    assert fields["63"] == f"{crc16_bitwise(payload[:-4].encode()):04X}", "CRC matches"
    return fields


STATIC = qris.static_payload("SENTRA OLEH OLEH BEKASI", "KAB. BEKASI")


def test_crc_matches_the_published_check_value():
    assert qris.crc16_ccitt_false(b"123456789") == 0x29B1 == crc16_bitwise(b"123456789")


def test_the_demo_static_payload_is_a_valid_static_qris():
    fields = parse_emv(STATIC)
    assert fields["01"] == "11" and fields["53"] == "360" and fields["58"] == "ID"
    assert "54" not in fields
    assert fields["51"].startswith("0014ID.CO.QRIS.WWW")


def test_a_dynamic_payload_sets_tag_01_to_12_adds_the_amount_and_a_valid_crc():
    payload = qris.dynamic_payload(STATIC, 125_000, bill_number="ab12")
    fields = parse_emv(payload)
    assert fields["01"] == "12" and fields["54"] == "125000"
    assert fields["62"] == "0104ab12"
    static_fields = parse_emv(STATIC)
    for tag in ("51", "52", "53", "58", "59", "60", "61"):
        assert fields[tag] == static_fields[tag]
    order = []
    i = 0
    while i < len(payload):
        order.append(payload[i : i + 2])
        i += 4 + int(payload[i + 2 : i + 4])
    assert order == sorted(order)


@given(st.integers(min_value=1, max_value=10**12))
def test_every_amount_makes_a_payload_that_parses_with_that_amount(amount):
    fields = parse_emv(qris.dynamic_payload(STATIC, amount))
    assert fields["54"] == str(amount)


def test_a_static_payload_with_a_wrong_crc_or_a_bad_amount_is_refused():
    with pytest.raises(qris.QrisError):
        qris.dynamic_payload(STATIC[:-4] + "0000", 1000)
    for amount in (0, -5, 10.0, True):
        with pytest.raises(qris.QrisError):
            qris.dynamic_payload(STATIC, amount)
    assert not qris.has_valid_crc(STATIC[:-1] + ("0" if STATIC[-1] != "0" else "1"))
