"""Leases on work rows: how a replica claims an item so no other runs it until the lease expires.

A table whose rows are work (import jobs, due rounds, webhook deliveries) carries two columns,
`lease_owner` and `lease_expires_at`. `Lease.claim` takes due rows whose lease is
free or expired with `FOR UPDATE SKIP LOCKED` (replicas claiming at once never block on or take
each other's rows) and stamps them with the owner and an expiry in the same statement; `renew`
pushes the expiry of rows the owner still holds; `release` clears it when the owner is done. A
replica killed mid-item leaves its lease to expire, after which the item is claimed again. The rows
themselves stay the one record of the work: there is no second queue table to keep in step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Table, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class Lease:
    """Lease operations on one work table, keyed by `key` (its primary key column)."""

    table: Table
    key: str = "id"

    def free(self, now: dt.datetime) -> ColumnElement[bool]:
        expires = self.table.c.lease_expires_at
        return or_(expires.is_(None), expires < now)

    async def claim(
        self,
        session: AsyncSession,
        *,
        owner: str,
        now: dt.datetime,
        duration: dt.timedelta,
        limit: int,
        due: ColumnElement[bool],
        order_by: Sequence[ColumnElement[Any]] = (),
    ) -> list[RowMapping]:
        """Lease up to `limit` due rows that no live lease holds; returns the claimed rows."""
        key = self.table.c[self.key]
        candidates = (
            select(key)
            .where(due, self.free(now))
            .order_by(*order_by, key)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(self.table)
            .where(key.in_(candidates.scalar_subquery()))
            .values(lease_owner=owner, lease_expires_at=now + duration)
            .returning(*self.table.c)
        )
        return list((await session.execute(stmt)).mappings())

    async def renew(
        self, session: AsyncSession, keys: Sequence[Any], *, owner: str, now: dt.datetime, duration: dt.timedelta
    ) -> set[Any]:
        """Extend the owner's leases on `keys`; returns the keys it still held (a lost lease is not renewed)."""
        key = self.table.c[self.key]
        stmt = (
            update(self.table)
            .where(key.in_(keys), self.table.c.lease_owner == owner)
            .values(lease_expires_at=now + duration)
            .returning(key)
        )
        return set((await session.execute(stmt)).scalars())

    async def release(self, session: AsyncSession, key_value: Any, *, owner: str) -> bool:
        """Clear the owner's lease on one row; False when the lease had passed to another owner."""
        key = self.table.c[self.key]
        stmt = (
            update(self.table)
            .where(and_(key == key_value, self.table.c.lease_owner == owner))
            .values(lease_owner=None, lease_expires_at=None)
            .returning(key)
        )
        return (await session.execute(stmt)).first() is not None
