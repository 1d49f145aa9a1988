"""The project's data table: a pandas DataFrame plus what we know about it.

The analyst sees one type per column (numeric, integer, boolean, categorical,
date, text); we infer it on import and let them override it. The source file's
name and SHA-256 are kept for the report's data-provenance section.
"""

from __future__ import annotations

import csv
import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from backends.runtime import COLUMN_TYPES, ColumnTable
from workbench.text import count

# A text column with at most this many distinct values (or 5% of rows) is a category.
CATEGORY_MAX_LEVELS = 50
_BOOLEAN_WORDS = {"true": True, "false": False, "yes": True, "no": False}
_EPOCH = np.datetime64("1970-01-01", "D")


class DataError(ValueError):
    """A table cannot be read or converted; the message names file, row and column."""


@dataclass
class Source:
    name: str
    sha256: str
    rows: int

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "rows": self.rows}


@dataclass
class Dataset:
    frame: pd.DataFrame
    types: dict[str, str]
    source: Source
    _table_cache: ColumnTable | None = field(default=None, repr=False, compare=False)

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]

    def missing_counts(self) -> dict[str, int]:
        return {str(c): int(n) for c, n in self.frame.isna().sum().items()}

    def with_column_type(self, column: str, new_type: str) -> Dataset:
        """A copy with one column converted; raises DataError naming the first bad row."""
        if column not in self.frame.columns:
            raise DataError(f"{self.source.name}: there is no column {column!r}")
        if new_type not in COLUMN_TYPES:
            raise DataError(f"unknown column type {new_type!r}; use one of {COLUMN_TYPES}")
        frame = self.frame.copy()
        frame[column] = convert_column(frame[column], new_type, self.source.name)
        return Dataset(frame, {**self.types, column: new_type}, self.source)

    def column_table(self) -> ColumnTable:
        """The table as engines take it (see backends.runtime.ColumnTable); cached."""
        if self._table_cache is None:
            arrays = {
                str(name): column_array(self.frame[name], self.types[str(name)])
                for name in self.frame.columns
            }
            fingerprint = f"{self.source.sha256}:{len(self.frame)}"
            self._table_cache = ColumnTable(arrays, dict(self.types), fingerprint)
        return self._table_cache


