"""Schema: inferred kinds, user overrides, JSON round trip, and clear errors."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from frames import mixed_frame

from synthgan.exceptions import SchemaError
from synthgan.schema import Schema, SchemaWarning, infer_kind


def test_inferred_kinds():
    with pytest.warns(SchemaWarning, match="identifier"):
        schema = Schema.infer(mixed_frame())
    kinds = {c.name: c.kind for c in schema.columns}
    assert kinds == {
        "weight": "continuous",
        "age": "integer",
        "ward": "categorical",
        "smoker": "categorical",
        "stage": "categorical",
        "grade": "categorical",
        "admitted": "datetime",
        "visit": "datetime",
        "site": "constant",
        "patient_id": "identifier",
        "mrn": "identifier",
    }
    assert schema["visit"].datetime_format == "%Y-%m-%d"
    assert schema["age"].dtype == "int64" and schema["stage"].dtype == "category"


def test_missing_values_allowed_in_every_kind():
    frame = mixed_frame().drop(columns=["patient_id", "mrn"])
    frame["smoker"] = frame["smoker"].astype(object)
    for name in frame.columns:
        frame.loc[frame.index[::7], name] = np.nan
    frame["site"] = frame["site"].where(frame.index % 7 != 0)
    schema = Schema.infer(frame)
    assert {c.name: c.kind for c in schema.columns}[
        "site"
    ] == "categorical"  # one value + missing is 2 states
    assert schema["weight"].kind == "continuous" and schema["admitted"].kind == "datetime"
    assert infer_kind(pd.Series([np.nan, np.nan])) == "constant"


def test_discrete_columns_and_declared_overrides(tmp_path):
    frame = mixed_frame()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SchemaWarning)
        schema = Schema.infer(frame, discrete_columns=["age"], declared={"patient_id": "categorical"})
        assert schema["age"].kind == "categorical" and schema["patient_id"].kind == "categorical"
        path = tmp_path / "schema.json"
        path.write_text(json.dumps({"columns": {"weight": "continuous", "grade": "integer"}}))
        assert Schema.infer(frame, declared=path)["grade"].kind == "integer"
        full = Schema.infer(frame)
        assert Schema.infer(frame, declared=full) == full


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"discrete_columns": ["nope"]}, "unknown column 'nope'"),
        ({"discrete_columns": "ward"}, "list of column names"),
        ({"declared": {"ward": "fuzzy"}}, "unknown kinds"),
        ({"declared": {"ghost": "categorical"}}, "unknown columns ['ghost']"),
        ({"declared": {"ward": "continuous"}}, "holds text"),
        ({"declared": '{"columns": '}, "not valid JSON"),
        ({"declared": "missing-schema.json"}, "does not exist"),
    ],
)
def test_bad_overrides_name_the_problem(kwargs, fragment):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SchemaWarning)
        with pytest.raises(SchemaError) as info:
            Schema.infer(mixed_frame(), **kwargs)
    assert fragment in str(info.value)


def test_json_round_trip(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SchemaWarning)
        schema = Schema.infer(mixed_frame())
    text = schema.to_json(tmp_path / "s.json")
    assert Schema.from_json(text) == schema
    assert Schema.from_json(tmp_path / "s.json") == schema
    with pytest.raises(SchemaError, match="kind"):
        Schema.from_dict({"columns": [{"name": "a", "kind": "blob"}]})
    with pytest.raises(SchemaError, match="more than once"):
        Schema.from_dict({"columns": [{"name": "a", "kind": "constant"}] * 2})


def test_infinite_values_are_refused():
    with pytest.raises(SchemaError, match="infinite"):
        Schema.infer(pd.DataFrame({"x": [1.0, np.inf, 2.5, 3.5]}))


def test_high_cardinality_category_warns():
    frame = pd.DataFrame({"note": [f"text {i}" for i in range(100)] + ["text 1"] * 10})
    with pytest.warns(SchemaWarning, match="levels"):
        assert Schema.infer(frame)["note"].kind == "categorical"


def test_adult_schema_is_the_expected_one(adult):
    schema = Schema.infer(adult)
    numeric = [c.name for c in schema.columns if c.kind == "integer"]
    assert numeric == ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
    assert all(c.kind == "categorical" for c in schema.columns if c.name not in numeric)
