"""A row the model cannot predict says why: a missing value, or a level it never saw."""

from __future__ import annotations

import numpy as np
import pytest

from backends.design import design_matrix
from backends.runtime import ColumnTable
from workbench.report.analysis import RunData, row_index
from workbench.report.errors import ReportError


class GroupResult:
    input_names, target = ["school", "x"], "y"

    def summary(self) -> dict:
        return {"levels": {"school": ["A", "B"]}}


def test_an_unknown_level_is_not_called_missing() -> None:
    table = ColumnTable(
        {
            "school": np.array(["A", "Z", "B"], dtype=object),
            "x": np.array([1.0, 2.0, np.nan]),
            "y": np.zeros(3),
        },
        {"school": "categorical", "x": "numeric", "y": "numeric"},
    )
    design = design_matrix(GroupResult(), table)
    data = RunData(None, GroupResult(), design, np.flatnonzero(design.complete), table)
    assert row_index(data, 1) == 0
    unknown = r"row 2: 'Z' in column 'school' is not a level .*\(A, B\)"
    with pytest.raises(ReportError, match=unknown):
        row_index(data, 2)
    with pytest.raises(ReportError, match="row 3 has no value for x"):
        row_index(data, 3)
