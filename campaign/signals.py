"""Keep the per-process memo (config/memo.py, PAGE_CACHE_SECONDS) honest: saving or deleting
anything a campaign page, its counter or its letter targets show clears it in the process
that made the change. Other web processes catch up when their entries expire (bulk writes,
such as the MEP directory import, send no signals and are seen the same way)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from campaign.models import (
    Body,
    BodyMembership,
    Call,
    Campaign,
    LetterTemplate,
    Mandate,
    Mep,
    Organisation,
    Petition,
    Resolution,
    RollCall,
    RollCallVote,
)
from config.memo import memo

_SHOWN_TO_SUPPORTERS = (
    Campaign,
    Petition,
    Call,
    Resolution,
    Organisation,
    LetterTemplate,
    Mep,
    Mandate,
    Body,
    BodyMembership,
    RollCall,
    RollCallVote,
)


def local_cache_clear(**_: Any) -> None:
    memo.clear()


def connect() -> None:
    for model in _SHOWN_TO_SUPPORTERS:
        for signal in (post_save, post_delete):
            signal.connect(
                local_cache_clear, sender=model, dispatch_uid=f"local-cache-{model.__name__}"
            )
