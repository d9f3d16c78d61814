"""Every page, walked: the manager's console followed link by link from its overview, the supplier's portal and
the counter, each read in Bahasa Indonesia. No page shows a sentence of the catalogue left in English, a raw id
or an English status word; every page has the language switch, passes axe-core, does not scroll sideways at
360 px, and is photographed on a desktop and a phone under ``make screenshots`` (``build/screenshots/walk-*``)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages.pofile import read_po

from shared import business_time
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import DESKTOP, PHONE, log_in, screenshot, selling_centre
from tests.support import eventually

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CATALOGUE = Path(__file__).parents[2] / "services/gateway/translations/id/LC_MESSAGES/messages.po"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
#: What stands for one object of a kind in a path: an id, a category's code. One object of a kind is enough.
KIND_OF_PATH = [(UUID, "<id>"), (re.compile(r"^(/manager/categories/)[^/]+$"), r"\1<code>")]
#: Links the walk does not follow: files to download, and the ones that end the session or switch language.
NOT_PAGES = re.compile(r"\.(pdf|csv|xlsx|js|css|png|ico)$|/(export|download|bank-file|logout|language)(/|$)")
#: The visible texts of a page: its text nodes (not scripts or styles) and the attributes people read.
TEXTS_JS = """() => {
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode: n => ['SCRIPT', 'STYLE', 'NOSCRIPT'].includes(n.parentNode.nodeName)
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT });
  while (walker.nextNode()) texts.push(walker.currentNode.nodeValue);
  for (const el of document.querySelectorAll('[placeholder],[aria-label],[title],[alt]'))
    for (const name of ['placeholder', 'aria-label', 'title', 'alt'])
      if (el.getAttribute(name)) texts.push(el.getAttribute(name));
  for (const el of document.querySelectorAll('input[type=submit],input[type=button]')) texts.push(el.value);
  return texts.map(t => t.replace(/\\s+/g, ' ').trim()).filter(t => t);
}"""

#: Whether a console or portal page has everything it shows: loaded, and no htmx request in flight or swap under
#: way (a fragment loaded on ``load`` has started by then). Those pages fetch nothing else, so this stands in for
#: Playwright's ``networkidle``, which waits out half a second of quiet on every page.
SETTLED_JS = """() => document.readyState === 'complete'
  && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"""


def english_sentences() -> list[str]:
    """Each catalogue entry whose Indonesian differs from its English source, as a regular expression matching that
    English text as a whole (placeholders such as ``%(name)s`` match anything). A source that is also the Indonesian of
    another entry (``Unit``) is Indonesian too, and left out."""
    with CATALOGUE.open("rb") as po:
        catalogue = read_po(po)
    pairs = [
        (m.id[0] if isinstance(m.id, tuple) else m.id, m.string[0] if isinstance(m.string, tuple) else m.string)
        for m in catalogue
    ]
    indonesian = {translated for _source, translated in pairs}
    patterns = []
    for source, translated in pairs:
        if not source or not translated or translated == source or source in indonesian or len(source) < 3:
            continue
        parts = re.split(r"%\(\w+\)[sd]|%[sd]", source)
        patterns.append(".+".join(re.escape(part) for part in parts))
    return patterns


def any_of(sentences: list[str]) -> re.Pattern:
    """One pattern matching a text that is any one of ``sentences`` as a whole (one match in C per text, not one
    per text and sentence)."""
    return re.compile("|".join(f"(?:{sentence})" for sentence in sentences), re.S)


def check_page(page, name: str, english: re.Pattern) -> None:
    """The checks of one page as it is now (see the module)."""
    texts = page.evaluate(TEXTS_JS)
    untranslated = sorted({t for t in texts if english.fullmatch(t)})
    assert not untranslated, f"{page.url}: English on an Indonesian page: {untranslated}"
    ids = sorted({m.group(0) for t in texts for m in UUID.finditer(t)})
    assert not ids, f"{page.url}: raw ids shown: {ids}"
    switch = page.locator('form[method=post][action$="/language/en"]')  # a POST: choosing changes what is kept
    assert switch.locator("button[type=submit]").count() == 1, f"{page.url}: no English switch"
    assert switch.locator("input[name=csrf_token]").get_attribute("value"), f"{page.url}: switch without CSRF token"
    page.set_viewport_size(DESKTOP)
    assert_accessible(page)
    screenshot(page, f"walk-{name}-desktop")
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways at 360 px ({width} px wide)"
    screenshot(page, f"walk-{name}-360")
    page.set_viewport_size(DESKTOP)


def kind_of(path: str) -> str:
    """``/manager/suppliers/<uuid>/edit`` → ``/manager/suppliers/<id>/edit``: the pages a path is one of."""
    for pattern, placeholder in KIND_OF_PATH:
        path = pattern.sub(placeholder, path)
    return path


def walk(page, base: str, start: str, within: str, english: re.Pattern, limit: int = 80) -> list[str]:
    """Visit ``start`` and every page linked from a visited one whose path starts with ``within`` (query strings
    left out, one object of a kind is enough), checking each; returns the paths walked. Fails when more than
    ``limit`` kinds of page are found, rather than leaving the rest unchecked."""
    queue, kinds, walked = [start], {kind_of(start)}, []
    while queue:
        assert len(walked) < limit, f"more than {limit} kinds of page; not walked: {queue}"
        path = queue.pop(0)
        walked.append(path)
        response = page.goto(base + path)
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        page.wait_for_function(SETTLED_JS)
        check_page(page, re.sub(r"\W+", "-", kind_of(path)).strip("-") or "home", english)
        for href in page.eval_on_selector_all("a[href]:not([download])", "els => els.map(e => e.href)"):
            link = urlsplit(href)
            if f"{link.scheme}://{link.netloc}" != base or NOT_PAGES.search(link.path):
                continue
            if link.path.startswith(within) and kind_of(link.path) not in kinds:
                kinds.add(kind_of(link.path))
                queue.append(link.path)
    return walked


def test_every_page_reads_in_indonesian_without_ids_passes_axe_and_fits_a_phone(centre, page):
    sentences = english_sentences()
    assert len(sentences) > 300  # the catalogue was read
    english = any_of(sentences)
    sold = selling_centre(centre)
    http, api = centre.manager, centre.api
    batik = sold["suppliers"]["Batik Tarumanegara"]
    centre.add_user("batik", "Ibu Batik", "supplier", "batik-pass-1", batik["id"])
    run = http.post(f"{api}/suppliers/payout-runs", json={"cutoff_date": sold["sale"]["created_at"][:10]})
    assert run.status_code == 201, run.text
    count = http.post(f"{api}/inventory/counts", json={"note": "Opname bulanan"})
    assert count.status_code == 201, count.text
    seed_a_return_a_price_change_and_a_reconciliation(centre, sold)

    log_in(page, centre.url, "manajer", "manajer-pass-1")
    page.wait_for_url(f"{centre.url}/manager")
    walked = walk(page, centre.url, "/manager", "/manager", english)
    kinds = {kind_of(path) for path in walked}
    for kind in (
        "suppliers/<id>",
        "products/<id>",
        "payouts/<id>",
        "returns/<id>",
        "reconciliation/<id>",
        "counts/<id>",
    ):
        assert f"/manager/{kind}" in kinds, f"the walk never reached a {kind} page: {sorted(kinds)}"
    for kind in ("settings", "users", "reports", "audit", "deliveries"):
        assert any(path.startswith(f"/manager/{kind}") for path in walked), f"no {kind} page walked: {walked}"

    page.context.clear_cookies()
    log_in(page, centre.url, "kasir", "kasir-pass-1")
    page.wait_for_url(f"{centre.url}/cashier")
    page.locator("#counter").wait_for()  # the shift selling_centre opened
    check_page(page, "cashier", english)

    page.context.clear_cookies()
    log_in(page, centre.url, "batik", "batik-pass-1")
    page.wait_for_url(f"{centre.url}/supplier")
    assert walk(page, centre.url, "/supplier", "/supplier", english)


def seed_a_return_a_price_change_and_a_reconciliation(centre, sold: dict) -> None:
    """The objects whose pages the console links to only once they exist: a return to a supplier, products with
    a price history of two prices, and a finished reconciliation."""
    http, api = centre.manager, centre.api
    dodol = sold["suppliers"]["Dodol Mpok Yati"]
    picks = http.get(f"{api}/inventory/returns/pick-list", params={"supplier_id": dodol["id"], "near_expiry_days": 365})
    assert picks.status_code == 200 and picks.json(), picks.text
    returned = http.post(
        f"{api}/inventory/returns",
        json={
            "supplier_id": dodol["id"],
            "collected_by": "Yati",
            "lines": [{"lot_id": picks.json()[0]["lot_id"], "qty": 1}],
        },
    )
    assert returned.status_code == 201, returned.text
    for product in http.get(f"{api}/inventory/products").json():  # whichever product the walk opens
        repriced = http.patch(f"{api}/inventory/products/{product['id']}", json={"price": product["price"] + 5_000})
        assert repriced.status_code == 200, repriced.text
    today = business_time.today().isoformat()
    started = http.post(f"{api}/suppliers/reconciliations", json={"from": today, "to": today})
    assert started.status_code in (201, 202), started.text
    eventually(
        lambda: http.get(f"{api}/suppliers/reconciliations/{started.json()['id']}").json()["status"] == "done",
        timeout=30,
        message="the reconciliation has run",
    )
