"""Interview scripts and task packs, stored as immutable versions (an invitation pins one)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select

from prompts.script import InterviewScript as ScriptContent
from prompts.taskpack import TaskPack as PackContent
from server.store.models import InterviewScript, PackVersion, ScriptVersion, TaskPack, utcnow
from server.store.repos.base import NotFound, TenantRepo

Head = TypeVar("Head", InterviewScript, TaskPack)
Version = TypeVar("Version", ScriptVersion, PackVersion)


def canonical(content: ScriptContent | PackContent) -> dict[str, Any]:
    """The JSON form we store; it validates back into the same model."""
    return content.model_dump(mode="json", by_alias=True)


def content_sha256(data: dict[str, Any]) -> str:
    """Checksum of the canonical JSON, to tell identical uploads apart from new versions."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class Stored(Generic[Head, Version]):
    """A script or pack with the version just stored or read; ``created`` is False for an identical re-upload."""

    head: Head
    version: Version
    created: bool


class _ContentRepo(TenantRepo, Generic[Head, Version]):
    head_model: type[Head]
    version_model: type[Version]
    kind: str

    async def save(
        self, content: ScriptContent | PackContent, created_by: str | None, asset_dir: str | None = None
    ) -> Stored[Head, Version]:
        """Store content under its id: a new head, a new version, or nothing when unchanged."""
        data = canonical(content)
        digest = content_sha256(data)
        head = await self.session.scalar(self._select(self.head_model).where(self.head_model.slug == content.id))
        if head is None:
            head = self._add(self.head_model(), slug=content.id, title=content.title, latest_version=0)
            await self.session.flush()
        else:
            latest = await self.latest(head.id)
            if latest.sha256 == digest:
                return Stored(head, latest, created=False)
        head.latest_version += 1
        head.title = content.title
        head.archived_at = None
        version = self._add(self.version_model(), version=head.latest_version, content=data, sha256=digest)
        setattr(version, self._fk_name, head.id)
        version.created_by = created_by
        if asset_dir is not None and isinstance(version, PackVersion):
            version.asset_dir = asset_dir
        await self.session.flush()
        return Stored(head, version, created=True)

    @property
    def _fk_name(self) -> str:
        return "script_id" if self.version_model is ScriptVersion else "pack_id"

    async def get(self, ident: str) -> Head:
        """The head row by id."""
        return await self._get(self.head_model, ident, self.kind)

    async def by_slug(self, slug: str) -> Head:
        """The head row by content id (slug)."""
        head = await self.session.scalar(self._select(self.head_model).where(self.head_model.slug == slug))
        if head is None:
            raise NotFound(self.kind, slug)
        return head

    async def all(self, include_archived: bool = False) -> list[Head]:
        """All heads of this tenant, newest first."""
        query = self._select(self.head_model).order_by(self.head_model.created_at.desc())
        if not include_archived:
            query = query.where(self.head_model.archived_at.is_(None))
        return list(await self.session.scalars(query))

    async def versions(self, head_id: str) -> list[Version]:
        """Every stored version of one head, oldest first."""
        await self.get(head_id)
        fk = getattr(self.version_model, self._fk_name)
        query = self._select(self.version_model).where(fk == head_id).order_by(self.version_model.version)
        return list(await self.session.scalars(query))

    async def latest(self, head_id: str) -> Version:
        """The newest version of one head."""
        fk = getattr(self.version_model, self._fk_name)
        newest = select(func.max(self.version_model.version)).where(fk == head_id).scalar_subquery()
        row = await self.session.scalar(
            self._select(self.version_model).where(fk == head_id, self.version_model.version == newest)
        )
        if row is None:
            raise NotFound(f"{self.kind} version", head_id)
        return row

    async def version(self, version_id: str) -> Version:
        """A version row by its own id."""
        return await self._get(self.version_model, version_id, f"{self.kind} version")

    async def archive(self, head_id: str) -> Head:
        """Hide from lists; pinned versions stay readable for existing invitations."""
        head = await self.get(head_id)
        head.archived_at = utcnow()
        return head


class ScriptRepo(_ContentRepo[InterviewScript, ScriptVersion]):
    """Interview scripts of one employer."""

    head_model = InterviewScript
    version_model = ScriptVersion
    kind = "script"


class PackRepo(_ContentRepo[TaskPack, PackVersion]):
    """Task packs of one employer."""

    head_model = TaskPack
    version_model = PackVersion
    kind = "task pack"


def script_content(version: ScriptVersion) -> ScriptContent:
    """The stored script version as a content model."""
    return ScriptContent.model_validate(version.content)


def pack_content(version: PackVersion) -> PackContent:
    """The stored pack version as a content model."""
    return PackContent.model_validate(version.content)
