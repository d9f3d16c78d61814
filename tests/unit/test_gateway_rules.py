from datetime import UTC, datetime, timedelta

from services.gateway import rules

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def test_four_failures_inside_the_window_do_not_lock_the_login():
    failures = [NOW - timedelta(minutes=m) for m in (1, 2, 3, 4)]
    assert rules.login_limit(failures, NOW).locked is False


def test_the_fifth_failure_inside_five_minutes_locks_until_the_oldest_counted_one_is_five_minutes_old():
    failures = [NOW - timedelta(seconds=s) for s in (10, 20, 30, 40, 100)]
    verdict = rules.login_limit(failures, NOW)
    assert verdict.locked is True
    assert 200 <= verdict.retry_after_seconds <= 201  # 300 s window − 100 s since the oldest of the five


def test_failures_older_than_the_window_no_longer_count():
    failures = [NOW - timedelta(minutes=m) for m in (1, 2, 3, 4)] + [NOW - timedelta(minutes=5, seconds=1)]
    assert rules.login_limit(failures, NOW).locked is False


def test_a_manager_manages_cashiers_and_suppliers_but_not_staff_while_an_admin_manages_everyone():
    assert rules.may_manage("manager", "cashier") and rules.may_manage("manager", "supplier")
    assert not rules.may_manage("manager", "manager") and not rules.may_manage("manager", "admin")
    assert all(rules.may_manage("admin", role) for role in rules.USER_ROLES)
    assert not rules.may_manage("cashier", "cashier") and not rules.may_manage("supplier", "supplier")


def test_only_a_supplier_user_belongs_to_a_supplier_and_it_must():
    assert rules.supplier_link_problem("supplier", None)
    assert rules.supplier_link_problem("cashier", "8c7a1c5e-55a4-4f1c-9d6f-0a4f3f1f2b10")
    assert rules.supplier_link_problem("supplier", "8c7a1c5e-55a4-4f1c-9d6f-0a4f3f1f2b10") is None
    assert rules.supplier_link_problem("manager", None) is None


def test_usernames_are_short_lower_case_words_and_passwords_have_a_minimum_length():
    assert rules.normalise_username("  Kasir ") == "kasir"
    assert rules.username_problem("kasir") is None and rules.username_problem("kue") is None
    assert rules.username_problem("ab") and rules.username_problem("kasir satu") and rules.username_problem("-x1")
    assert rules.password_problem("12345") and rules.password_problem("      ")
    assert rules.password_problem("kopi123") is None


def test_each_role_lands_on_its_own_page():
    assert [rules.home_page(r) for r in ("cashier", "supplier", "manager", "admin")] == [
        "/cashier",
        "/supplier",
        "/manager",
        "/manager",
    ]


def test_the_address_limit_counts_every_failure_inside_the_window():
    now = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    failures = [now - timedelta(seconds=10 * n) for n in range(rules.ADDRESS_FAILURE_LIMIT)]
    assert not rules.login_limit(failures[:-1], now, rules.ADDRESS_FAILURE_LIMIT).locked
    locked = rules.login_limit(failures, now, rules.ADDRESS_FAILURE_LIMIT)
    assert locked.locked and 0 < locked.retry_after_seconds <= rules.LOGIN_FAILURE_WINDOW.total_seconds()
