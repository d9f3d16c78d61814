"""Problem ``code``s the suppliers service returns (the ``code`` member of a problem+json body), for clients
that must tell one refusal from another without parsing its text."""

#: A payout line asks for more than the supplier has available.
MORE_THAN_AVAILABLE = "more_than_available"
#: A supplier with this business name is already registered (an import's row).
SUPPLIER_NAME_TAKEN = "supplier_name_taken"
