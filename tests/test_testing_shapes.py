from kassa.testing.shapes import same_shape


def test_a_fitting_payload_has_no_findings_and_extra_fields_are_allowed():
    got = {"a": 2, "b": [{"c": "y", "d": 1}], "e": 0}
    assert same_shape({"a": 1, "b": [{"c": "x"}]}, got) == []


def test_missing_fields_wrong_types_and_bools_are_named_by_path():
    found = same_shape({"a": 1, "b": {"c": "x"}, "d": [1], "f": 1},
                       {"a": True, "b": {}, "d": [], "f": 1.5})
    assert found == ["$.a: bool, documented int", "$.b.c: missing",
                     "$.d: expected a non-empty array", "$.f: float, documented int"]
