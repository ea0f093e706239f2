from django.urls import path

from advocacy import letter_views

app_name = "letters"

urlpatterns = [
    path("campaigns/<slug:slug>/letters/", letter_views.letter_start, name="start"),
    path("campaigns/<slug:slug>/letters/write/", letter_views.letter_write, name="write"),
    path("campaigns/<slug:slug>/letters/sent/", letter_views.letter_sent, name="sent"),
    path("letters/confirm/<str:token>/", letter_views.letter_confirm, name="confirm"),
]
