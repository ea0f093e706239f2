"""Which organisations a user may see and change. Every organiser-facing query goes through
here, so scoping is one decision in one place."""

from __future__ import annotations

from collections.abc import Collection

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from campaign.models import Membership, Organisation, OrganisationRole

WRITE_ROLES = (OrganisationRole.OWNER, OrganisationRole.EDITOR)


def organisation_ids_for(
    *, user: AbstractBaseUser | AnonymousUser, roles: Collection[str] | None = None
) -> list[int]:
    if not user.is_authenticated or not user.is_active:
        return []
    if getattr(user, "is_superuser", False):
        return list(Organisation.objects.values_list("id", flat=True))
    memberships = Membership.objects.filter(user_id=user.pk)
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    return list(memberships.values_list("organisation_id", flat=True))


def organisations_for(
    *, user: AbstractBaseUser | AnonymousUser, roles: Collection[str] | None = None
) -> QuerySet[Organisation]:
    return Organisation.objects.filter(id__in=organisation_ids_for(user=user, roles=roles))
