"""Every number the person reads equals the explanation record of their row."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from workbench.report import build_content, explain_row_json, render_html
from workbench.report.content import ReportOptions
from workbench.report.words import decimals_for, fmt, parse_number, percent

ROW = 7


def lookup(record: dict, path: str) -> float:
    value = record
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return float(value)


class Numbers(HTMLParser):
    """Collect (src, text, absolute) of every <span class="num"> and the text outside them."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, bool]] = []
        self._current: dict | None = None
        self._skip = 0
        self.loose_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "span" and attrs.get("class") == "num":
            self._current = {
                "src": attrs["data-src"],
                "abs": attrs.get("data-abs") == "1",
                "text": "",
            }
        if tag in ("svg", "style", "title"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag == "span" and self._current is not None:
            c = self._current
            self.found.append((c["src"], c["text"], c["abs"]))
            self._current = None
        if tag in ("svg", "style", "title"):
            self._skip -= 1

    def handle_data(self, data):
        if self._current is not None:
            self._current["text"] += data
        elif not self._skip:
            self.loose_text.append(data)


def person_part(html: str) -> str:
    start = html.index("<h1>")
    end = html.index("Technical annex") if "Technical annex" in html else len(html)
    return html[start:end]


def test_every_number_in_the_letter_equals_the_explanation_json(project) -> None:
    content = build_content(project, row=ROW)
    record = explain_row_json(project, ROW)
    assert content["explanation"] == record  # the report used exactly this record
    parser = Numbers()
    parser.feed(person_part(render_html(content)))
    assert len(parser.found) >= 10
    seen = set()
    for src, text, absolute in parser.found:
        if src.startswith("input_levels."):  # a category, printed by its level
            assert text == record["input_levels"][src.split(".", 1)[1]]
            continue
        expected = lookup(record, src)
        expected = abs(expected) if absolute else expected
        if text.startswith(("over ", "under ")):  # a share near certainty, as a bound
            bound = parse_number(text.split()[1])
            assert 100 * expected > bound if text.startswith("over") else 100 * expected < bound
            continue
        if text.endswith("%"):
            assert parse_number(text) == pytest.approx(100 * expected, abs=0.5), src
            continue
        decimals = len(text.split(".")[1]) if "." in text else 0
        tolerance = 0.5 * 10**-decimals + 1e-9 * max(1.0, abs(expected))
        # data values are printed with at most 4 significant digits
        if src.startswith("inputs.") or src.endswith(("feature_value", ".from", ".to")):
            tolerance = max(tolerance, 5e-4 * abs(expected))
        assert abs(parse_number(text) - expected) <= tolerance, (src, text, expected)
        seen.add(src)
    # every part of the record the person needs is printed
    for key in (
        "prediction.mean",
        "prediction.lower",
        "prediction.upper",
        "base_value",
        "explained_value",
        "decision_rule.threshold",
    ):
        assert key in seen
    for name in record["attributions"]:
        assert {f"attributions.{name}.value", f"attributions.{name}.feature_value"} <= seen
    for name in record["inputs"]:
        assert f"inputs.{name}" in seen
    for i, _ in enumerate(record["counterfactuals"]):
        assert f"counterfactuals.{i}.prediction" in seen


def test_no_other_number_in_the_letter(project) -> None:
    """Outside the tagged numbers, the letter holds only section numbers, the level,
    the row, the date and the run reference."""
    content = build_content(project, row=ROW, options=ReportOptions(level=0.8))
    html = person_part(render_html(content))
    html = re.sub(r'<p class="muted small">Reference:.*?</p>', "", html, flags=re.S)
    parser = Numbers()
    parser.feed(html)
    text = " ".join(parser.loose_text)
    allowed = {"1", "2", "3", "4", "5", "6", "80", "100", str(ROW)}
    stray = [t for t in re.findall(r"\d+(?:[.,]\d+)*", text) if t not in allowed]
    assert stray == []


def test_decimals_follow_the_uncertainty() -> None:
    assert fmt(33.7, decimals_for(41 - 28, 33.7)) == "34"
    assert fmt(8.14, decimals_for(9.3 - 6.9, 8.14)) == "8.1"
    assert fmt(-0.1234, decimals_for(0.05, -0.1234)) == "\u22120.123"
    assert fmt(42000.0, decimals_for(0, 42000.0)) == "42,000"
    assert fmt(-0.0001, 2) == "0.00"
    assert parse_number(fmt(-1234.5, 1)) == -1234.5


def test_percentages_never_round_to_something_untrue() -> None:
    assert [percent(p) for p in (0.9, 0.975, 0.995, 0.87345)] == ["90%", "97.5%", "99.5%", "87%"]
    assert percent(0.99963) == "over 99%" and percent(1.0) == "100%"
    assert percent(0.00037) == "under 1%" and percent(0.0) == "0%"


def test_a_data_value_keeps_a_decimal_of_its_fraction() -> None:
    from workbench.report.words import fmt_plain

    assert [fmt_plain(v) for v in (121.1175, 42000.0, 1958.21, 1234.04, 3.0)] == [
        "121.1",
        "42,000",
        "1,958.2",
        "1,234",
        "3",
    ]
