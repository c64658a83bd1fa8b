"""The spec's error codes and their HTTP statuses (chalicelib/oci/errors.py)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.oci.errors import CODES, OCIError, RangeNotSatisfiable
from tests.unit.spec import DISTRIBUTION_SPEC, SPEC_ERROR_CODES, spec_text

# The status each spec code goes with: the spec names 401, 403, 405 (end-9, end-10) and 429;
# the rest follow the endpoint table (404 for unknown things, 400 for invalid input).
EXPECTED_STATUS = {
    "BLOB_UNKNOWN": 404,
    "BLOB_UPLOAD_INVALID": 400,
    "BLOB_UPLOAD_UNKNOWN": 404,
    "DIGEST_INVALID": 400,
    "MANIFEST_BLOB_UNKNOWN": 400,
    "MANIFEST_INVALID": 400,
    "MANIFEST_UNKNOWN": 404,
    "NAME_INVALID": 400,
    "NAME_UNKNOWN": 404,
    "SIZE_INVALID": 400,
    "UNAUTHORIZED": 401,
    "DENIED": 403,
    "UNSUPPORTED": 405,
    "TOOMANYREQUESTS": 429,
}


def test_spec_error_codes_literal_is_the_spec_table() -> None:
    text = spec_text(DISTRIBUTION_SPEC)
    table = text.split("The `code` field MUST be one of the following:", 1)[1]
    rows = re.findall(r"^\| code-\d+\s*\| `([A-Z_]+)`\s*\| (.*?)\s*\|$", table, re.M)
    assert dict(rows) == SPEC_ERROR_CODES


def test_every_spec_code_is_known_with_the_spec_description() -> None:
    for code, description in SPEC_ERROR_CODES.items():
        assert code in CODES, code
        assert CODES[code][1] == description, code


@pytest.mark.parametrize(("code", "status"), sorted(EXPECTED_STATUS.items()))
def test_status_of_each_spec_code(code: str, status: int) -> None:
    assert CODES[code][0] == status
    assert OCIError(code).status == status


def test_codes_are_uppercase_letters_and_underscores() -> None:
    # "The code field MUST be a unique identifier, containing only uppercase alphabetic
    # characters and underscores."
    for code in CODES:
        assert re.fullmatch(r"[A-Z_]+", code), code


def test_every_4xx_code_is_a_spec_code() -> None:
    # "The code field MUST be one of the following" (for 4XX bodies in JSON); extensions may
    # only be sent with a 5xx status.
    for code, (status, _message) in CODES.items():
        if 400 <= status < 500:
            assert code in SPEC_ERROR_CODES, code
        else:
            assert 500 <= status < 600, code


def test_unknown_codes_cannot_be_raised() -> None:
    with pytest.raises(KeyError):
        OCIError("TAG_INVALID")


@pytest.mark.parametrize("code", sorted(CODES))
def test_default_body(code: str) -> None:
    error = OCIError(code)
    assert error.code == code
    assert error.message == CODES[code][1]
    assert error.headers == {}
    assert error.body() == {"errors": [{"code": code, "message": CODES[code][1]}]}
    assert code in str(error)


def test_message_detail_status_and_headers() -> None:
    error = OCIError(
        "DIGEST_INVALID",
        "content has digest x, not y",
        detail={"expected": "y", "actual": "x"},
        status=422,
        headers={"X-A": "1"},
    )
    assert error.status == 422
    assert error.headers == {"X-A": "1"}
    assert error.body() == {
        "errors": [
            {
                "code": "DIGEST_INVALID",
                "message": "content has digest x, not y",
                "detail": {"expected": "y", "actual": "x"},
            }
        ]
    }


@pytest.mark.parametrize("detail", [0, "", [], {}, False])
def test_falsy_details_are_still_sent(detail: Any) -> None:
    body = OCIError("SIZE_INVALID", detail=detail).body()
    assert body["errors"][0]["detail"] == detail


@settings(max_examples=100)
@given(
    st.sampled_from(sorted(CODES)),
    st.text(min_size=1, max_size=50),
    st.none() | st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5)),
)
def test_body_is_the_spec_json_shape(code: str, message: str, detail: Any) -> None:
    body = OCIError(code, message, detail).body()
    decoded = json.loads(json.dumps(body))
    assert list(decoded) == ["errors"]
    [entry] = decoded["errors"]
    assert entry["code"] == code
    assert entry["message"] == message
    assert set(entry) == ({"code", "message"} if detail is None else {"code", "message", "detail"})


@pytest.mark.parametrize(("offset", "header"), [(0, "0-0"), (1, "0-0"), (10, "0-9")])
def test_range_not_satisfiable(offset: int, header: str) -> None:
    location = "/v2/a/blobs/uploads/abc"
    error = RangeNotSatisfiable("chunk out of order", location=location, offset=offset)
    assert isinstance(error, OCIError)
    assert error.status == 416
    assert error.code == "BLOB_UPLOAD_INVALID"
    assert error.headers == {"Location": location, "Range": header}
    assert error.body()["errors"][0]["message"] == "chunk out of order"
