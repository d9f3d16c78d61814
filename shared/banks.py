"""Indonesian banks UMKM hold accounts at: their Bank Indonesia clearing codes (sandi bank, the three digits an
interbank transfer names the bank by) and, where the bank numbers every account with a fixed number of digits,
that number. The supplier form lists them and the bank files check accounts against them."""

from __future__ import annotations

#: ``(clearing code, name as the supplier form stores it)``.
BANKS = [
    ("002", "BRI"),
    ("008", "Bank Mandiri"),
    ("009", "BNI"),
    ("011", "Bank Danamon"),
    ("013", "Bank Permata"),
    ("014", "BCA"),
    ("016", "Maybank Indonesia"),
    ("019", "Panin Bank"),
    ("022", "CIMB Niaga"),
    ("028", "OCBC Indonesia"),
    ("110", "bank bjb"),
    ("111", "Bank DKI"),
    ("200", "BTN"),
    ("213", "Bank SMBC Indonesia"),
    ("451", "BSI (Bank Syariah Indonesia)"),
    ("490", "Bank Neo Commerce"),
    ("501", "Blu by BCA Digital"),
    ("535", "SeaBank"),
    ("542", "Bank Jago"),
]
CODE_BY_NAME = {name.casefold(): code for code, name in BANKS}
NAME_BY_CODE = {code: name for code, name in BANKS}
#: Other spellings a bank's name is often typed with (an older record, an import).
ALIASES = {"mandiri": "008", "bank bri": "002", "bank bca": "014", "bank bni": "009", "bsi": "451"}

BRI, MANDIRI, BNI, BCA = "002", "008", "009", "014"
#: Digits of an account number at the banks that use one fixed length (BCA 10, BNI 10, Mandiri 13, BRI 15).
ACCOUNT_DIGITS = {BCA: 10, BNI: 10, MANDIRI: 13, BRI: 15}
#: Any other bank: between these many digits.
ACCOUNT_DIGITS_RANGE = (5, 20)


def bank_code(name: str | None) -> str | None:
    """The clearing code of a bank by its name (case-insensitive, common aliases too); ``None`` when unknown."""
    key = (name or "").strip().casefold()
    return CODE_BY_NAME.get(key) or ALIASES.get(key)


def account_number_problem(code: str, account_number: str) -> str | None:
    """Why ``account_number`` cannot be an account at bank ``code`` (English, for the problem's field errors),
    or ``None`` when it can."""
    if not account_number.isdigit():
        return "Only digits."
    digits = ACCOUNT_DIGITS.get(code)
    if digits is not None and len(account_number) != digits:
        return f"An account at this bank has {digits} digits."
    low, high = ACCOUNT_DIGITS_RANGE
    if not low <= len(account_number) <= high:
        return "5 to 20 digits."
    return None
