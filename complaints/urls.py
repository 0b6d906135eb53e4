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
    path("<uuid:public_id>/withdraw/", views.complaint_withdraw, name="withdraw"),
    path("<uuid:public_id>/messages/", views.complaint_message, name="message"),
]

urlpatterns += [
    path("<uuid:public_id>/evidence/", views.evidence_upload, name="evidence_upload"),
    path(
        "<uuid:public_id>/evidence/upload-one/",
        views.evidence_upload_one,
        name="evidence_upload_one",
    ),
    path(
        "<uuid:public_id>/evidence/<uuid:evidence_id>/download/",
        views.evidence_download,
        name="evidence_download",
    ),
    path(
        "<uuid:public_id>/evidence/<uuid:evidence_id>/preview/",
        views.evidence_thumbnail,
        name="evidence_thumbnail",
    ),
    path(
        "<uuid:public_id>/evidence/<uuid:evidence_id>/edit/",
        views.evidence_edit,
        name="evidence_edit",
    ),
    path(
        "<uuid:public_id>/evidence/<uuid:evidence_id>/delete/",
        views.evidence_delete,
        name="evidence_delete",
    ),
]

urlpatterns += [
    path(
        "<uuid:public_id>/letters/<slug:channel>/",
        views.letter_preview,
        name="letter_preview",
    ),
    path(
        "<uuid:public_id>/letters/<slug:channel>/draft.pdf",
        views.letter_draft_pdf,
        name="letter_draft_pdf",
    ),
    path(
        "<uuid:public_id>/letters/<slug:channel>/final/",
        views.letter_issue,
        name="letter_issue",
    ),
    path(
        "<uuid:public_id>/letter-versions/<uuid:letter_id>/",
        views.letter_download,
        name="letter_download",
    ),
]

urlpatterns += [
    path("<uuid:public_id>/filings/new/", views.filing_create, name="filing_create"),
    path(
        "<uuid:public_id>/filings/<uuid:filing_id>/reply/",
        views.filing_reply,
        name="filing_reply",
    ),
]
