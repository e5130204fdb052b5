"""Readable PDF documents from plain sections of text (fpdf2 with HarfBuzz shaping).

A document is a title, a line saying who made it and when, and sections, each a heading with
label/value rows or paragraphs. Text in any script DejaVu Sans covers (Latin, Cyrillic, Greek,
Arabic, Hebrew ...) is shaped by HarfBuzz, so Arabic letters join and right-to-left runs read in
order; a right-to-left page language aligns the text to the right. The font files ship with the
package (fonts/, DejaVu licence beside them): nothing is fetched and no system font is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fpdf import FPDF

FONTS = Path(__file__).parent / "fonts"
FAMILY = "DejaVu"
LINE = 6.0


@dataclass
class Section:
    heading: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)


def _clean(text: str) -> str:
    # Control characters (a NUL, a bidi override from a hostile name) are not drawn.
    return "".join(
        c for c in text if c in "\n\t" or (ord(c) >= 32 and not 0x202A <= ord(c) <= 0x202E)
    )


def render_pdf(title: str, byline: str, sections: list[Section], *, rtl: bool = False) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(_clean(title))
    pdf.set_creator("Dignity")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_text_shaping(True)
    align = "R" if rtl else "L"
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 16)
    pdf.multi_cell(0, 9, _clean(title), align=align, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 9)
    pdf.multi_cell(0, LINE, _clean(byline), align=align, new_x="LMARGIN", new_y="NEXT")
    for section in sections:
        pdf.ln(3)
        pdf.set_font(FAMILY, "B", 12)
        pdf.multi_cell(0, 8, _clean(section.heading), align=align, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, "", 10)
        for label, value in section.rows:
            text = f"{_clean(label)}: {_clean(value)}"
            pdf.multi_cell(0, LINE, text, align=align, new_x="LMARGIN", new_y="NEXT")
        for paragraph in section.paragraphs:
            pdf.multi_cell(0, LINE, _clean(paragraph), align=align, new_x="LMARGIN", new_y="NEXT")
        if not section.rows and not section.paragraphs:
            pdf.multi_cell(0, LINE, "None.", align=align, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
