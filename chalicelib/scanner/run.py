"""Scan one image (or every platform of an index) now: inventory from its layers, findings from
the advisory index, stored per digest with its report."""

from __future__ import annotations

import time
from contextlib import closing
from dataclasses import dataclass
from typing import IO, Any, cast

from botocore.exceptions import ClientError

from chalicelib.cache import pull_through
from chalicelib.log import logger
from chalicelib.oci import media_types as mt
from chalicelib.oci.digest import checked_digest
from chalicelib.scanner import scan_events
from chalicelib.scanner.attach import attach_all
from chalicelib.scanner.layer_source import CountingStream, open_layer, open_range
from chalicelib.scanning import key_hashes
from chalicelib.scanning.coverage import not_covered
from chalicelib.scanning.cyclonedx import sbom, vulnerability_report
from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.estargz import (
    FOOTER_SIZE,
    Stargz,
    chunked_entries,
    gzip_reader,
    stargz_layer,
    toc_offset,
)
from chalicelib.scanning.estargz import parse_toc as parse_stargz_toc
from chalicelib.scanning.finding import Finding
from chalicelib.scanning.inventory import Inventory, inventory_of_changes
from chalicelib.scanning.layer_changes import LayerChanges
from chalicelib.scanning.layer_reader import read_layer
from chalicelib.scanning.manifest_layers import Layer, filesystem_layer_descriptors, platforms
from chalicelib.scanning.matching import index_keys, match_inventory
from chalicelib.scanning.report import report_document, severity_counts
from chalicelib.scanning.scan_verdict import decode, failed, verdict_of
from chalicelib.scanning.severity import rank
from chalicelib.scanning.stored_inventory import inventory_document, inventory_from
from chalicelib.scanning.zstd_chunked import (
    TocPosition,
    parse_toc,
    read_chunked_layer,
    toc_position,
)
from chalicelib.storage import manifests, scan_results, scan_verdicts, scanned_layers, vulndb
from chalicelib.storage.clock import now


class ImageNotFound(LookupError):
    pass


@dataclass
class _Read:
    """What the scan read from S3: the layers it streamed, and the stored changes of the
    layers an earlier scan (of any image) already read."""

    streams: list[CountingStream]
    whole_layers: int = 0
    ranged_layers: int = 0
    reused_layers: int = 0
    reused_bytes: int = 0

    @property
    def layer_bytes(self) -> int:
        return sum(s.bytes_read for s in self.streams)

    @property
    def bytes(self) -> int:
        return self.layer_bytes + self.reused_bytes


def _by_range(digest: str, toc: TocPosition, read: _Read) -> LayerChanges | None:
    """A zstd:chunked layer's changes from its TOC and the files worth reading, each by a
    ranged GET; None when the TOC or a file does not check out (then it is read whole)."""
    streams: list[CountingStream] = []

    def fetch(start: int, end: int) -> IO[bytes]:
        stream = open_range(digest, start, end)
        streams.append(stream)
        return cast(IO[bytes], stream)

    try:
        with closing(fetch(toc.offset, toc.offset + toc.length)) as source:
            entries = parse_toc(source.read(), toc.checksum)
        changes = read_chunked_layer(entries, fetch)
    except ScanInputError as error:
        logger.warning(
            "layer TOC not usable, reading it whole",
            extra={"fields": {"digest": digest, "error": str(error)[:300]}},
        )
        changes = None
    read.streams.extend(streams)
    read.ranged_layers += changes is not None
    return changes


def _by_stargz(digest: str, stargz: Stargz, read: _Read) -> LayerChanges | None:
    """An eStargz layer's changes from its footer, TOC and the files worth reading, each by
    a ranged GET; None when any of it does not check out (then it is read whole)."""
    streams: list[CountingStream] = []

    def fetch(start: int, end: int) -> IO[bytes]:
        stream = open_range(digest, start, end)
        streams.append(stream)
        return cast(IO[bytes], stream)

    try:
        end = stargz.size - FOOTER_SIZE
        with closing(fetch(end, stargz.size)) as source:
            toc_at = toc_offset(source.read(), stargz.size)
        with closing(fetch(toc_at, end)) as source:
            entries = parse_stargz_toc(source.read(), stargz.toc_digest)
        changes = read_chunked_layer(chunked_entries(entries, toc_at), fetch, gzip_reader)
    except (ScanInputError, ClientError) as error:
        # ClientError: a range the blob does not have (a descriptor's size that is not the
        # blob's); a real S3 fault fails the whole read that follows too, and is retried.
        logger.warning(
            "eStargz TOC not usable, reading the layer whole",
            extra={"fields": {"digest": digest, "error": str(error)[:300]}},
        )
        changes = None
    read.streams.extend(streams)
    read.ranged_layers += changes is not None
    return changes


