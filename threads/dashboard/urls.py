"""``/dashboard/`` and ``/dashboard/export.csv``: stable paths (SPEC section 5)."""

from django.urls import path

from threads.dashboard import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.csv", views.export_csv, name="dashboard_export"),
]
