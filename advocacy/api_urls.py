from django.urls import path

from advocacy import api

urlpatterns = [
    path("campaigns/", api.CampaignListApi.as_view(), name="api-campaign-list"),
    path("campaigns/<slug:slug>/", api.CampaignDetailApi.as_view(), name="api-campaign-detail"),
    path(
        "campaigns/<slug:slug>/signatures/",
        api.SignatureCreateApi.as_view(),
        name="api-signature-create",
    ),
    path(
        "campaigns/<slug:slug>/counters/",
        api.CampaignCountersApi.as_view(),
        name="api-campaign-counters",
    ),
]
