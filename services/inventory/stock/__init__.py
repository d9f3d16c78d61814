"""Use cases of the stock ledger, one module per subject: :mod:`.ledger` (locks, movements, on-hand),
:mod:`.intakes`, :mod:`.sales` (sale and refund events applied FEFO), :mod:`.write_offs`, :mod:`.counts`
(stock opname), :mod:`.returns` (retur), :mod:`.alerts` and :mod:`.queries` (reading stock, the invariant
check and the reconciliation feed). Callers import the module that owns what they need.

Every change of a quantity goes through :func:`.ledger.post_movement`, which appends the movement, moves the
lot's and the product's on-hand with atomic ``UPDATE … SET on_hand = on_hand + :qty`` statements and
publishes ``stock.moved``. Whoever posts movements first locks the products' stock rows with
:func:`.ledger.lock_stock`, in product id order, so concurrent sales of the same product serialise instead of
losing updates (PostgreSQL row locks; SQLite takes its write lock at ``BEGIN IMMEDIATE``).

An ``actor`` argument is :func:`shared.auth.current_actor` (``role:user_id``), recorded as who did something
(``recorded_by``, ``opened_by``, ``closed_by``). A name printed on a document or shown on a page is a separate
argument (the receiver on a nota titip, the recorder on a nota retur, who counted a line).
"""
