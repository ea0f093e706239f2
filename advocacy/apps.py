from django.apps import AppConfig


class AdvocacyConfig(AppConfig):
    name = "advocacy"
    verbose_name = "Supporters and deliveries"

    def ready(self) -> None:
        from django.contrib import admin

        from advocacy import login_throttle

        login_throttle.connect()
        # Failed sign-ins are counted and, past a limit, refused for a while.
        admin.site.login_form = login_throttle.ThrottledAdminAuthenticationForm
