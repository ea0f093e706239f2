from django.urls import path

from advocacy import letter_api

urlpatterns = [
    path(
        "campaigns/<slug:slug>/meps/",
        letter_api.CampaignMepListApi.as_view(),
        name="api-campaign-meps",
    ),
    path(
        "campaigns/<slug:slug>/letters/preview",
        letter_api.LetterPreviewApi.as_view(),
        name="api-letters-preview",
    ),
    path(
        "campaigns/<slug:slug>/letters/",
        letter_api.LetterRequestCreateApi.as_view(),
        name="api-letters-create",
    ),
    path("letters/confirm", letter_api.LetterConfirmApi.as_view(), name="api-letters-confirm"),
]
