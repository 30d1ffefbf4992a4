"""The gallery's colours are readable for elderly eyes on a cheap screen: every text colour in the
stylesheet stands against its background at a contrast of at least 4.5:1 (WCAG AA)."""

from __future__ import annotations

import re
from importlib import resources

STYLESHEET = (resources.files("bot.gallery") / "static" / "gallery.css").read_text("utf-8")
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_HEX = re.compile(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")


def _rules(css: str) -> list[tuple[str, dict[str, str]]]:
    """(selector, declarations) of every rule, media queries flattened."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"@media[^{]*\{((?:[^{}]*\{[^{}]*\})*)\s*\}", r"\1", css)
    found = []
    for selector, body in _RULE.findall(css):
        declarations = {}
        for line in body.split(";"):
            name, _, value = line.partition(":")
            if value:
                declarations[name.strip()] = value.strip()
        found.append((" ".join(selector.split()), declarations))
    return found


def _luminance(colour: str) -> float:
    digits = _HEX.fullmatch(colour.strip())
    assert digits, f"colours are written as #rrggbb: {colour!r}"
    raw = digits.group(1)
    if len(raw) == 3:
        raw = "".join(c * 2 for c in raw)
    channels = [int(raw[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    """The WCAG contrast ratio of two colours."""
    light, dark = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_formula_matches_known_pairs() -> None:
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48  # the classic just-too-light grey
    assert contrast("#fff", "#fff") == 1.0


def test_every_text_colour_in_the_stylesheet_has_a_contrast_of_at_least_4_5() -> None:
    coloured = [(s, d) for s, d in _rules(STYLESHEET)
                if "color" in d or "background-color" in d or "background" in d]
    assert len(coloured) >= 8
    for selector, declarations in coloured:
        assert "background" not in declarations, f"{selector}: use background-color"
        assert "color" in declarations and "background-color" in declarations, (
            f"{selector} sets one colour without the other, so its contrast is unknown")
        ratio = contrast(declarations["color"], declarations["background-color"])
        assert ratio >= 4.5, f"{selector}: contrast {ratio:.2f} < 4.5"


def test_focus_is_visible_for_keyboard_users() -> None:
    outlined = {part.strip() for s, d in _rules(STYLESHEET)
                if d.get("outline", "").startswith("3px solid") for part in s.split(",")}
    assert {"a:focus", "button:focus", "input:focus", "select:focus", "summary:focus"} <= outlined
    assert contrast("#b35c00", "#ffffff") >= 3.0  # the outline against the page (WCAG 1.4.11)
