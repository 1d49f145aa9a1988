"""Table rows as a result's X: the same level codes the engines were fitted with."""

from __future__ import annotations

import numpy as np
import pytest

from backends.design import design_matrix
from backends.runtime import ColumnTable, EngineError


class FakeResult:
    def __init__(self, inputs: list[str], levels: dict[str, list[str]] | None = None) -> None:
        self.input_names, self.target, self._levels = inputs, "y", levels or {}

    def summary(self) -> dict:
        return {"levels": self._levels}


TABLE = ColumnTable(
    {
        "x": np.array([1.5, np.nan, 3.0]),
        "g": np.array([2.0, 1.0, 2.0]),
        "school": np.array(["b", "a", None], dtype=object),
        "y": np.array([1.0, 2.0, 3.0]),
    },
    {"x": "numeric", "g": "integer", "school": "categorical", "y": "numeric"},
)


def test_numeric_group_codes_match_the_table_codes_engines_use() -> None:
    codes, levels = TABLE.codes("g")
    design = design_matrix(FakeResult(["g"], {"g": levels}), TABLE)
    np.testing.assert_array_equal(design.X[:, 0], codes)
    assert levels == ["1.0", "2.0"] and design.levels == {"g": levels}


def test_categorical_columns_become_level_codes_and_missing_rows_are_marked() -> None:
    design = design_matrix(FakeResult(["x", "school"], {"school": ["a", "b"]}), TABLE)
    np.testing.assert_array_equal(design.X[:, 1], [1.0, 0.0, np.nan])
    assert design.levels == {"school": ["a", "b"]}  # x is a number: no levels
    assert design.complete.tolist() == [True, False, False]
    np.testing.assert_array_equal(design.y, [1.0, 2.0, 3.0])
    with pytest.raises(EngineError, match="row 2 has a missing value"):
        design.row(1)
    with pytest.raises(EngineError, match="row 9 does not exist"):
        design.row(8)


def test_a_missing_input_column_is_named() -> None:
    with pytest.raises(EngineError, match="no column 'age'"):
        design_matrix(FakeResult(["age"]), TABLE)


def test_a_number_column_read_as_text_gives_numbers_or_names_the_value_that_is_not() -> None:
    """Engines save the levels of every categorical input; a text column without them
    held numbers when the model was fitted (a typo turned a new table's column to text)."""
    typed = ColumnTable(
        {"x": np.array(["1.5", None, "3"], dtype=object), "y": np.array([1.0, 2.0, 3.0])},
        {"x": "text", "y": "numeric"},
    )
    design = design_matrix(FakeResult(["x"]), typed)
    np.testing.assert_array_equal(design.X[:, 0], [1.5, np.nan, 3.0])
    assert design.levels == {} and design.complete.tolist() == [True, False, True]
    typo = ColumnTable(
        {"x": np.array(["1.5", "abc", "3"], dtype=object), "y": np.array([1.0, 2.0, 3.0])},
        {"x": "text", "y": "numeric"},
    )
    with pytest.raises(EngineError, match=r"column 'x' holds 'abc' in row 2, but the model"):
        design_matrix(FakeResult(["x"]), typo)


def test_a_level_the_model_never_saw_is_told_apart_from_a_missing_value() -> None:
    table = ColumnTable(
        {
            "school": np.array(["a", "z", None, "b"], dtype=object),
            "x": np.array([1.0, 2.0, 3.0, np.nan]),
        },
        {"school": "categorical", "x": "numeric"},
    )
    design = design_matrix(FakeResult(["school", "x"], {"school": ["a", "b"]}), table)
    assert design.complete.tolist() == [True, False, False, False]
    assert design.unseen["school"].tolist() == [False, True, False, False]
    assert design.not_predicted() == (
        "1 row(s) hold a level the model was not fitted with (first: school 'z' in row 2); "
        "2 row(s) miss an input: not predicted"
    )
    with pytest.raises(EngineError, match="row 2: column 'school' holds a level the model"):
        design.row(1)
    with pytest.raises(EngineError, match="row 3 has a missing value"):
        design.row(2)
