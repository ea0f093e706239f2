from django.urls import path

from advocacy import views

app_name = "advocacy"

urlpatterns = [
    path("", views.home, name="home"),
    path("campaigns/<slug:slug>/", views.campaign_detail, name="campaign-detail"),
    path("campaigns/<slug:slug>/thanks/", views.campaign_thanks, name="campaign-thanks"),
    path("confirm/<str:token>/", views.signature_confirm_view, name="signature-confirm"),
    path(
        "confirm/<str:token>/resend/",
        views.signature_confirmation_resend_view,
        name="signature-confirm-resend",
    ),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("my-data/", views.supporter_data_request, name="supporter-data-request"),
    path("my-data/<str:token>/", views.supporter_data, name="supporter-data"),
    path(
        "my-data/<str:token>/export.json",
        views.supporter_data_export,
        name="supporter-data-export",
    ),
    path("my-data/<str:token>/erase/", views.supporter_data_erase, name="supporter-data-erase"),
]
