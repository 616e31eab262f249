from django.urls import path

from accord.accounts import languages, views, views_privacy
from accord.notifications import views as notification_views

app_name = "accounts"
urlpatterns = [
    path("language", languages.language_set, name="language_set"),
    path("tokens/", views.tokens, name="tokens"),
    path("email/", notification_views.email_preferences, name="email_preferences"),
    path("tokens/<int:token_id>/revoke", views.token_revoke, name="token_revoke"),
    path("personal-data/", views_privacy.personal_data, name="personal_data"),
    path("personal-data/export", views_privacy.personal_data_export, name="personal_data_export"),
    path("personal-data/erase", views_privacy.personal_data_erase, name="personal_data_erase"),
    path("erasures/", views_privacy.erasures, name="erasures"),
]