def _layer_changes(repo: str, layer: Layer, read: _Read) -> LayerChanges:
    """A layer's changes: stored under its digest by whichever scan read it first, else read
    now and stored for the next image that shares it. A layer with a TOC is read by range;
    any other, in one GET, streamed."""
    digest = checked_digest(layer.digest)
    stored = scanned_layers.get(digest)
    if stored is not None:
        read.reused_layers += 1
        read.reused_bytes += stored[1]
        return stored[0]
    pull_through.layer(repo, layer.digest)  # a cached image's layers may not be pulled yet
    toc = toc_position(layer.annotations)
    stargz = stargz_layer(layer.annotations, layer.size)
    changes = None
    if toc is not None:
        changes = _by_range(layer.digest, toc, read)
    elif stargz is not None:
        changes = _by_stargz(layer.digest, stargz, read)
    if changes is None:
        stream = open_layer(layer.digest)
        read.streams.append(stream)
        read.whole_layers += 1
        try:
            changes = read_layer(cast(IO[bytes], stream))
        finally:
            stream.close()
    scanned_layers.put(digest, changes)
    return changes


def _image_inventory(repo: str, body: bytes, read: _Read) -> Inventory:
    return inventory_of_changes(
        [_layer_changes(repo, layer, read) for layer in filesystem_layer_descriptors(body)]
    )


def _manifest(repo: str, digest: str) -> manifests.StoredManifest:
    """`digest` names a stored manifest (its push's event, an index's child, the scan API's
    parsed reference): checked when it came in."""
    stored = manifests.by_digest(repo, checked_digest(digest))
    if stored is None:
        raise ImageNotFound(f"{repo}@{digest} is not a manifest of the repository")
    return stored


def _stored_inventories(digest: str, count: int) -> tuple[list[Inventory], dict[str, Any]] | None:
    """The inventories the image's last complete scan stored, if of the current format, with
    that scan's report."""
    previous = scan_results.get(checked_digest(digest))
    if previous is None or previous.status != "COMPLETE":
        return None
    document = scan_results.report(previous) or {}
    documents = document.get("inventories")
    if not isinstance(documents, list) or len(documents) != count:
        return None
    inventories = [inventory_from(one) for one in documents]
    found = [i for i in inventories if i is not None]
    return (found, document) if len(found) == count else None


def _attach(
    repo: str,
    stored: manifests.StoredManifest,
    digest: str,
    merged: Inventory,
    ordered: list[Finding],
    when: str,
    reused: tuple[list[Inventory], dict[str, Any]] | None,
) -> list[str]:
    """The SBOM and the vulnerability report as referrers. A rescan from the stored inventory
    keeps the SBOM already attached (the packages did not change) and replaces the report."""
    kept = (reused[1].get("referrers") or []) if reused is not None else []
    if len(kept) == 2 and all(isinstance(d, str) for d in kept):
        report = vulnerability_report(repo, digest, ordered, when)
        return [kept[0], *attach_all(repo, stored, {"vulnerabilities": report}, when)]
    documents = {
        "sbom": sbom(repo, digest, merged, when),
        "vulnerabilities": vulnerability_report(repo, digest, ordered, when),
    }
    return attach_all(repo, stored, documents, when)


