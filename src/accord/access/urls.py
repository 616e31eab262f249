from django.urls import path

from accord.access import views

app_name = "access"
urlpatterns = [
    path("", views.my_access, name="my_access"),
]
