from django.urls import path

app_name = "letters"

urlpatterns: list[object] = []
