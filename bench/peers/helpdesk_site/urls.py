"""The peer's URLs: django-helpdesk at the root (its REST API under ``/api/``)."""

from django.urls import include, path

urlpatterns = [path("", include("helpdesk.urls", namespace="helpdesk"))]
