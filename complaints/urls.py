from django.urls import path

from .views import cases, evidence, filings, letters

app_name = "complaints"

# Every URL that takes a complaint uses its opaque public id, never the
# sequential primary key or the case number.
urlpatterns = [
    path("", cases.complaint_list, name="list"),
    path("new/", cases.complaint_create, name="create"),
    path("<uuid:public_id>/", cases.complaint_detail, name="detail"),
    path("<uuid:public_id>/edit/", cases.complaint_edit, name="edit"),
    path("<uuid:public_id>/submit/", cases.complaint_submit, name="submit"),
    path("<uuid:public_id>/withdraw/", cases.complaint_withdraw, name="withdraw"),
    path("<uuid:public_id>/messages/", cases.complaint_message, name="message"),
]

urlpatterns += [
    path(
        "<uuid:public_id>/evidence/", evidence.evidence_upload, name="evidence_upload"
    ),
    path(
        "<uuid:public_id>/evidence/upload-one/",
        evidence.evidence_upload_one,
        name="evidence_upload_one",
    ),
    path(
        "<uuid:public_id>/evidence/<uuid:evidence_id>/download/",
        evidence.evidence_download,
        name="evidence_download",
    ),
    path(
        "<uuid:public_id>/evidence/<uuid:evidence_id>/preview/",
        evidence.evidence_thumbnail,
        name="evidence_thumbnail",
    ),
    path(
        "<uuid:public_id>/evidence/<uuid:evidence_id>/edit/",
        evidence.evidence_edit,
        name="evidence_edit",
    ),
    path(
        "<uuid:public_id>/evidence/<uuid:evidence_id>/delete/",
        evidence.evidence_delete,
        name="evidence_delete",
    ),
]

urlpatterns += [
    path(
        "<uuid:public_id>/letters/<slug:channel>/",
        letters.letter_preview,
        name="letter_preview",
    ),
    path(
        "<uuid:public_id>/letters/<slug:channel>/draft.pdf",
        letters.letter_draft_pdf,
        name="letter_draft_pdf",
    ),
    path(
        "<uuid:public_id>/letters/<slug:channel>/final/",
        letters.letter_issue,
        name="letter_issue",
    ),
    path(
        "<uuid:public_id>/letter-versions/<uuid:letter_id>/",
        letters.letter_download,
        name="letter_download",
    ),
]

urlpatterns += [
    path("<uuid:public_id>/filings/new/", filings.filing_create, name="filing_create"),
    path(
        "<uuid:public_id>/filings/<uuid:filing_id>/reply/",
        filings.filing_reply,
        name="filing_reply",
    ),
]
