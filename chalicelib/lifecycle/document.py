"""The JSON form of a lifecycle policy, close to ECR's so an ECR policy mostly reads as is:

    {"rules": [
      {"rulePriority": 1, "description": "drop untagged after two weeks",
       "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                     "countUnit": "days", "countNumber": 14}},
      {"rulePriority": 2,
       "selection": {"tagStatus": "tagged", "tagPatternList": ["release-*"],
                     "countType": "imageCountMoreThan", "countNumber": 10}}
    ]}

`countType` is `imageCountMoreThan`, `sinceImagePushed` or `sinceImagePulled` (days);
`tagPrefixList` (ECR's) is read as the patterns `<prefix>*`. Every mistake is a 400 naming
the rule and the field, so a policy is either valid as a whole or not stored."""

from __future__ import annotations

from typing import Any

from chalicelib.lifecycle.policy import CountType, Rule, TagStatus
from chalicelib.oci.errors import OCIError

MAX_RULES = 50
MAX_PATTERNS = 20
MAX_COUNT = 100_000
_PATTERN_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-*?[]!")
_RULE_KEYS = {"rulePriority", "description", "selection", "action"}
_SELECTION_KEYS = {
    "tagStatus",
    "tagPatternList",
    "tagPrefixList",
    "countType",
    "countUnit",
    "countNumber",
}


def _bad(message: str) -> OCIError:
    return OCIError("UNSUPPORTED", f"invalid lifecycle policy: {message}", status=400)


def parse_policy(document: Any) -> list[Rule]:
    """The rules of a policy document, validated; raises a 400 OCIError naming the mistake."""
    if not isinstance(document, dict):
        raise _bad("the policy must be a JSON object with a `rules` list")
    unknown = sorted(set(document) - {"rules", "name", "version"})
    if unknown:
        raise _bad(f"unknown field(s) {', '.join(unknown)}; expected `rules`")
    rules = document.get("rules", [])
    if not isinstance(rules, list) or len(rules) > MAX_RULES:
        raise _bad(f"`rules` must be a list of at most {MAX_RULES} rules")
    parsed = [_rule(i, raw) for i, raw in enumerate(rules)]
    seen: set[int] = set()
    for rule in parsed:
        if rule.priority in seen:
            raise _bad(f"two rules have rulePriority {rule.priority}; priorities must differ")
        seen.add(rule.priority)
    return sorted(parsed, key=lambda r: r.priority)


def _rule(index: int, raw: Any) -> Rule:
    where = f"rules[{index}]"
    if not isinstance(raw, dict):
        raise _bad(f"{where} must be an object")
    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise _bad(f"{where}: unknown field(s) {', '.join(unknown)}")
    priority = raw.get("rulePriority")
    if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 999:
        raise _bad(f"{where}: rulePriority must be a whole number from 1 to 999")
    where = f"rule {priority}"
    description = raw.get("description", "")
    if not isinstance(description, str) or len(description) > 300:
        raise _bad(f"{where}: description must be text of at most 300 characters")
    action = raw.get("action", {"type": "expire"})
    if action != {"type": "expire"}:
        raise _bad(f'{where}: the only action is {{"type": "expire"}}')
    selection = raw.get("selection")
    if not isinstance(selection, dict):
        raise _bad(f"{where}: `selection` must be an object")
    unknown = sorted(set(selection) - _SELECTION_KEYS)
    if unknown:
        raise _bad(f"{where}: unknown selection field(s) {', '.join(unknown)}")
    status = _enum(TagStatus, selection.get("tagStatus"), f"{where}: tagStatus")
    patterns = _patterns(where, selection)
    if status is TagStatus.TAGGED and not patterns:
        raise _bad(f"{where}: tagStatus tagged needs tagPatternList (or tagPrefixList)")
    if status is not TagStatus.TAGGED and patterns:
        raise _bad(f"{where}: tag patterns apply to tagStatus tagged only")
    count_type = _enum(CountType, selection.get("countType"), f"{where}: countType")
    unit = selection.get("countUnit")
    if count_type is CountType.MORE_THAN and unit is not None:
        raise _bad(f"{where}: imageCountMoreThan takes no countUnit")
    if count_type is not CountType.MORE_THAN and unit not in (None, "days"):
        raise _bad(f"{where}: countUnit must be days")
    number = selection.get("countNumber")
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= MAX_COUNT:
        raise _bad(f"{where}: countNumber must be a whole number from 1 to {MAX_COUNT}")
    return Rule(priority, status, count_type, number, patterns, description)


def _enum(kind: Any, value: Any, what: str) -> Any:
    for member in kind:
        if member.value == value:
            return member
    choices = ", ".join(m.value for m in kind)
    raise _bad(f"{what} must be one of {choices}, not {str(value)[:100]!r}")


def _patterns(where: str, selection: dict[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    for key, suffix in (("tagPatternList", ""), ("tagPrefixList", "*")):
        values = selection.get(key, [])
        if not isinstance(values, list) or len(values) > MAX_PATTERNS:
            raise _bad(f"{where}: {key} must be a list of at most {MAX_PATTERNS}")
        for value in values:
            if (
                not isinstance(value, str)
                or not 1 <= len(value) <= 128
                or not set(value) <= _PATTERN_CHARS
            ):
                raise _bad(f"{where}: {key} entry {str(value)[:100]!r} is not a tag glob")
            found.append(value + suffix)
    return tuple(dict.fromkeys(found))


def render_policy(rules: list[Rule]) -> dict[str, Any]:
    """The document for `rules` (what parse_policy reads back to the same rules)."""
    out: list[dict[str, Any]] = []
    for rule in rules:
        selection: dict[str, Any] = {"tagStatus": rule.tag_status.value}
        if rule.patterns:
            selection["tagPatternList"] = list(rule.patterns)
        selection["countType"] = rule.count_type.value
        if rule.count_type is not CountType.MORE_THAN:
            selection["countUnit"] = "days"
        selection["countNumber"] = rule.value
        entry: dict[str, Any] = {"rulePriority": rule.priority}
        if rule.description:
            entry["description"] = rule.description
        entry["selection"] = selection
        entry["action"] = {"type": "expire"}
        out.append(entry)
    return {"rules": out}
