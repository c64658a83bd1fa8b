"""`berth tags REPO`, `berth tag rm REPO:TAG` and `berth image rm REPO@DIGEST|REPO:TAG`.

`tag rm` removes the tag only: its image stays, as do its other tags, and the tag's history
keeps the move, so `berth rollback REPO:TAG` puts it back. `image rm` deletes the image and
every tag that points at it (as a DELETE by digest does, what `skopeo delete` sends), saying
which tags went with it."""

from __future__ import annotations

import argparse
from typing import Any

from berth.client.berth_api import RegistryError
from berth.commands import common, moments
from berth.commands.common import add_registry_option, human_size, print_json, print_table


def register(commands: Any) -> None:
    tags = commands.add_parser(
        "tags",
        help="a repository's tags with size, platforms, push and pull dates",
        description="Every tag of REPO: the digest it names, what a pull of it downloads at "
        "most, its platforms, when it was pushed and last pulled (pulls are recorded at most "
        "once a day).",
    )
    tags.add_argument("repo", type=common.repository, metavar="REPO")
    add_registry_option(tags)
    tags.set_defaults(func=_tags)

    tag = commands.add_parser("tag", help="remove a tag (its image stays)", description=__doc__)
    tag_actions = tag.add_subparsers(dest="tag_command", required=True, metavar="ACTION")
    rm = tag_actions.add_parser(
        "rm",
        help="remove REPO:TAG only; rollback can restore it",
        description="Remove the tag only: the image and its other tags stay, the tag's "
        "history records the removal, and `berth rollback REPO:TAG` brings it back.",
    )
    rm.add_argument("reference", type=common.repo_and_tag, metavar="REPO:TAG")
    add_registry_option(rm)
    rm.set_defaults(func=_tag_rm)

    image = commands.add_parser("image", help="delete an image and its tags", description=__doc__)
    image_actions = image.add_subparsers(dest="image_command", required=True, metavar="ACTION")
    irm = image_actions.add_parser(
        "rm",
        help="delete an image and every tag that points at it",
        description="Delete the image REPO@DIGEST (or the one REPO:TAG names) and every tag "
        "pointing at it. To remove one tag and keep the image, use `berth tag rm`.",
    )
    irm.add_argument("reference", type=common.image, metavar="REPO@DIGEST|REPO:TAG")
    add_registry_option(irm)
    irm.set_defaults(func=_image_rm)


def _tags(args: argparse.Namespace) -> int:
    try:
        document = common.client_for(args).tag_details(args.repo)
    except RegistryError as error:
        return common.failed("tags", error)
    if args.json:
        print_json(document)
        return 0
    rows = [
        [
            t["tag"],
            t["digest"][: len("sha256:") + 12],
            human_size(int(t["size"])),
            ",".join(t["platforms"]) or "-",
            # When this tag was pushed (its last move), as the web pages' Pushed: the
            # manifest's `pushedAt` moves whenever anyone pushes the same image under any tag.
            moments.shown(t.get("taggedAt") or t.get("pushedAt")),
            moments.shown(t.get("lastPulled")),
        ]
        for t in document["tags"]
    ]
    print_table(["TAG", "DIGEST", "SIZE", "PLATFORMS", "PUSHED", "PULLED"], rows)
    return 0


def _tag_rm(args: argparse.Namespace) -> int:
    repo, tag = args.reference
    client = common.client_for(args)
    try:
        digest = client.manifest_digest(repo, tag)
        client.delete_manifest(repo, tag)
    except RegistryError as error:
        return common.failed("tag rm", error)
    if args.json:
        print_json({"repository": str(repo), "tag": tag, "digest": digest})
    else:
        print(f"{repo}:{tag} removed (was {digest}; `berth rollback {repo}:{tag}` restores it)")
    return 0


def _image_rm(args: argparse.Namespace) -> int:
    repo, tag, digest = args.reference
    client = common.client_for(args)
    try:
        if digest is None:
            digest = client.manifest_digest(repo, str(tag))
        pointing = [t["tag"] for t in client.tag_details(repo)["tags"] if t["digest"] == digest]
        client.delete_manifest(repo, digest)
    except RegistryError as error:
        return common.failed("image rm", error)
    if args.json:
        print_json({"repository": str(repo), "digest": digest, "tags": pointing})
    else:
        print(f"{repo}@{digest} deleted (tags removed: {', '.join(pointing) or 'none'})")
    return 0
