"""The site's URLs. Paths listed in SPEC section 5 are stable promises."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from community import metrics, views
from community.decorators import account_page
from community.forms import ResetPasswordForm, ThrottledLoginForm
from community.twofactor import views as twofactor_views
from community.twofactor.state import before_second_factor

# The 500 page, and a 503 that says so while the database is unreachable.
handler500 = "community.views.server_error"

admin.site.site_header = settings.SITE_NAME
admin.site.site_title = settings.SITE_NAME

account_urls = [
    path("signup/", views.signup, name="signup"),
    path("signup/sent/", views.signup_sent, name="signup_sent"),
    path(
        "login/",
        views.SiteNamed(auth_views.LoginView).as_view(
            template_name="registration/login.html",
            authentication_form=ThrottledLoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", before_second_factor(account_page(auth_views.LogoutView.as_view())), name="logout"),
    path("two-factor/", include("community.twofactor.urls")),
    path("verify/<str:token>/", views.verify_email, name="verify_email"),
    path("verify-again/", views.resend_verification, name="resend_verification"),
    path("status/", views.account_status, name="account_status"),
    path("profile/", views.edit_profile, name="edit_profile"),
    path("password/", views.change_password, name="change_password"),
    path("sessions/end/", views.log_out_everywhere, name="log_out_everywhere"),
    path(
        "password-reset/",
        views.SiteNamed(auth_views.PasswordResetView).as_view(
            email_template_name="registration/password_reset_email.txt",
            html_email_template_name="registration/password_reset_email.html",
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/", views.SiteNamed(auth_views.PasswordResetDoneView).as_view(), name="password_reset_done"
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views.SiteNamed(auth_views.PasswordResetConfirmView).as_view(form_class=ResetPasswordForm),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        views.SiteNamed(auth_views.PasswordResetCompleteView).as_view(),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("language/", views.set_language, name="set_language"),
    path("accounts/", include(account_urls)),
    path("members/", views.member_list, name="members"),
    path("members/autocomplete/", views.member_autocomplete, name="member_autocomplete"),
    path("municipalities/", views.municipality_list, name="municipalities"),
    path("groups/", views.group_list, name="groups"),
    path("groups/<slug:slug>/join/", views.join_group, name="join_group"),
    path("groups/<slug:slug>/leave/", views.leave_group, name="leave_group"),
    # /moderation/ itself, its log and the thread moderation are in threads.urls.
    path("moderation/signups/<int:pk>/approve/", views.approve_signup, name="approve_signup"),
    path("moderation/signups/<int:pk>/reject/", views.reject_signup, name="reject_signup"),
    path("moderation/members/<str:handle>/suspend/", views.suspend_member, name="suspend_member"),
    path("moderation/members/<str:handle>/lift/", views.lift_suspension, name="lift_suspension"),
    path("moderation/members/<str:handle>/two-factor/reset/", twofactor_views.reset, name="reset_second_factor"),
    path("settings/privacy/", views.privacy, name="privacy"),
    path("settings/privacy/export/", views.export_data, name="export_data"),
    path("settings/privacy/delete/", views.delete_account, name="delete_account"),
    path("meetings/", include("community.meetings.urls")),
    path("admin/", admin.site.urls),
    path("perspectives/", include("threads.perspectives.urls")),
    path("dashboard/", include("threads.dashboard.urls")),
    path("", include("notifications.urls")),
    path("", include("threads.urls")),
]