def scan_image(repo: str, digest: str, reuse_inventory: bool = False) -> dict[str, Any]:
    """The stored report. An index's report holds the union of its platforms' findings.

    `reuse_inventory` (rescans): match the inventory the last scan stored, without reading
    the layers again; an image with none stored is read as on push."""
    started = time.perf_counter()
    stored = _manifest(repo, digest)
    read = _Read([])
    children = platforms(stored.body) if stored.media_type in mt.INDEXES else []
    names = [child.name for child in children]
    reused = _stored_inventories(digest, max(1, len(children))) if reuse_inventory else None
    if reused is not None:
        inventories = reused[0]
    elif children:
        inventories = [
            _image_inventory(repo, _manifest(repo, child.digest).body, read) for child in children
        ]
    else:
        inventories = [_image_inventory(repo, stored.body, read)]
    database = vulndb.state()
    version = int(database.get("version") or 0)
    lookup = vulndb.lookup_at(version)
    findings: dict[tuple[str, str, str, str], Any] = {}
    problems: list[str] = []
    packages = []
    per_platform: list[list[Finding]] = []
    for inventory in inventories:
        result = match_inventory(inventory, lookup)
        per_platform.append(list(result.findings))
        problems.extend(inventory.problems + result.problems)
        packages.extend(inventory.packages)
        for finding in result.findings:
            findings.setdefault(
                (finding.id, finding.package, finding.installed_version, finding.path), finding
            )
    merged = Inventory(
        os=next((i.os for i in inventories if i.os), None), packages=sorted(set(packages))
    )
    ordered = sorted(findings.values(), key=lambda f: (-rank(f.severity), f.id, f.package))
    keys = key_hashes.pack(k for inventory in inventories for k in index_keys(inventory))
    if reused is not None and reused[1].get("findings") == [f.to_json() for f in ordered]:
        # A rescan that changes nothing: the stored report, its referrers and the verdict
        # stay; only the database the result holds for moves (one write).
        scan_results.mark_current(checked_digest(digest), version, database.get("updatedAt"), keys)
        return reused[1]
    moment = now()
    report = report_document(digest, merged, ordered, problems, names, moment.isoformat(), database)
    report["bytesRead"] = read.bytes
    report["layerBytesRead"] = read.layer_bytes
    report["layersRead"] = read.whole_layers + read.ranged_layers
    report["layersReadByRange"] = read.ranged_layers
    report["layersReused"] = read.reused_layers
    report["inventoryReused"] = reused is not None
    report["inventories"] = [inventory_document(i) for i in inventories]
    report["notCovered"] = sorted({line for i in inventories for line in not_covered(i)})
    report["referrers"] = _attach(repo, stored, digest, merged, ordered, moment.isoformat(), reused)
    scan_results.save(
        checked_digest(digest),
        "COMPLETE",
        moment,
        severity_counts(ordered),
        report,
        database.get("updatedAt"),
        database_version=version,
        index_keys=keys,
    )
    stamp = moment.isoformat()
    verdict = verdict_of(ordered, stamp)
    verdicts = {digest: verdict.encode()}
    if children:  # each platform, as a client pulls it by digest after reading the index
        for child, found in zip(children, per_platform, strict=True):
            verdicts.setdefault(child.digest, verdict_of(found, stamp).encode())
    scan_verdicts.record(repo, verdicts)
    scan_events.record(repo, digest, decode(stored.scan_verdict), verdict)
    logger.info(
        "image scanned",
        extra={
            "fields": {
                "repository": repo,
                "digest": digest,
                "packages": len(merged.packages),
                "findings": len(ordered),
                "bytesRead": read.bytes,
                "layersRead": read.whole_layers + read.ranged_layers,
                "layersReadByRange": read.ranged_layers,
                "layersReused": read.reused_layers,
                "seconds": round(time.perf_counter() - started, 3),
            }
        },
    )
    return report


def scan_or_record_failure(
    repo: str, digest: str, reuse_inventory: bool = False
) -> dict[str, Any] | None:
    """For the consumer: a layer that is not a layer is a FAILED scan, not a retry forever."""
    try:
        return scan_image(repo, digest, reuse_inventory)
    except ScanInputError as error:
        moment = now()
        scanned = checked_digest(digest)
        scan_results.save(scanned, "FAILED", moment, {}, None, None, description=str(error)[:500])
        verdict = failed(moment.isoformat())
        before = manifests.by_digest(repo, scanned)
        scan_verdicts.record(repo, {digest: verdict.encode()})
        previous = decode(before.scan_verdict) if before is not None else None
        scan_events.record(repo, digest, previous, verdict)
        return None
