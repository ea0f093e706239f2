"""The reference endpoint's two tables: a signature and its confirmation mail's outbox row."""

from __future__ import annotations

from django.db import models


class ReferenceSignature(models.Model):
    email = models.EmailField(unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    country = models.CharField(max_length=2)
    postcode = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "reference"

    def __str__(self) -> str:
        return f"Reference signature #{self.pk}"


class ReferenceOutbox(models.Model):
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(max_length=10, default="queued", db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "reference"

    def __str__(self) -> str:
        return f"Reference outbox row #{self.pk}"
