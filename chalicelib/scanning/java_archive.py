"""Java archives (jar, war, ear): the Maven coordinates of each library inside, from the
`META-INF/maven/<group>/<artifact>/pom.properties` Maven writes into every artifact (and shaded
jars keep), else from `META-INF/MANIFEST.MF`; archives nested in archives (Spring Boot's
`BOOT-INF/lib/`, a war's `WEB-INF/lib/`, an ear's modules) are opened in turn, one at a time
and spooled to disk past a few megabytes, so memory stays bounded whatever the archive holds."""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from typing import IO, Any

from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.package import Package
from chalicelib.scanning.purl import purl

ARCHIVE_SUFFIXES = (".jar", ".war", ".ear", ".jpi", ".hpi")
_POM_PROPERTIES = re.compile(r"META-INF/maven/[^/]+/[^/]+/pom\.properties")
_MAX_DEPTH = 4
_MAX_METADATA = 1024 * 1024
_SPOOL_IN_MEMORY = 8 * 1024 * 1024
# A nested archive claiming more than this is not read (a zip bomb would fill /tmp).
_MAX_NESTED = 256 * 1024 * 1024
_FILE_NAME = re.compile(r"(?P<name>.+?)-(?P<version>\d[^-/]*(?:-[A-Za-z0-9.]+)?)\.[a-z]ar")

_PROPERTY = re.compile(r"([^=:\s]+)\s*[=:\s]\s*(.*)")

Artifact = dict[str, str]


def is_java_archive(path: str) -> bool:
    return path.lower().endswith(ARCHIVE_SUFFIXES)


def _properties(text: str) -> dict[str, str]:
    """java.util.Properties, as far as pom.properties uses it: `key=value`, `#` comments."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        match = _PROPERTY.match(line)
        if match:
            values[match.group(1)] = match.group(2).strip()
    return values


def _manifest(text: str) -> dict[str, str]:
    """MANIFEST.MF main section: `Name: value`, continuation lines start with one space."""
    fields: dict[str, str] = {}
    last = ""
    for line in text.splitlines():
        if not line:
            break  # the main section ends at the first blank line
        if line.startswith(" ") and last:
            fields[last] += line[1:]
            continue
        key, colon, value = line.partition(":")
        if colon:
            last = key.strip()
            fields[last] = value.strip()
    return fields


def _from_manifest(text: str, file_name: str) -> Artifact | None:
    """A guess only when the manifest names a group: Maven advisories need group and artifact."""
    fields = _manifest(text)
    version = fields.get("Implementation-Version") or fields.get("Bundle-Version") or ""
    group = fields.get("Implementation-Vendor-Id", "")
    named = _FILE_NAME.fullmatch(file_name)
    artifact = fields.get("Implementation-Title", "")
    if named and (" " in artifact or not artifact):
        artifact = named.group("name")
    if group and artifact and version and " " not in artifact:
        return {"groupId": group, "artifactId": artifact, "version": version}
    return None


def _read_text(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    if info.file_size > _MAX_METADATA:
        raise ScanInputError(f"{info.filename}: too large for archive metadata")
    return archive.read(info).decode("utf-8", "replace")


def _walk(file: IO[bytes], name: str, where: str, depth: int, found: list[Artifact]) -> None:
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise ScanInputError(f"{where or 'archive'}: not a zip archive: {error}") from error
    with archive:
        entries = archive.infolist()
        own: list[Artifact] = []
        manifest = None
        for info in entries:
            if _POM_PROPERTIES.fullmatch(info.filename):
                values = _properties(_read_text(archive, info))
                if values.get("groupId") and values.get("artifactId") and values.get("version"):
                    own.append({k: values[k] for k in ("groupId", "artifactId", "version")})
            elif info.filename == "META-INF/MANIFEST.MF":
                manifest = info
        if not own and manifest is not None:
            guessed = _from_manifest(_read_text(archive, manifest), name)
            own = [guessed] if guessed else []
        found.extend({**artifact, "path": where} for artifact in own)
        if depth >= _MAX_DEPTH:
            return
        for info in entries:
            if info.is_dir() or not is_java_archive(info.filename):
                continue
            if info.file_size > _MAX_NESTED:
                raise ScanInputError(f"{info.filename}: nested archive too large to read")
            inner = f"{where}!/{info.filename}" if where else info.filename
            with (
                archive.open(info) as member,
                tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool,
            ):
                shutil.copyfileobj(member, spool, 1024 * 1024)
                spool.seek(0)
                _walk(spool, info.filename.rpartition("/")[2], inner, depth + 1, found)


def read_java_archive(file: IO[bytes], name: str) -> list[Artifact]:
    """Every library's coordinates, each with `path`: "" for the archive itself, else the
    nested archive's path inside it (`BOOT-INF/lib/a.jar!/lib/b.jar`). `name` is the archive's
    file name, which the manifest fallback reads the artifact id from."""
    found: list[Artifact] = []
    try:
        _walk(file, name, "", 0, found)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as error:
        raise ScanInputError(f"archive: {error}") from error
    return found


def maven_packages(evidence: dict[str, Any], path: str) -> list[Package]:
    packages = []
    for artifact in evidence.get("artifacts") or []:
        group, name, version = artifact["groupId"], artifact["artifactId"], artifact["version"]
        inner = artifact.get("path", "")
        packages.append(
            Package(
                kind="maven",
                name=f"{group}:{name}",
                version=version,
                purl=purl("maven", name, version, group),
                path=f"{path}!/{inner}" if inner else path,
            )
        )
    return packages
