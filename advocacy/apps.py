from django.apps import AppConfig


class AdvocacyConfig(AppConfig):
    name = "advocacy"
    verbose_name = "Supporters and deliveries"
