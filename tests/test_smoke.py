from complaints.models import Complaint, Status


def test_create_draft_and_submit(owner_client, user):
    data = {
        "creation_token": "8f14e45f-ceea-467a-9af3-0d6c4a1e2b3c",
        "complainant_type": "individual",
        "complainant_name": "李四",
        "id_number": "11010519491231002X",
        "contact_phone": "13800138000",
        "address": "北京市朝阳区某路2号",
        "province": "BJ",
        "respondent_name": "某支付公司",
        "terminal_sn": "ab-1234",
        "deactivated_on": "2025-06-01",
        "harm_known_on": "2025-06-01",
        "narrative": "机器突然停用，结算款至今未到账，客服电话无人接听。",
        "claims": ["release_funds"],
        "consent_processing": "on",
        "consent_sensitive": "on",
        "losses-TOTAL_FORMS": "2",
        "losses-INITIAL_FORMS": "0",
        "losses-MIN_NUM_FORMS": "0",
        "losses-MAX_NUM_FORMS": "50",
        "losses-0-category": "frozen_funds",
        "losses-0-amount": "１，２３４.５",
        "losses-1-category": "deposit",
        "losses-1-amount": "¥299",
        "submit": "1",
    }
    response = owner_client.post("/cases/new/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    complaint = Complaint.objects.get(owner=user)
    assert complaint.status == Status.SUBMITTED
    assert complaint.terminal_sn == "AB-1234"
    assert sorted(str(i.amount) for i in complaint.loss_items.all()) == [
        "1234.50",
        "299.00",
    ]
    page = owner_client.get("/cases/")
    assert "1,533.50" in page.content.decode()
