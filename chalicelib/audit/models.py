"""The audit item, one per key of an event (see `chalicelib.audit` for the layout). It lives
with the other items of the one table, in chalicelib/storage/audit_items.py."""

from __future__ import annotations

from chalicelib.storage.audit_items import AuditItem as AuditItem
