"""Server-side SVG bar charts: valid XML, honest bar lengths, escaped labels, accessible names."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.web.charts import BAR_WIDTH, NO_EVIDENCE, OK, WARN, bar_chart

NS = {"svg": "http://www.w3.org/2000/svg"}
DIMENSIONS = [("Communication", 4.0, 0.9), ("Role fit", 2.0, 1.0), ("Process maturity", None, 0.0)]


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def _rows(root: ET.Element) -> list[ET.Element]:
    return root.findall("svg:g[@class='row']", NS)


def _bar(row: ET.Element) -> ET.Element | None:
    return row.find("svg:rect[@class='bar']", NS)


def _text(element: ET.Element) -> str:
    return "".join(element.itertext())


def test_chart_is_valid_svg_named_by_its_title() -> None:
    root = _parse(bar_chart(DIMENSIONS, title="Interview dimensions", scale_max=5))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    title = root.find("svg:title", NS)
    assert title is not None and title.text == "Interview dimensions"
    assert root.get("aria-labelledby") == title.get("id")
    assert root.get("width") == "560"
    assert len(_rows(root)) == 3


def test_height_grows_with_the_number_of_rows() -> None:
    one = _parse(bar_chart(DIMENSIONS[:1], title="t", scale_max=5))
    three = _parse(bar_chart(DIMENSIONS, title="t", scale_max=5))
    assert int(three.get("height", "0")) > int(one.get("height", "0"))


@given(st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=1, max_size=8))
def test_bar_widths_are_proportional_to_values(values: list[float]) -> None:
    rows = [(f"task {i}", v, 1.0) for i, v in enumerate(values)]
    root = _parse(bar_chart(rows, title="Work sample", scale_max=100, unit="%"))
    for value, row in zip(values, _rows(root), strict=True):
        bar = _bar(row)
        assert bar is not None
        assert float(bar.get("width", "-1")) == pytest.approx(value / 100 * BAR_WIDTH, abs=0.01)


def test_values_beyond_the_scale_are_clamped_but_reported_as_is() -> None:
    root = _parse(bar_chart([("over", 7.0, 1.0), ("under", -1.0, 1.0)], title="t", scale_max=5))
    over, under = _rows(root)
    assert float(_bar(over).get("width", "0")) == pytest.approx(BAR_WIDTH)  # type: ignore[union-attr]
    assert float(_bar(under).get("width", "1")) == 0  # type: ignore[union-attr]
    assert "7 / 5" in _text(over)


def test_none_row_has_no_bar_and_says_no_evidence() -> None:
    root = _parse(bar_chart(DIMENSIONS, title="Interview dimensions", scale_max=5))
    missing = _rows(root)[2]
    assert _bar(missing) is None
    assert NO_EVIDENCE in _text(missing)
    assert "Process maturity: no evidence" in (root.findtext("svg:desc", namespaces=NS) or "")


def test_labels_and_title_are_escaped() -> None:
    evil = "<script>alert(1)</script>"
    markup = str(bar_chart([(evil, 3.0, 1.0)], title=f"{evil} & co", scale_max=5))
    assert "<script>" not in markup
    root = _parse(markup)  # still well-formed
    assert root.findtext("svg:title", namespaces=NS) == f"{evil} & co"
    assert _rows(root)[0].findtext("svg:title", namespaces=NS) == evil


def test_threshold_draws_a_dashed_line_and_bars_below_it_warn() -> None:
    rows = [("NER", 62.0, 1.0), ("Ranking", 85.0, 1.0)]
    root = _parse(bar_chart(rows, title="Work sample", scale_max=100, unit="%", threshold=70))
    line = root.find("svg:g[@class='threshold']/svg:line", NS)
    assert line is not None
    assert line.get("stroke-dasharray")
    assert float(line.get("x1", "0")) == pytest.approx(172 + 0.7 * BAR_WIDTH)
    assert "pass 70%" in _text(root.find("svg:g[@class='threshold']", NS))  # type: ignore[arg-type]
    below, above = (_bar(r) for r in _rows(root))
    assert below is not None and below.get("fill") == WARN
    assert above is not None and above.get("fill") == OK


def test_no_threshold_means_no_line() -> None:
    root = _parse(bar_chart(DIMENSIONS, title="t", scale_max=5))
    assert root.find("svg:g[@class='threshold']", NS) is None


def test_low_confidence_is_faded_and_said() -> None:
    root = _parse(bar_chart([("sure", 3.0, 1.0), ("unsure", 3.0, 0.3)], title="t", scale_max=5))
    sure, unsure = _rows(root)
    assert float(_bar(unsure).get("fill-opacity", "1")) < float(_bar(sure).get("fill-opacity", "0"))  # type: ignore[union-attr]
    assert "conf. 30%" in _text(unsure)
    assert "conf." not in _text(sure)


def test_two_charts_with_different_titles_have_different_ids() -> None:
    a = _parse(bar_chart(DIMENSIONS, title="Interview", scale_max=5))
    b = _parse(bar_chart(DIMENSIONS, title="Work sample", scale_max=5))
    assert a.get("aria-labelledby") != b.get("aria-labelledby")


def test_empty_chart_says_no_evidence() -> None:
    root = _parse(bar_chart([], title="Nothing yet", scale_max=5))
    assert _rows(root) == []
    assert NO_EVIDENCE in _text(root)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale_max": 0}, "scale_max must be a number > 0 (got 0)"),
        ({"scale_max": 5, "threshold": 6}, "threshold must be between 0 and scale_max 5 (got 6)"),
        ({"scale_max": 5, "chart_id": "1bad id"}, "chart_id must be a letter"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs: dict[str, float | str], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        bar_chart(DIMENSIONS, title="t", **kwargs)  # type: ignore[arg-type]


def test_bad_row_names_its_index_and_label() -> None:
    with pytest.raises(ValueError, match=r"rows\[1\] 'Role fit': value must be a finite number"):
        bar_chart([("Communication", 3.0, 1.0), ("Role fit", float("nan"), 1.0)], title="t", scale_max=5)
    with pytest.raises(ValueError, match=r"rows\[0\] 'x': confidence must be between 0 and 1"):
        bar_chart([("x", 3.0, 1.5)], title="t", scale_max=5)
