"""The issue's reference measurement, as a WSGI application: "a bare Django 6 + DRF endpoint
that validates and inserts a signature plus an outbox row in one transaction" — no
middleware, no rate limits, no consent record, no mail built, no delivery. The issue measured
about 790 requests/s (p99 ≈ 50 ms) with it on its machine (gunicorn, 4 sync workers, wrk with
32 connections); the benchmark's `reference` scenario measures it again on the machine at hand.

    gunicorn bench.reference.app:application          # with REFERENCE_DATABASE_URL set
    python -m bench.reference.app --create-tables     # once, on an empty database

Nothing of Resolute is imported: its own settings, its own database.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import dj_database_url
import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY=os.environ.get("REFERENCE_SECRET_KEY", "reference-" + "x" * 50),
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.contenttypes", "rest_framework", "bench.reference"],
    DATABASES={
        # Persistent connections, as any production Django deployment runs.
        "default": dj_database_url.parse(os.environ["REFERENCE_DATABASE_URL"], conn_max_age=None)
    },
    MIDDLEWARE=[],
    USE_TZ=True,
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": [],
        "DEFAULT_PERMISSION_CLASSES": [],
        "UNAUTHENTICATED_USER": None,
    },
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework import serializers  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from bench.reference.models import ReferenceOutbox, ReferenceSignature  # noqa: E402


class SignatureInput(serializers.Serializer[Any]):
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    email = serializers.EmailField()
    country = serializers.CharField(max_length=2)
    postcode = serializers.CharField(max_length=16, required=False, allow_blank=True)
    consent = serializers.BooleanField()
    consent_version = serializers.IntegerField()


class SignatureCreate(APIView):
    def post(self, request: Request, slug: str) -> Response:
        given = SignatureInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        with transaction.atomic():
            signature = ReferenceSignature.objects.create(
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                country=data["country"],
                postcode=data.get("postcode", ""),
            )
            ReferenceOutbox.objects.create(
                recipient=data["email"],
                subject="Please confirm your signature",
                body=f"Dear {data['first_name']}, please confirm: /confirm/{signature.pk}/",
            )
        return Response({"status": "pending_confirmation"}, status=202)


urlpatterns = [path("api/v1/campaigns/<slug:slug>/signatures/", SignatureCreate.as_view())]
application = get_wsgi_application()


def create_tables() -> None:
    with connection.schema_editor() as editor:
        editor.create_model(ReferenceSignature)
        editor.create_model(ReferenceOutbox)


if __name__ == "__main__":
    if sys.argv[1:] != ["--create-tables"]:
        sys.exit("usage: python -m bench.reference.app --create-tables")
    create_tables()
