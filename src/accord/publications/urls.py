from django.urls import path

from accord.publications import views

app_name = "publications"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("register/<slug:slug>/", views.register, name="register"),
    path("<int:paper>/", views.detail, name="detail"),
    path("<int:paper>/submit", views.submit, name="submit"),
    path("<int:paper>/visibility", views.visibility, name="visibility"),
    path("staff/", views.staff_index, name="staff_index"),
    path("staff/<slug:slug>/", views.staff_list, name="staff_list"),
    path("staff/<slug:slug>/papers.csv", views.staff_csv, name="staff_csv"),
    path("staff/<slug:slug>/papers.bib", views.staff_bibtex, name="staff_bibtex"),
    path("staff/paper/<int:paper>/", views.staff_detail, name="staff_detail"),
    path("staff/paper/<int:paper>/override", views.staff_override, name="staff_override"),
    path("staff/paper/<int:paper>/paper.pdf", views.staff_pdf, name="staff_pdf"),
]