def column_array(series: pd.Series, column_type: str) -> np.ndarray:
    if column_type in ("categorical", "text"):
        values = series.astype("object").to_numpy()
        return np.array([None if _is_missing(v) else str(v) for v in values], dtype=object)
    if column_type == "date":
        days = series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
        out = (days - _EPOCH).astype(np.float64)
        out[pd.isna(series).to_numpy()] = np.nan
        return out
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ------------------------------------------------------------------- reading
def read_table(path: str | Path, types: dict[str, str] | None = None) -> Dataset:
    """Import CSV, TSV, Parquet or Excel (.xlsx); infer column types unless given."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    suffix = path.suffix.lower()
    readers = {
        ".csv": _read_delimited,
        ".tsv": _read_delimited,
        ".txt": _read_delimited,
        ".parquet": _read_parquet,
        ".pq": _read_parquet,
        ".xlsx": _read_excel,
    }
    reader = readers.get(suffix)
    if reader is None:
        raise DataError(
            f"{path.name}: unknown table format {suffix!r}; use CSV, TSV, Parquet or .xlsx"
        )
    frame = reader(path)
    if frame.shape[1] == 0:
        raise DataError(f"{path.name}: the file holds no columns")
    if len(frame) == 0:
        raise DataError(f"{path.name}: the file has column names but no rows")
    frame.columns = _clean_names(frame.columns, path.name)
    source = Source(path.name, file_sha256(path), len(frame))
    return build_dataset(frame, source, types)


def build_dataset(
    frame: pd.DataFrame, source: Source, types: dict[str, str] | None = None
) -> Dataset:
    types = dict(types or {})
    out_types: dict[str, str] = {}
    for name in frame.columns:
        wanted = types.get(name) or infer_type(frame[name])
        frame[name] = convert_column(frame[name], wanted, source.name)
        out_types[str(name)] = wanted
    return Dataset(frame, out_types, source)


def _clean_names(columns: pd.Index, file_name: str) -> list[str]:
    names = [str(c).strip() for c in columns]
    seen: set[str] = set()
    for index, name in enumerate(names):
        if not name or name.startswith("Unnamed:"):
            raise DataError(f"{file_name}: column {index + 1} has no name")
        if name in seen:
            raise DataError(f"{file_name}: the column name {name!r} appears twice")
        seen.add(name)
    return names


def _read_delimited(path: Path) -> pd.DataFrame:
    with open(path, encoding="utf-8", errors="replace") as handle:
        header_line = handle.readline()
    sep = "\t" if path.suffix.lower() == ".tsv" else _sniff_separator(header_line)
    # pandas silently renames a repeated column to "a.1"; the analyst should hear of it
    _clean_names(pd.Index(next(csv.reader([header_line], delimiter=sep), [])), path.name)
    try:  # pyarrow's reader is several times faster on large files
        return pd.read_csv(path, sep=sep, engine="pyarrow")
    except (ValueError, TypeError, OSError):
        pass  # re-read with the C parser below, whose messages name the line
    try:
        return pd.read_csv(path, sep=sep, engine="c", low_memory=False)
    except pd.errors.ParserError as exc:
        raise DataError(f"{path.name}: {_parser_message(exc)}") from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"{path.name}: not a text file in UTF-8 (byte {exc.start})") from exc
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{path.name}: the file is empty") from exc


def _sniff_separator(header: str) -> str:
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=counts.get) if any(counts.values()) else ","


def _parser_message(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[-1]
    # pandas says e.g. "Error tokenizing data. C error: Expected 3 fields in line 5, saw 4"
    if "Expected" in text and "line" in text:
        detail = text.split("C error:")[-1].strip()
        return f"row {detail.split('line ')[1].split(',')[0]}: {detail}"
    return text


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except (ValueError, TypeError, OSError) as exc:  # pyarrow's errors derive from these
        raise DataError(f"{path.name}: not a readable Parquet file ({exc})") from exc


def _read_excel(path: Path) -> pd.DataFrame:
    try:
        return pd.read_excel(path, engine="openpyxl")
    except (ValueError, KeyError, OSError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path.name}: not a readable .xlsx workbook ({exc})") from exc


# ------------------------------------------------------------------- types
def infer_type(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        values = series.dropna().to_numpy()
        values = values[np.isfinite(values)]  # an infinity is refused when converting
        integral = len(values) > 0 and bool(np.all(np.mod(values, 1) == 0))
        return "integer" if integral else "numeric"
    # text: judge the distinct values only (a million rows rarely hold many)
    distinct = pd.Series(pd.unique(series.dropna())).astype(str).str.strip()
    values = pd.Series(pd.unique(distinct))
    if values.empty:
        return "numeric"
    if values.str.lower().isin(_BOOLEAN_WORDS.keys()).all():
        return "boolean"
    if pd.to_numeric(values, errors="coerce").notna().all():
        return "numeric"
    if _looks_like_dates(values):
        return "date"
    n_present = int(series.notna().sum())
    return "categorical" if len(values) <= max(CATEGORY_MAX_LEVELS, 0.05 * n_present) else "text"


def _looks_like_dates(values: pd.Series) -> bool:
    sample = values.head(200)
    if not sample.str.match(r"^\d{4}-\d{2}-\d{2}").all():
        return False
    return pd.to_datetime(sample, errors="coerce", format="ISO8601").notna().all()


def convert_column(series: pd.Series, column_type: str, file_name: str) -> pd.Series:
    """Convert to the pandas dtype that stores ``column_type``; name the first bad cell."""
    if column_type not in ("categorical", "text") and not _is_typed(series):
        # convert each distinct text once, then spread the results over the rows
        codes, uniques = pd.factorize(series)
        try:
            distinct = _convert_typed(pd.Series(uniques, name=series.name), column_type, file_name)
        except DataError:
            pass  # convert row by row below, so that the message names the right row
        else:
            values = distinct.array.take(codes, allow_fill=True)
            return pd.Series(values, index=series.index, name=series.name)
    return _convert_typed(series, column_type, file_name)


def _is_typed(series: pd.Series) -> bool:
    return not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series))


def _convert_typed(series: pd.Series, column_type: str, file_name: str) -> pd.Series:
    name = series.name
    if column_type in ("numeric", "integer"):
        converted = pd.to_numeric(series, errors="coerce")
        _report_failures(series, converted, file_name, name, "a number")
        # 1e400 or "inf" reads as infinity: no model can use it, and it is not missing
        infinite = converted[np.isinf(converted.to_numpy(dtype=float, na_value=np.nan))]
        if len(infinite):
            row = _row_number(series, infinite.index[0])
            raise DataError(
                f"{file_name}: column {name!r}, row {row} holds an infinite value (a number "
                "too large, like 1e400, or 'inf'); a model needs finite numbers"
            )
        if column_type == "integer":
            values = converted.dropna()
            fractional = values[np.mod(values.to_numpy(dtype=float), 1) != 0]
            if len(fractional):
                row = _row_number(series, fractional.index[0])
                raise DataError(
                    f"{file_name}: column {name!r}, row {row}: "
                    f"{fractional.iloc[0]!r} is not a whole number"
                )
            return converted.astype("Int64")
        return converted.astype("float64")
    if column_type == "boolean":
        if pd.api.types.is_bool_dtype(series):
            return series.astype("boolean")
        words = pd.Series([_to_bool(v) for v in series], index=series.index, dtype="object")
        _report_failures(series, words, file_name, name, "true/false")
        return words.astype("boolean")
    if column_type == "date":
        if pd.api.types.is_numeric_dtype(series):
            return _dates_from_numbers(series, file_name)
        converted = pd.to_datetime(series, errors="coerce", format="mixed")
        _report_failures(series, converted, file_name, name, "a date")
        return converted
    if column_type in ("categorical", "text"):
        return series.astype("string")
    raise DataError(f"unknown column type {column_type!r}")


def _dates_from_numbers(series: pd.Series, file_name: str) -> pd.Series:
    """Numbers are dates only as YYYYMMDD (19580329); pandas would silently read any
    other number as nanoseconds since 1970, so those are refused."""
    as_text = series.astype("Int64").astype("string") if _all_whole(series) else None
    if as_text is None or not as_text.dropna().str.fullmatch(r"\d{8}").all():
        raise DataError(
            f"{file_name}: column {series.name!r} holds numbers; a date column "
            "needs text such as 2024-03-01, or numbers written YYYYMMDD"
        )
    converted = pd.to_datetime(as_text, errors="coerce", format="%Y%m%d")
    _report_failures(series, converted, file_name, series.name, "a date written YYYYMMDD")
    return converted


def _all_whole(series: pd.Series) -> bool:
    values = series.dropna().to_numpy(dtype=float)
    return bool(np.all(np.mod(values, 1) == 0))


def _to_bool(value: Any) -> Any:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating) and value in (0, 1):
        return bool(value)
    return _BOOLEAN_WORDS.get(str(value).strip().lower(), pd.NA)


def _report_failures(
    original: pd.Series, converted: pd.Series, file_name: str, name: Any, what: str
) -> None:
    failed = converted.isna() & original.notna()
    if failed.any():
        first = failed.idxmax()
        row = _row_number(original, first)
        raise DataError(
            f"{file_name}: column {name!r}, row {row}: "
            f"{original.loc[first]!r} is not {what} ({count(int(failed.sum()), 'such cell')})"
        )


def _row_number(series: pd.Series, label: Any) -> int:
    """1-based data row number (the header is not counted)."""
    return int(series.index.get_loc(label)) + 1


# ------------------------------------------------------------------- missing values
# Chosen in the import dialog. "keep" is the default because engines already leave
# incomplete rows out per model (only the columns a model uses count), which loses less.
MISSING_POLICIES = {
    "keep": "keep (engines leave incomplete rows out)",
    "drop": "drop rows with any missing value",
    "fill_median": "fill numeric with the median",
}


def apply_missing_policy(dataset: Dataset, policy: str) -> Dataset:
    """A copy with the policy applied; raises DataError if it would leave no rows.

    "fill_median" fills numeric and integer columns only (an integer column gets the
    median rounded to a whole number, so it stays integer); other columns keep their gaps.
    The source (file name, hash, file rows) is kept: it describes the file, not the table.
    """
    if policy not in MISSING_POLICIES:
        raise DataError(
            f"unknown missing-value policy {policy!r}; use one of {list(MISSING_POLICIES)}"
        )
    if policy == "keep":
        return dataset
    frame = dataset.frame.copy()
    if policy == "drop":
        frame = frame.dropna().reset_index(drop=True)
        if len(frame) == 0 and dataset.n_rows > 0:
            counts = dataset.missing_counts()
            worst = max(counts, key=counts.get)
            raise DataError(
                f"{dataset.source.name}: every row has a missing value "
                f"(column {worst!r} alone misses {counts[worst]}); choose another policy"
            )
    else:
        for name, column_type in dataset.types.items():
            if column_type not in ("numeric", "integer") or not frame[name].isna().any():
                continue
            median = frame[name].median()
            if pd.isna(median):
                continue  # an all-missing column has no median to fill with
            frame[name] = frame[name].fillna(round(median) if column_type == "integer" else median)
    return Dataset(frame, dict(dataset.types), dataset.source)
