"""The audit log: who did what to which object, when, from which address."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Model
from django.http import HttpRequest

from campaign.models import AuditEntry, Organisation
from config.net import client_ip


def audit_record(
    *,
    action: str,
    organisation: Organisation | None,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    actor_label: str = "",
    obj: Model | None = None,
    detail: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Append one entry. Call inside the transaction of the action, so an action that rolls
    back leaves no entry claiming it happened."""
    user = actor if actor is not None and actor.is_authenticated else None
    return AuditEntry.objects.create(
        organisation=organisation,
        actor_id=user.pk if user is not None else None,
        actor_label=(actor_label or (user.get_username() if user else "anonymous"))[:200],
        action=action[:60],
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        detail=detail or {},
        ip_address=(client_ip(request) or None) if request is not None else None,
    )
