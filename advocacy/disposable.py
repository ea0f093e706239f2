"""Refuse throw-away e-mail domains. The check is pluggable (settings.DISPOSABLE_EMAIL_CHECKER
names a callable `(domain: str) -> bool`); the default reads a small shipped blocklist."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

from config.errors import DomainError

BLOCKLIST_PATH = Path(__file__).resolve().parent / "data" / "disposable_domains.txt"


class EmailDisposableError(DomainError):
    code = "email_disposable"
    status = 400


@cache
def _blocklist() -> frozenset[str]:
    lines = BLOCKLIST_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def is_disposable_domain(domain: str) -> bool:
    """True for a listed domain or any subdomain of one."""
    labels = domain.lower().rstrip(".").split(".")
    blocklist = _blocklist()
    return any(".".join(labels[i:]) in blocklist for i in range(len(labels) - 1))


def _checker() -> Callable[[str], bool]:
    checker: Callable[[str], bool] = import_string(settings.DISPOSABLE_EMAIL_CHECKER)
    return checker


def email_disposable_check(*, email: str) -> None:
    """Raise EmailDisposableError when the address belongs to a disposable domain."""
    domain = email.rpartition("@")[2]
    if domain and _checker()(domain):
        raise EmailDisposableError(
            "Please use a permanent e-mail address: we need to reach you to confirm.",
            fields={"email": ["Disposable e-mail addresses cannot be used."]},
        )
