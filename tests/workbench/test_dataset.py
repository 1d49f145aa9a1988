"""Data import: formats, inferred types, missing values, and messages that point at the cell."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.project import DataError, read_table

MIXED = pd.DataFrame(
    {
        "age": [31, 45, None, 52],
        "income": [42000.5, 38000.0, 51000.25, None],
        "smoker": ["yes", "no", "no", "yes"],
        "region": ["north", "south", None, "north"],
        "visit": ["2024-01-05", "2024-02-11", "2024-03-01", "2024-03-09"],
        "flag": [True, False, True, False],
    }
)
EXPECTED_TYPES = {
    "age": "integer",
    "income": "numeric",
    "smoker": "boolean",
    "region": "categorical",
    "visit": "date",
    "flag": "boolean",
}


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".xlsx"])
def test_each_format_imports_with_the_same_types(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"people{suffix}"
    if suffix == ".csv":
        MIXED.to_csv(path, index=False)
    elif suffix == ".tsv":
        MIXED.to_csv(path, index=False, sep="\t")
    elif suffix == ".parquet":
        MIXED.to_parquet(path, index=False)
    else:
        MIXED.to_excel(path, index=False)
    dataset = read_table(path)
    assert dataset.types == EXPECTED_TYPES
    assert dataset.missing_counts() == {
        "age": 1,
        "income": 1,
        "smoker": 0,
        "region": 1,
        "visit": 0,
        "flag": 0,
    }
    assert dataset.source.name == path.name and len(dataset.source.sha256) == 64


def test_column_table_gives_engines_plain_arrays(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    MIXED.to_csv(path, index=False)
    table = read_table(path).column_table()
    np.testing.assert_array_equal(table["smoker"], [1.0, 0.0, 0.0, 1.0])
    assert np.isnan(table["age"][2]) and table["age"][0] == 31.0
    assert list(table["region"]) == ["north", "south", None, "north"]
    codes, levels = table.codes("region")
    assert levels == ["north", "south"] and list(codes) == [0, 1, -1, 0]
    assert table["visit"][1] - table["visit"][0] == 37.0  # days


def test_a_ragged_csv_names_the_file_and_row(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3,4\n5,6,7\n8,9\n")
    with pytest.raises(DataError, match=r"ragged\.csv: row 4"):
        read_table(path)


def test_a_type_override_names_the_first_bad_cell(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    path.write_text("name,score\nann,3\nbob,oops\ncid,5\n")
    dataset = read_table(path)
    assert dataset.types["score"] == "categorical"
    with pytest.raises(
        DataError, match=r"scores\.csv: column 'score', row 2: 'oops' is not a number"
    ):
        dataset.with_column_type("score", "numeric")
    assert dataset.types["score"] == "categorical"  # the original is untouched


def test_an_infinite_number_or_no_rows_is_refused_with_the_place(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text("a,b\n1,2\n3,4\n5,1e400\n")
    with pytest.raises(DataError, match=r"huge\.csv: column 'b', row 3 holds an infinite"):
        read_table(path)
    path.write_text("a,b\n")
    with pytest.raises(DataError, match=r"huge\.csv: the file has column names but no rows"):
        read_table(path)


def test_a_type_override_converts(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("code\n1\n2\n3\n")
    dataset = read_table(path).with_column_type("code", "categorical")
    assert dataset.column_table()["code"].tolist() == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", "", "empty"),
        ("dup.csv", "a,a\n1,2\n", "appears twice"),
        ("table.json", "{}", "unknown table format"),
        ("broken.parquet", "not parquet", "not a readable Parquet"),
        ("broken.xlsx", "not excel", "not a readable .xlsx"),
    ],
)
def test_unreadable_files_get_a_message_naming_the_file(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(DataError, match=message) as info:
        read_table(path)
    assert name in str(info.value)


def test_the_bundled_kidiq_table(kidiq_csv: Path) -> None:
    dataset = read_table(kidiq_csv)
    assert dataset.n_rows == 434
    assert dataset.types == {"kid_score": "integer", "mom_hs": "integer", "mom_iq": "numeric"}


def test_numbers_become_dates_only_when_written_yyyymmdd(tmp_path: Path) -> None:
    path = tmp_path / "weekly.csv"
    path.write_text("date,iq\n19580329,101.5\n19580405,99.0\n")
    dataset = read_table(path)
    days = dataset.with_column_type("date", "date").column_table()["date"]
    assert days[1] - days[0] == 7.0
    with pytest.raises(DataError, match="column 'iq' holds numbers"):
        dataset.with_column_type("iq", "date")
