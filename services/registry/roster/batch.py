"""Many roster adjustments in one request: all or nothing, or each on its own.

Every item is applied by `RosterService.create`, the single POST's own verb, so an item meets exactly
the rules, scope checks, audit records and change-feed events it would alone. Each runs in a savepoint:
a refused item leaves nothing behind, and the items after it are judged on the state the applied ones
left. In `all_or_nothing` mode every item is still tried, so the 422 lists every refusal at once, and
then the whole request's transaction is rolled back.

The entities the batch names are locked first, in id order, in one statement: two batches naming the
same entities in different orders then queue rather than deadlock.
"""

from __future__ import annotations

from services.registry.roster.schemas import (
    RosterAdjustmentRead,
    RosterBatchCreate,
    RosterBatchItemResult,
    RosterBatchRead,
)
from services.registry.roster.service import RosterService
from shared.context import RequestContext
from shared.errors import AppError, FieldError, Invalid
from shared.openapi import Problem
from shared.schemas.enums import BatchMode


def _refusal(index: int, error: AppError) -> RosterBatchItemResult:
    return RosterBatchItemResult(index=index, status=error.status, problem=Problem.model_validate(error.problem()))


def _item_errors(index: int, error: AppError) -> list[FieldError]:
    """The item's problems as field errors of the batch (`items.<index>.<field>`)."""
    prefix = f"items.{index}"
    if error.errors:
        return [FieldError(f"{prefix}.{e.field}", e.message, e.code) for e in error.errors]
    return [FieldError(f"{prefix}.entity_id", error.detail, error.code)]


class RosterBatch:
    def __init__(self, roster: RosterService) -> None:
        self.roster = roster

    async def apply(self, ctx: RequestContext, body: RosterBatchCreate) -> RosterBatchRead:
        """Apply `body.items` in order; 403 for a role that writes nothing, 422 (all_or_nothing) on any refusal."""
        self.roster.access.require_entity_writer()
        await self.roster.entities.lock([item.entity_id for item in body.items])
        results: list[RosterBatchItemResult] = []
        refusals: list[tuple[int, AppError]] = []
        for index, item in enumerate(body.items):
            try:
                async with self.roster.session.begin_nested():
                    adjustment: RosterAdjustmentRead = await self.roster.create(ctx, item)
            except AppError as error:
                refusals.append((index, error))
                results.append(_refusal(index, error))
            else:
                results.append(RosterBatchItemResult(index=index, status=201, adjustment=adjustment))
        if refusals and body.mode is BatchMode.all_or_nothing:
            raise Invalid(
                f"共 {len(body.items)} 项，其中 {len(refusals)} 项不符合规则，整批未作任何调整",
                code="roster_batch_refused",
                errors=[e for index, error in refusals for e in _item_errors(index, error)],
                extra={"items": [_refusal(i, e).model_dump(mode="json", exclude_none=True) for i, e in refusals]},
            )
        return RosterBatchRead(
            mode=body.mode, applied=len(results) - len(refusals), refused=len(refusals), items=results
        )
