"""Keep the per-process page cache (CACHES["local"], PAGE_CACHE_SECONDS) honest: any saved or
deleted campaign, petition, call, resolution or organisation clears it in the process that
made the change. Other web processes catch up when their entries expire."""

from __future__ import annotations

from typing import Any

from django.core.cache import caches
from django.db.models.signals import post_delete, post_save

from campaign.models import Call, Campaign, Organisation, Petition, Resolution

_SHOWN_ON_CAMPAIGN_PAGES = (Campaign, Petition, Call, Resolution, Organisation)


def local_page_cache_clear(**_: Any) -> None:
    caches["local"].clear()


def connect() -> None:
    for model in _SHOWN_ON_CAMPAIGN_PAGES:
        for signal in (post_save, post_delete):
            signal.connect(
                local_page_cache_clear, sender=model, dispatch_uid=f"page-cache-{model.__name__}"
            )
