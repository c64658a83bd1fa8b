"""The URLs the API answers with in `Location`: where a blob, a manifest or an upload session
lives. Relative to the host, so they are right behind any front door or custom domain."""

from __future__ import annotations


def blob_location(repo: str, digest: object) -> str:
    return f"/v2/{repo}/blobs/{digest}"


def manifest_location(repo: str, digest: object) -> str:
    return f"/v2/{repo}/manifests/{digest}"


def upload_location(repo: str, upload_id: str) -> str:
    return f"/v2/{repo}/blobs/uploads/{upload_id}"


def direct_upload_location(repo: str, upload_id: str) -> str:
    return f"/v2/{repo}/_berth/s3-uploads/{upload_id}"
