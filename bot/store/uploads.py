"""Files the bot uploaded to Slack (the pickers' contact sheets), kept so that each is
deleted a day later by whichever process serves then."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.base import StoreBase
from bot.store.tables import slack_uploads


class UploadLog(StoreBase):
    """The `slack_uploads` table."""

    async def add_upload(self, file_id: str, uploaded_at: datetime) -> None:
        """Remember a file the bot uploaded to Slack, to delete it later."""

        async def insert(connection: AsyncConnection) -> None:
            await connection.execute(
                slack_uploads.insert().values(file_id=file_id, uploaded_at=uploaded_at))

        await self._transaction(insert, doing="record an upload in")

    async def uploads_before(self, cutoff: datetime, limit: int = 100) -> list[str]:
        """The uploaded files older than `cutoff`, oldest first: the ones to delete."""

        async def read(connection: AsyncConnection) -> list[str]:
            result = await connection.execute(
                sa.select(slack_uploads.c.file_id).where(slack_uploads.c.uploaded_at < cutoff)
                .order_by(slack_uploads.c.uploaded_at).limit(limit))
            return [str(file_id) for file_id in result.scalars()]

        return await self._transaction(read, doing="read the uploads of")

    async def forget_upload(self, file_id: str) -> None:
        """A file Slack no longer has (deleted): nothing left to do for it."""

        async def delete(connection: AsyncConnection) -> None:
            await connection.execute(
                slack_uploads.delete().where(slack_uploads.c.file_id == file_id))

        await self._transaction(delete, doing="forget an upload in")
