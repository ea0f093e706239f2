from django.urls import path
from rest_framework.routers import SimpleRouter

from advocacy import org_api

router = SimpleRouter()
router.register("campaigns", org_api.CampaignViewSet, basename="org-campaign")
router.register("letter-templates", org_api.LetterTemplateViewSet, basename="org-letter-template")
router.register("signatures", org_api.SignatureViewSet, basename="org-signature")
router.register("letters", org_api.LetterViewSet, basename="org-letter")
router.register("webhooks", org_api.WebhookViewSet, basename="org-webhook")

urlpatterns = [
    *router.urls,
    path("resolutions/import", org_api.ResolutionImportApi.as_view(), name="org-resolution-import"),
]
