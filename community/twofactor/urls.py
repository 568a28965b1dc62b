"""Two-step verification's pages, under /accounts/two-factor/ (community/urls.py)."""

from django.urls import path

from community.twofactor import views

urlpatterns = [
    path("", views.overview, name="two_factor"),
    path("setup/", views.setup, name="two_factor_setup"),
    path("codes/", views.codes, name="two_factor_codes"),
    path("codes/new/", views.new_codes, name="two_factor_new_codes"),
    path("off/", views.turn_off, name="two_factor_turn_off"),
    path("verify/", views.verify, name="two_factor_verify"),
    path("recovery/", views.recovery, name="two_factor_recovery"),
]
