"""Which organisations a user may see and change. Every organiser-facing query goes through
here, so scoping is one decision in one place."""

from __future__ import annotations

from collections.abc import Collection

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from campaign.models import ApiToken, Membership, Organisation, OrganisationRole
from config.errors import ExplainedPermissionDenied

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


# Bulk exports of supporters' personal data (CSV of signatures, of letters): a viewer looks at
# records one page at a time in the admin, but downloading them all takes an editor or owner.
EXPORT_ROLES = WRITE_ROLES
EXPORT_DENIED_MESSAGE = (
    "Downloading supporters' personal data takes the editor or owner role in the organisation."
)


def export_organisation_ids_for(*, user: AbstractBaseUser | AnonymousUser) -> set[int]:
    """The organisations whose supporters' data `user` may download in bulk."""
    return set(organisation_ids_for(user=user, roles=EXPORT_ROLES))


def export_permission_check(
    *, user: AbstractBaseUser | AnonymousUser, organisation_id: int
) -> None:
    """Refuse (a 403 that says why) unless `user` may download this organisation's supporters'
    data in bulk. Callers look the object up within the user's organisations first (another
    organisation's is a 404), so a 403 here tells a member only what their role is."""
    if organisation_id not in export_organisation_ids_for(user=user):
        raise ExplainedPermissionDenied(EXPORT_DENIED_MESSAGE)


def token_may_read_personal_data(token: ApiToken) -> bool:
    """An API token pages through every record, which is a bulk download: like the admin's
    exports, supporters' names and addresses go to editor and owner tokens only."""
    return token.role in EXPORT_ROLES
