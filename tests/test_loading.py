"""Loading: every format users have, and a typed one-line error for every broken file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthgan import load_table
from synthgan.exceptions import (
    DataLoadError,
    DuplicateColumnError,
    EmptyTableError,
    FileMissingError,
    NoUsableColumnError,
    UnreadableFileError,
)


def write(tmp_path, name, content, mode="w"):
    path = tmp_path / name
    if mode == "wb":
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path, sep):
    rows = [["name", "age", "ward"], ["Ann", "34", "A"], ["Bob", "51", "B"], ["Cy", "27", "A"]]
    path = write(tmp_path, "t.csv", "\n".join(sep.join(r) for r in rows) + "\n")
    df = load_table(path)
    assert list(df.columns) == ["name", "age", "ward"]
    assert df["age"].tolist() == [34, 51, 27]


def test_bom_quotes_and_tsv(tmp_path):
    content = '\ufeffid,note,score\n1,"a, quoted ""field""",1.5\n2,plain,2.5\n'
    df = load_table(write(tmp_path, "bom.csv", content))
    assert list(df.columns) == ["id", "note", "score"]  # no BOM glued to the first name
    assert df.loc[0, "note"] == 'a, quoted "field"'
    tsv = load_table(write(tmp_path, "t.tsv", "a\tb\n1\tx,y\n2\tz\n"))
    assert tsv["b"].tolist() == ["x,y", "z"]


def test_parquet_and_dataframe(tmp_path):
    frame = pd.DataFrame(
        {"x": [1.5, 2.5], "c": pd.Categorical(["a", "b"]), "t": pd.to_datetime(["2020-01-01", "2021-02-03"])}
    )
    frame.to_parquet(tmp_path / "t.parquet")
    back = load_table(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(back, frame)
    assert load_table(frame) is frame


def test_missing_tokens_whitespace_and_nullable_integers(tmp_path):
    content = "age,sex,ca\n63, male,0\n67,female ,?\n41,\tmale,2\n"
    df = load_table(write(tmp_path, "m.csv", content))
    assert df["sex"].tolist() == ["male", "female", "male"]
    assert str(df["ca"].dtype) == "Int64" and df["ca"].isna().tolist() == [False, True, False]


def test_headerless_numeric_file_gets_column_names(tmp_path):
    df = load_table(write(tmp_path, "h.data", "63,1,145\n67,1,160\n37,0,130\n"))
    assert list(df.columns) == ["col_0", "col_1", "col_2"] and len(df) == 3
    forced = load_table(write(tmp_path, "f.csv", "a,b\nc,d\n"), header=False)
    assert len(forced) == 2


@pytest.mark.parametrize(
    "content, error, fragment",
    [
        ("", EmptyTableError, "empty"),
        ("   \n\n", EmptyTableError, "empty"),
        ("a,b,c\n", EmptyTableError, "no data rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", UnreadableFileError, "binary"),
        (b"name,city\nJos\xe9,M\xfcnchen\n", UnreadableFileError, "UTF-8"),
        ("a,b\n1,2\n3,4,5,6\n", UnreadableFileError, "line up"),
        ("a,a,b\n1,2,3\n", DuplicateColumnError, "duplicate column names ['a']"),
        ("a,b\n,\n,\n", NoUsableColumnError, "every column is empty"),
    ],
)
def test_broken_files_raise_typed_one_line_errors(tmp_path, content, error, fragment):
    path = write(tmp_path, "bad.csv", content, "wb" if isinstance(content, bytes) else "w")
    with pytest.raises(error) as info:
        load_table(path)
    message = str(info.value)
    assert fragment in message and "\n" not in message and str(path) in message
    assert isinstance(info.value, DataLoadError) and isinstance(info.value, ValueError)


def test_missing_path_and_folder(tmp_path):
    with pytest.raises(FileMissingError, match="no such file"):
        load_table(tmp_path / "nope.csv")
    with pytest.raises(FileMissingError, match="folder"):
        load_table(tmp_path)


def test_damaged_parquet(tmp_path):
    path = write(tmp_path, "x.parquet", b"PAR1garbagegarbage", "wb")
    with pytest.raises(UnreadableFileError, match="Parquet"):
        load_table(path)


def test_dataframe_checks():
    dup = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(DuplicateColumnError):
        load_table(dup)
    with pytest.raises(EmptyTableError):
        load_table(pd.DataFrame({"a": []}))
    with pytest.raises(NoUsableColumnError):
        load_table(pd.DataFrame({"a": [np.nan, np.nan]}))
    with pytest.raises(DataLoadError, match="DataFrame or a path"):
        load_table(42)
    renamed = load_table(pd.DataFrame({0: [1, 2], 1: ["x", "y"]}))
    assert list(renamed.columns) == ["0", "1"]
