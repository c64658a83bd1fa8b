"""`berth signing policy|trust|untrust` and `berth verify REF`: which keys a repository's
images must be signed with, and whether an image is (docs/signing.md).

`trust` adds or replaces the rule of one repository pattern, keeping the others, so a policy
is built one pattern at a time; `policy` shows the whole document (`--json` for the API's)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from berth.client.berth_api import RegistryError
from berth.commands import common
from berth.commands.common import add_registry_option, print_json, print_table

MODES = ("off", "audit", "enforce")


def register(commands: Any) -> None:
    signing = commands.add_parser(
        "signing", help="the signature policy: trusted keys and modes", description=__doc__
    )
    actions = signing.add_subparsers(dest="signing_command", required=True, metavar="ACTION")
    show = actions.add_parser("policy", help="show the trust policy")
    show.set_defaults(func=_show)
    trust = actions.add_parser(
        "trust", help="set the rule of a repository pattern (others are kept)"
    )
    trust.add_argument("repositories", metavar="PATTERN", help="a repository, team/* or *")
    trust.add_argument("--mode", choices=MODES, required=True)
    trust.add_argument(
        "--key",
        dest="keys",
        action="append",
        default=[],
        metavar="PEM_FILE",
        help="a trusted public key: a PEM file (cosign.pub) or a KMS key ARN/alias (repeatable)",
    )
    trust.add_argument(
        "--root",
        dest="roots",
        action="append",
        default=[],
        metavar="PEM_FILE",
        help="a trusted root certificate (Notation trust store, cosign CA; repeatable)",
    )
    trust.add_argument(
        "--subject",
        dest="subjects",
        action="append",
        default=[],
        metavar="RFC4514",
        help="accept only certificates with this subject, e.g. 'CN=ci,O=example' (repeatable)",
    )
    trust.add_argument(
        "--identity",
        dest="identities",
        action="append",
        default=[],
        nargs=2,
        metavar=("ISSUER", "SUBJECT"),
        help="a keyless signer under --root: OIDC issuer URL and email or URI (repeatable)",
    )
    trust.add_argument(
        "--sign-with",
        metavar="KMS-KEY",
        help="the registry signs every image pushed here with this KMS key (and trusts it)",
    )
    trust.add_argument(
        "--sign-certificates",
        metavar="PEM_FILE",
        help="with --sign-with: the KMS key's certificate and chain, to add Notation signatures",
    )
    trust.set_defaults(func=_trust)
    untrust = actions.add_parser("untrust", help="remove the rule of a repository pattern")
    untrust.add_argument("repositories", metavar="PATTERN")
    untrust.set_defaults(func=_untrust)

    verify = commands.add_parser(
        "verify",
        help="who signed an image, and whether the policy is satisfied",
        description="Exit 0 when a key or certificate the policy trusts signed REF, 1 when "
        "not (each signature's verdict says why).",
    )
    verify.add_argument(
        "reference", type=common.image_or_latest, metavar="[HOST/]REPO:TAG|[HOST/]REPO@DIGEST"
    )
    verify.set_defaults(func=_verify)
    for parser in (show, trust, untrust, verify):
        add_registry_option(parser)


def _show(args: argparse.Namespace) -> int:
    try:
        policy = common.client_for(args).signing_policy()
    except RegistryError as error:
        return common.failed("signing policy", error)
    if args.json:
        print_json(policy)
        return 0
    rules = policy.get("rules", [])
    print(f"signing policy version {policy.get('version', 0)}: {len(rules)} rule(s)")
    rows = [
        [
            r["repositories"],
            r["mode"],
            ", ".join(k[:19] for k in r.get("keyIds", [])) or "-",
            str(len(r.get("roots", []))),
            ", ".join(r.get("subjects", [])) or "-",
        ]
        for r in rules
    ]
    if rows:
        print_table(["REPOSITORIES", "MODE", "KEYS", "ROOTS", "SUBJECTS"], rows)
    return 0


def _pems(paths: list[str]) -> list[str]:
    """Each file's PEM; a KMS key ARN or alias is sent as it is (the registry fetches it)."""
    return [p if p.startswith(("arn:aws:kms:", "alias/")) else Path(p).read_text() for p in paths]


def _replace_rule(args: argparse.Namespace, rule: dict[str, Any] | None) -> int:
    client = common.client_for(args)
    try:
        current = client.signing_policy()
        rules = [
            {k: v for k, v in r.items() if k != "keyIds"}
            for r in current.get("rules", [])
            if r["repositories"] != args.repositories
        ]
        if rule is not None:  # first: the new rule wins over broader patterns set before
            rules.insert(0, rule)
        answer = client.signing_policy({"rules": rules})
    except RegistryError as error:
        return common.failed(f"signing {args.signing_command}", error)
    if args.json:
        print_json(answer)
        return 0
    print(
        f"signing policy version {answer['version']}: {len(answer['rules'])} rule(s); "
        f"{answer['reevaluated']} signature(s) verified again"
        + ("" if answer.get("complete", True) else " (not every repository: run it again)")
    )
    return 0


def _trust(args: argparse.Namespace) -> int:
    try:
        rule: dict[str, Any] = {"repositories": args.repositories, "mode": args.mode}
        for field, paths in (("keys", args.keys), ("roots", args.roots)):
            if paths:
                rule[field] = _pems(paths)
    except OSError as error:
        print(f"berth signing trust: {error}", file=sys.stderr)
        return common.EXIT_ERROR
    if args.subjects:
        rule["subjects"] = args.subjects
    if args.identities:
        rule["identities"] = [{"issuer": i, "subject": s} for i, s in args.identities]
    if args.sign_with:
        rule["signWith"] = args.sign_with
    if args.sign_certificates:
        try:
            rule["signCertificates"] = Path(args.sign_certificates).read_text()
        except OSError as error:
            print(f"berth signing trust: {error}", file=sys.stderr)
            return common.EXIT_ERROR
    return _replace_rule(args, rule)


def _untrust(args: argparse.Namespace) -> int:
    return _replace_rule(args, None)


def _verify(args: argparse.Namespace) -> int:
    repo, ref = args.reference
    try:
        report = common.client_for(args).signatures(repo, ref)
    except RegistryError as error:
        return common.failed("verify", error)
    satisfied = bool(report.get("signedBy"))
    if args.json:
        print_json(report)
        return 0 if satisfied else common.EXIT_ERROR
    policy = report["policy"]
    print(f"{repo}@{report['digest']}")
    print(
        f"policy: {policy['mode']}"
        + (f" ({policy['repositories']})" if policy["repositories"] else "")
    )
    if satisfied:
        print("signed by: " + ", ".join(report["signedBy"]))
    elif policy["mode"] == "off" and not policy["repositories"]:
        # Found trying it as a user: with no policy at all this said "not signed by any key
        # the policy trusts" of an image that had a signature, which reads as a refusal.
        print(
            f"no signing policy covers {repo}: its signatures are not checked (trust a key "
            f"with: berth signing trust {repo} --mode audit --key cosign.pub)"
        )
    else:
        print("not signed by any key or certificate the policy trusts")
    rows = [
        [
            s.get("digest", "")[:19],
            s.get("format") or "-",
            {True: "verified", False: "refused", None: "not checked"}[s.get("verified")],
            s.get("signer") or s.get("reason") or "-",
        ]
        for s in report.get("signatures", [])
    ]
    if rows:
        print_table(["SIGNATURE", "FORMAT", "VERDICT", "SIGNER OR REASON"], rows)
    return 0 if satisfied else common.EXIT_ERROR
