"""Charts as pictures for the Word report, drawn with Pillow (no plotting library, same bytes every time)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from qms_audit.infra.i18n import _

BAND_COLOURS = [(0.90, (46, 125, 50)), (0.75, (0, 121, 107)), (0.60, (230, 145, 56)), (0.0, (198, 40, 40))]
GREY = (189, 189, 189)
INK = (33, 33, 33)
SCALE = 2  # drawn at twice the size for a crisp print


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size * SCALE)
    except TypeError:  # Pillow without FreeType
        return ImageFont.load_default()


def _colour(value: float | None) -> tuple[int, int, int]:
    if value is None:
        return GREY
    return next(c for threshold, c in BAND_COLOURS if value >= threshold)


def bar_chart(rows: Sequence[tuple[str, float | None, str]], *, title: str, threshold: float | None = None,
              previous: Sequence[float | None] | None = None, legend: tuple[str, str] | None = None,
              threshold_text: str = "", width: int = 900, label_width: int = 300, text_width: int = 90) -> bytes:
    """Horizontal bars: (label, value in [0, 1] or None, the words written beside it). Returns PNG bytes.

    The words are the caller's (a shown score, "not scored", a count): the chart formats no number itself, so it
    says what the tables say. `previous`: a second, lighter bar under each row (the same in an earlier period),
    named with the first in `legend`. `threshold`: a line at that value, labelled `threshold_text`."""
    s = SCALE
    label_font, value_font, title_font = _font(13), _font(12), _font(15)
    row_h = 40 if previous is not None else 30
    top = 46
    bar_x = label_width + 20
    bar_w = width - bar_x - text_width - 10
    height = top + row_h * len(rows) + 40
    image = Image.new("RGB", (width * s, height * s), "white")
    draw = ImageDraw.Draw(image)
    draw.text((10 * s, 10 * s), title, fill=INK, font=title_font)
    if legend is not None:
        _legend(draw, legend, width)
    for i, (label, value, text) in enumerate(rows):
        y = top + i * row_h
        # as many characters as the label's width holds (38 in the usual 300): a wider column cuts fewer
        fits = max(12, label_width * 38 // 300)
        shown = label if len(label) <= fits else label[:fits - 2] + "..."
        draw.text((10 * s, (y + 6) * s), shown, fill=INK, font=label_font)
        low = y + row_h - 7 if previous is None else y + 22
        _bar(draw, bar_x, bar_w, y + 5, low, value, _colour(value))
        if previous is not None:
            _bar(draw, bar_x, bar_w, low + 2, y + row_h - 6, previous[i], PREVIOUS)
        # an unscored row says why in its words; no bar and no number stands beside it
        draw.text(((bar_x + bar_w + 8) * s, (y + 6) * s), text, fill=INK, font=value_font)
    if threshold is not None:
        x = bar_x + bar_w * threshold
        draw.line([x * s, (top - 4) * s, x * s, (top + row_h * len(rows)) * s], fill=INK, width=2 * s)
        draw.text(((x - 30) * s, (top + row_h * len(rows) + 4) * s), threshold_text, fill=INK, font=value_font)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


PREVIOUS = (144, 164, 174)  # the earlier period's bar: lighter than any band colour


def _bar(draw: ImageDraw.ImageDraw, x: float, full: float, top: float, bottom: float, value: float | None,
         colour: tuple[int, int, int]) -> None:
    """A track the full width, filled up to `value` (nothing filled when there is no value)."""
    s = SCALE
    draw.rectangle([x * s, top * s, (x + full) * s, bottom * s], fill=(240, 240, 240))
    if value is not None:
        end = x + full * max(0.0, min(1.0, value))
        draw.rectangle([x * s, top * s, end * s, bottom * s], fill=colour)


def _legend(draw: ImageDraw.ImageDraw, names: tuple[str, str], width: int) -> None:
    """At the top right, which bar of a row is which: the upper one coloured by band, the lower one grey."""
    s = SCALE
    font = _font(11)
    text = _("upper bar: {upper}; lower bar (grey): {lower}").format(upper=names[0], lower=names[1])
    x = width - 20 - draw.textlength(text, font=font) / s
    draw.text((x * s, 13 * s), text, fill=INK, font=font)


SERIES_COLOURS = [(198, 40, 40), (230, 145, 56), (0, 121, 107), (92, 107, 192), (120, 144, 156)]


def column_chart(categories: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], *, title: str,
                 width: int = 900, height: int = 360) -> bytes:
    """Stacked columns of counts, one column per category (e.g. NCs per year by grade), with a legend."""
    s = SCALE
    label_font, value_font, title_font = _font(12), _font(11), _font(15)
    top, bottom, left, right = 50, 40, 50, 20
    plot_h = height - top - bottom
    totals = [sum(values[i] for _, values in series) for i in range(len(categories))]
    peak = max(totals, default=0) or 1
    image = Image.new("RGB", (width * s, height * s), "white")
    draw = ImageDraw.Draw(image)
    draw.text((10 * s, 10 * s), title, fill=INK, font=title_font)
    legend_x = width - right
    for k in range(len(series) - 1, -1, -1):  # right-aligned legend, first series leftmost
        name = series[k][0]
        legend_x -= 14 + 8 * len(name) + 14
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        draw.rectangle([legend_x * s, 14 * s, (legend_x + 12) * s, 26 * s], fill=colour)
        draw.text(((legend_x + 16) * s, 13 * s), name, fill=INK, font=value_font)
    draw.line([left * s, (top + plot_h) * s, (width - right) * s, (top + plot_h) * s], fill=INK, width=s)
    slot = (width - left - right) / max(1, len(categories))
    bar_w = min(60, slot * 0.6)
    for i, category in enumerate(categories):
        x = left + slot * i + (slot - bar_w) / 2
        y: float = top + plot_h
        for k, (_name, values) in enumerate(series):
            h = plot_h * values[i] / peak
            if h > 0:
                draw.rectangle([x * s, (y - h) * s, (x + bar_w) * s, y * s],
                               fill=SERIES_COLOURS[k % len(SERIES_COLOURS)])
            y -= h
        draw.text((x * s, (y - 16) * s), str(totals[i]), fill=INK, font=value_font)
        draw.text((x * s, (top + plot_h + 6) * s), category[:12], fill=INK, font=label_font)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()
