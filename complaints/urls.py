from django.urls import path

from . import views

app_name = "complaints"

# Every URL that takes a complaint uses its opaque public id, never the
# sequential primary key or the case number.
urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("new/", views.complaint_create, name="create"),
    path("<uuid:public_id>/", views.complaint_detail, name="detail"),
    path("<uuid:public_id>/edit/", views.complaint_edit, name="edit"),
    path("<uuid:public_id>/submit/", views.complaint_submit, name="submit"),
]
