"""The import dialog's missing-value policies, applied to a small table with gaps."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.project.dataset import (
    MISSING_POLICIES,
    DataError,
    Source,
    apply_missing_policy,
    build_dataset,
)


@pytest.fixture
def gappy():  # noqa: ANN201
    frame = pd.DataFrame(
        {
            "x": [1.0, None, 3.0, 10.0],
            "n": [1, 2, None, 4],
            "g": ["a", None, "b", "a"],
            "empty": [None, None, None, None],
        }
    )
    types = {"x": "numeric", "n": "integer", "g": "categorical", "empty": "numeric"}
    return build_dataset(frame, Source("gappy.csv", "0" * 64, 4), types)


def test_keep_returns_the_table_unchanged(gappy) -> None:  # noqa: ANN001
    assert apply_missing_policy(gappy, "keep") is gappy


def test_drop_keeps_only_complete_rows(gappy) -> None:  # noqa: ANN001
    partial = gappy.frame.drop(columns="empty")
    dataset = build_dataset(partial, gappy.source, {k: gappy.types[k] for k in partial})
    dropped = apply_missing_policy(dataset, "drop")
    assert dropped.frame["x"].tolist() == [1.0, 10.0]
    assert dropped.frame["n"].tolist() == [1, 4]
    assert list(dropped.frame.index) == [0, 1]
    assert dropped.types == dataset.types and dataset.n_rows == 4  # the input is untouched


def test_drop_that_leaves_nothing_names_the_column(gappy) -> None:  # noqa: ANN001
    with pytest.raises(DataError, match="'empty'"):
        apply_missing_policy(gappy, "drop")


def test_fill_median_fills_numbers_only(gappy) -> None:  # noqa: ANN001
    filled = apply_missing_policy(gappy, "fill_median")
    assert filled.frame["x"].tolist() == [1.0, 3.0, 3.0, 10.0]
    # median of 1, 2, 4 is 2: integer columns stay whole numbers
    assert filled.frame["n"].tolist() == [1, 2, 2, 4]
    assert str(filled.frame["n"].dtype) == "Int64"
    assert filled.missing_counts() == {"x": 0, "n": 0, "g": 1, "empty": 4}
    assert filled.column_table()["x"].tolist() == [1.0, 3.0, 3.0, 10.0]


def test_unknown_policy_is_refused(gappy) -> None:  # noqa: ANN001
    assert set(MISSING_POLICIES) == {"keep", "drop", "fill_median"}
    with pytest.raises(DataError, match="policy"):
        apply_missing_policy(gappy, "impute")
