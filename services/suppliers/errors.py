"""Problem ``code``s the suppliers service returns (the ``code`` member of a problem+json body), for clients
that must tell one refusal from another without parsing its text."""

#: A payout line asks for more than the supplier has available.
MORE_THAN_AVAILABLE = "more_than_available"

#: The manager approving a payout run is the one who created it (four-eyes: another manager must approve).
APPROVER_IS_CREATOR = "approver_is_creator"
#: A supplier with this business name is already registered (an import's row).
SUPPLIER_NAME_TAKEN = "supplier_name_taken"
