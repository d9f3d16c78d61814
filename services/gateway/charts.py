"""Charts drawn on the server as SVG (no chart library, no script): a bar chart whose bars scale to the largest
value. Presentation attributes only (no ``style``), so the pages' Content-Security-Policy needs nothing more; the
chart is an image with a title for screen readers, and the same figures are in the table beside it."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 240
TOP, BOTTOM, LEFT, RIGHT = 20, 40, 8, 8
BAR_COLOUR = "#0b6e4f"


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    #: What a reader hears/sees on hover for this bar (the value in words: ``Rp1.250.000``).
    text: str


def bar_chart(chart_id: str, title: str, bars: list[Bar], scale_text: str = "") -> Markup:
    """An SVG bar chart of ``bars`` (left to right): labels under every bar when they fit, else under every n-th;
    ``scale_text`` (the largest value in words) at the top of the axis."""
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    largest = max((bar.value for bar in bars), default=0) or 1
    slot = plot_width / max(len(bars), 1)
    longest = max((len(bar.label) for bar in bars), default=1)
    fitting = max(1, int(plot_width // (longest * 8 + 12)))
    every = -(-len(bars) // fitting)
    bar_width = min(slot * 0.7, 72.0)
    parts = [
        f'<svg id="{escape(chart_id)}" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<line x1="{LEFT}" y1="{TOP + plot_height}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_height}" stroke="#5f6b76"/>',
    ]
    for number, bar in enumerate(bars):
        height = round(plot_height * max(bar.value, 0) / largest, 1)
        centre = LEFT + number * slot + slot / 2
        parts.append(
            f'<rect x="{centre - bar_width / 2:.1f}" y="{TOP + plot_height - height:.1f}" width="{bar_width:.1f}" '
            f'height="{height}" fill="{BAR_COLOUR}"><title>{escape(bar.label)}: {escape(bar.text)}</title></rect>'
        )
        if number % every == 0:
            parts.append(
                f'<text x="{centre:.1f}" y="{HEIGHT - BOTTOM + 18}" font-size="13" text-anchor="middle" '
                f'fill="#1f2933">{escape(bar.label)}</text>'
            )
    if scale_text:
        parts.append(f'<text x="{LEFT}" y="{TOP - 4}" font-size="12" fill="#5f6b76">{escape(scale_text)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
