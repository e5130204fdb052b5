"""Charts drawn on the server as inline SVG (leather), so pages need no script to show them.

The SVG uses presentation attributes only (no <style>, no script), which the page's strict
Content-Security-Policy allows; each chart also has a text equivalent in the page's tables.
"""

from __future__ import annotations

import re

import leather

FONT = "system-ui, sans-serif"
EMPTY = '<p class="hint">{title}: nothing to chart yet.</p>'
_PROLOG = re.compile(r"^.*?(<svg)", re.DOTALL)

leather.theme.background_color = "#ffffff"
for name in (
    "title_font_family",
    "tick_font_family",
    "legend_font_family",
    "axis_title_font_family",
):
    setattr(leather.theme, name, FONT)
leather.theme.default_series_colors = ["#1f5fa8", "#b35c00", "#2e7d4f", "#7b3fa0"]


def bar_chart(title: str, rows: list[tuple[str, int]], width: int = 720) -> str:
    """A horizontal bar chart of (label, value) rows, as an <svg> element."""
    if not rows:
        return EMPTY.format(title=_escape(title))
    chart = leather.Chart(title)
    chart.add_bars([(value, label) for label, value in reversed(rows)])
    height = 80 + 26 * max(len(rows), 1)
    svg: str = chart.to_svg(width=width, height=height)
    return _PROLOG.sub(r"\1", svg, count=1).replace(
        "<svg ", f'<svg role="img" aria-label="{_escape(title)}" ', 1
    )


def column_chart(title: str, rows: list[tuple[str, int]], width: int = 720) -> str:
    """A vertical column chart (for years), as an <svg> element."""
    if not rows:
        return EMPTY.format(title=_escape(title))
    chart = leather.Chart(title)
    chart.add_columns([(label, value) for label, value in rows])
    svg: str = chart.to_svg(width=width, height=320)
    return _PROLOG.sub(r"\1", svg, count=1).replace(
        "<svg ", f'<svg role="img" aria-label="{_escape(title)}" ', 1
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
