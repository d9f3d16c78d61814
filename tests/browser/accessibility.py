"""axe-core (vendored in tests/browser/vendor) run inside a page: no violation of serious or critical impact."""

from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")


def serious_violations(page) -> list[str]:
    """The serious and critical axe violations of the page as it is now, one line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated by the browser's debugging protocol, which the pages' Content-Security-Policy (no inline
        # scripts) does not apply to, unlike a <script> tag added to the page.
        page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in BLOCKING_IMPACTS
    ]


def assert_accessible(page) -> None:
    problems = serious_violations(page)
    assert not problems, f"{page.url}: " + "\n".join(problems)
