"""The JSON form of lifecycle policies: what it accepts, what it refuses, and that a
rendered policy reads back to the same rules (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.lifecycle.document import parse_policy, render_policy
from chalicelib.lifecycle.policy import CountType, Rule, TagStatus
from chalicelib.oci.errors import OCIError


def test_an_ecr_style_policy_reads_as_rules() -> None:
    rules = parse_policy(
        {
            "rules": [
                {
                    "rulePriority": 5,
                    "description": "old releases",
                    "selection": {
                        "tagStatus": "tagged",
                        "tagPrefixList": ["v1.", "v2."],
                        "countType": "imageCountMoreThan",
                        "countNumber": 3,
                    },
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 1,
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": 14,
                    },
                },
            ]
        }
    )
    assert rules == [
        Rule(1, TagStatus.UNTAGGED, CountType.SINCE_PUSHED, 14),
        Rule(5, TagStatus.TAGGED, CountType.MORE_THAN, 3, ("v1.*", "v2.*"), "old releases"),
    ]


@pytest.mark.parametrize(
    ("selection", "words"),
    [
        (
            {
                "tagStatus": "any",
                "countType": "sinceImagePushed",
                "countUnit": "hours",
                "countNumber": 1,
            },
            "countUnit must be days",
        ),
        (
            {
                "tagStatus": "any",
                "countType": "imageCountMoreThan",
                "countUnit": "days",
                "countNumber": 1,
            },
            "imageCountMoreThan takes no countUnit",
        ),
        (
            {
                "tagStatus": "untagged",
                "tagPatternList": ["x"],
                "countType": "sinceImagePushed",
                "countNumber": 1,
            },
            "tag patterns apply to tagStatus tagged only",
        ),
        (
            {
                "tagStatus": "tagged",
                "tagPatternList": ["a b"],
                "countType": "sinceImagePushed",
                "countNumber": 1,
            },
            "is not a tag glob",
        ),
        (
            {"tagStatus": "any", "countType": "sinceImagePulled", "countNumber": True},
            "countNumber must be a whole number",
        ),
        (
            {"tagStatus": "any", "countType": "sometime", "countNumber": 1},
            "countType must be one of",
        ),
        (
            {"tagStatus": "any", "countType": "sinceImagePushed", "countNumber": 1, "x": 1},
            "unknown selection field(s) x",
        ),
    ],
)
def test_mistakes_are_named(selection: dict[str, object], words: str) -> None:
    with pytest.raises(OCIError) as caught:
        parse_policy({"rules": [{"rulePriority": 3, "selection": selection}]})
    assert caught.value.status == 400
    assert caught.value.message.startswith("invalid lifecycle policy: rule 3: ")
    assert words in caught.value.message


def test_bad_priorities_and_actions() -> None:
    for rule, words in (
        ({"rulePriority": 0, "selection": {}}, "rulePriority must be"),
        ({"rulePriority": "1", "selection": {}}, "rulePriority must be"),
        ({"rulePriority": 1, "action": {"type": "archive"}, "selection": {}}, "only action"),
    ):
        with pytest.raises(OCIError) as caught:
            parse_policy({"rules": [rule]})
        assert words in caught.value.message
    with pytest.raises(OCIError):
        parse_policy({"rules": [{"rulePriority": 1, "selection": {}}] * 51})


rules_strategy = st.lists(
    st.builds(
        lambda priority, status, count, value, patterns, description: Rule(
            priority,
            status,
            count,
            value,
            tuple(dict.fromkeys(patterns)) if status is TagStatus.TAGGED else (),
            description,
        ),
        st.integers(1, 999),
        st.sampled_from(TagStatus),
        st.sampled_from(CountType),
        st.integers(1, 100_000),
        st.lists(st.from_regex(r"[a-z0-9*?.-]{1,10}", fullmatch=True), min_size=1, max_size=3),
        st.text(max_size=30),
    ),
    max_size=6,
    unique_by=lambda r: r.priority,
)


@given(rules_strategy)
def test_render_then_parse_is_the_identity(rules: list[Rule]) -> None:
    ordered = sorted(rules, key=lambda r: r.priority)
    assert parse_policy(render_policy(ordered)) == ordered
