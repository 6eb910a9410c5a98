"""The `Dataset` kind over the Files API (and the Uploads API for files over 512 MB).

`live.read_live_state` lists each project's files once (`list_files`) and keeps the ones whose
filename marks them as this stack's datasets (`dataset_objects`). `DatasetProvider` uploads a
dataset under its marked filename (content hash + name), so an upload is found again by
listing: a first attempt uploads at once (the plan, made under the stack's lock, just saw no
such file), a retried attempt lists first, and a re-run plan sees the file: the same content
is never uploaded twice. Files are never
changed in place: a replace uploads the new file, then deletes the old one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from reconciler.providers.base import KindProvider, Operation, ProgressFn
from reconciler.providers.client import Clients
from reconciler.providers.errors import api_errors
from reconciler.state import HOME_PROJECT, LiveObject, content_digest, parse_dataset_filename

MEGABYTE = 1024 * 1024
FILES_API_LIMIT = 512 * MEGABYTE
PART_SIZE = 64 * MEGABYTE
FILES_PAGE_SIZE = 10_000  # the largest page `GET /files` serves
if TYPE_CHECKING:
    from reconciler.providers.ownership import OwnershipStore

_MIME_TYPES = {".jsonl": "text/jsonl", ".json": "application/json", ".csv": "text/csv"}


def list_files(clients: Clients, project: str) -> list[Any]:
    """Every file of `project` (HOME_PROJECT: the API key's own), paginated by the SDK."""
    where = "the API key's project" if project == HOME_PROJECT else f"project {project}"
    with api_errors(f"list files in {where}"):
        return list(clients.reader(project).files.list(limit=FILES_PAGE_SIZE))


def dataset_objects(stack: str, project: str, files: Iterable[Any]) -> list[LiveObject]:
    """The stack's dataset files among `files` of `project`."""
    found = []
    for file in files:
        parsed = parse_dataset_filename(stack, file.filename)
        if parsed is None or file.status == "error":
            continue
        name, sha_prefix = parsed
        found.append(
            LiveObject(
                kind="Dataset",
                key=file.filename,
                live_id=file.id,
                attributes={
                    "file": content_digest(sha_prefix),
                    "purpose": file.purpose,
                    "project": project,
                },
                owned=True,
                address=f"Dataset/{name}",
                status=file.status or "processed",
                created_at=file.created_at,
                info={"bytes": file.bytes},
            )
        )
    return found


class DatasetProvider(KindProvider):
    kind = "Dataset"

    def __init__(
        self,
        clients: Clients,
        root: Path,
        registry: OwnershipStore | None = None,
        *,
        files_api_limit: int = FILES_API_LIMIT,
        part_size: int = PART_SIZE,
    ) -> None:
        self._clients = clients
        self._root = root
        self._registry = registry
        self._files_api_limit = files_api_limit
        self._part_size = part_size
        self._sent: set[tuple[str, str]] = set()  # uploads that may have reached the API

    def create(self, op: Operation) -> str:
        project, filename = str(op.payload["project"]), str(op.payload["filename"])
        if (project, filename) in self._sent:  # a retry: did the first attempt land?
            existing = self._find(project, filename)
            if existing is not None:
                return existing
        self._sent.add((project, filename))
        if self._registry is not None and project != HOME_PROJECT:
            self._registry.record_dataset_home(project)
        path = self._root / str(op.payload["path"])
        purpose = str(op.payload["purpose"])
        size = path.stat().st_size
        if size > self._files_api_limit:
            return self._upload_in_parts(path, project, filename, purpose, op.progress)
        op.progress(0, size)
        with path.open("rb") as handle, api_errors(f"upload {filename}"):
            file = self._clients.writer(project).files.create(
                file=(filename, handle),
                purpose=purpose,  # type: ignore[arg-type]
            )
        op.progress(size, size)
        return str(file.id)

    def update(self, op: Operation) -> str:
        raise AssertionError("datasets are never updated in place; the plan replaces them")

    def delete(self, op: Operation) -> None:
        if op.change.live_id is None:
            return
        project = str(op.change.live_attributes.get("project", HOME_PROJECT))
        with api_errors(f"delete file {op.change.live_id}", missing_ok=True):
            self._clients.writer(project).files.delete(op.change.live_id)

    def _find(self, project: str, filename: str) -> str | None:
        for file in list_files(self._clients, project):
            if file.filename == filename and file.status != "error":
                return str(file.id)
        return None

    def _upload_in_parts(
        self, path: Path, project: str, filename: str, purpose: str, progress: ProgressFn
    ) -> str:
        size = path.stat().st_size
        uploads = self._clients.writer(project).uploads
        mime_type = _MIME_TYPES.get(path.suffix.lower(), "application/octet-stream")
        with api_errors(f"start uploading {filename}"):
            upload = uploads.create(
                bytes=size,
                filename=filename,
                mime_type=mime_type,
                purpose=purpose,  # type: ignore[arg-type]
            )
        part_ids = []
        part_size = self._part_size
        with path.open("rb") as handle:
            for index in range(max(1, math.ceil(size / part_size))):
                part_ids.append(self._send_part(uploads, upload.id, handle, part_size, filename))
                progress(min(size, (index + 1) * part_size), size)
        with api_errors(f"complete the upload of {filename}"):
            completed = uploads.complete(upload.id, part_ids=part_ids)
        if completed.file is None:
            raise ValueError(f"the upload of {filename} completed without a file")
        return str(completed.file.id)

    def _send_part(
        self, uploads: Any, upload_id: str, handle: BinaryIO, part_size: int, filename: str
    ) -> str:
        data = handle.read(part_size)
        with api_errors(f"upload a part of {filename}"):
            return str(uploads.parts.create(upload_id, data=data).id)
