"""The suppliers ledger's posting use cases, called directly: a sale is posted once, splits into the supplier's
share and the commission by the agreement in force, and the journal stays balanced."""

from __future__ import annotations

import threading

from services.suppliers import ledger, postings, registry
from shared.events import build_envelope, load_event
from tests import suppliers_support as ev

PRODUCT = "7a1c2d3e-1111-4222-8333-944455550001"


def _loaded(event_type: str, payload: dict) -> dict:
    """The payload as a consumer receives it (validated by the contract, times parsed)."""
    return load_event(build_envelope(event_type, "test", payload))[1]


def _supplier(session, commission_bps: int | None = None) -> str:
    data = {"business_name": "Dodol Betawi Mpok Yati", "owner_name": "Yati", "phone": "081311120001"}
    if commission_bps is not None:
        data["agreement"] = {"commission_bps": commission_bps}
    return registry.register_supplier(session, data, actor="manager:test").id


def test_a_sale_is_posted_once_and_splits_into_share_and_commission(unit_of_work):
    with unit_of_work("suppliers") as session:
        supplier_id = _supplier(session)
    sale = _loaded("sale.completed", ev.sale([(supplier_id, PRODUCT, 3, 25_000)]))
    with unit_of_work("suppliers") as session:
        assert postings.post_sale(session, sale) is True
    with unit_of_work("suppliers") as session:
        assert postings.post_sale(session, sale) is False  # the same sale again changes nothing
    with unit_of_work("suppliers") as session:
        assert ledger.payable_balance(session, supplier_id) == 75_000 - 75_000 * 2_000 // 10_000
        invariants = ledger.check_invariants(session)
    assert invariants["ok"] is True
    assert invariants["total_debit"] == invariants["total_credit"] == 75_000


def test_a_refund_reverses_the_suppliers_share_of_the_refunded_line(unit_of_work):
    with unit_of_work("suppliers") as session:
        supplier_id = _supplier(session)
    sold = ev.sale([(supplier_id, PRODUCT, 2, 50_000)])
    with unit_of_work("suppliers") as session:
        postings.post_sale(session, _loaded("sale.completed", sold))
        before = ledger.payable_balance(session, supplier_id)
    refund = _loaded("sale.refunded", ev.refund(sold, [(0, 1, 50_000)]))
    with unit_of_work("suppliers") as session:
        assert postings.post_refund(session, refund) is True
    with unit_of_work("suppliers") as session:
        assert ledger.payable_balance(session, supplier_id) == before - 40_000  # the share of one of two
        assert ledger.check_invariants(session)["ok"] is True


def test_copies_of_a_sale_posted_concurrently_make_one_entry(unit_of_work, make_settings):
    """The journal's unique source: each copy runs in its own transaction at once (as workers given the sale
    under several event ids would); one posts it, the others wait for it and skip."""
    from shared.db import make_engine, make_session_factory, transaction

    with unit_of_work("suppliers") as session:
        supplier_id = _supplier(session)
        database_url = session.get_bind().url.render_as_string(hide_password=False)
    sale = _loaded("sale.completed", ev.sale([(supplier_id, PRODUCT, 2, 30_000)]))
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    start, posted, errors = threading.Barrier(4), [], []

    def post_a_copy() -> None:
        try:
            start.wait()
            with transaction(sessions) as session:
                posted.append(postings.post_sale(session, sale))
        except Exception as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=post_a_copy) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    engine.dispose()
    assert not errors, errors
    assert sorted(posted) == [False, False, False, True]
    with unit_of_work("suppliers") as session:
        assert ledger.payable_balance(session, supplier_id) == 60_000 - 60_000 * 2_000 // 10_000
        assert ledger.check_invariants(session)["ok"] is True
