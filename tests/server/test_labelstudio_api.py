"""Label Studio over real HTTP: importing a project creates a versioned pack that can be invited (images through a
.zip bundle), and a candidate's stored answers export as Label Studio tasks, tenant-scoped and audited."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from PIL import Image

from prompts.builtin import builtin_pack
from prompts.taskpack import tokenize
from scoring.grading.reference import reference_answer
from tests.conftest import LiveServer, Tenant, World, invite, signed_in, upload_builtin

PACK = builtin_pack()

SENTIMENT = """<View>
  <Header value="Is the review positive or negative?"/>
  <Text name="review" value="$review"/>
  <Choices name="sentiment" toName="review"><Choice value="positive"/><Choice value="negative"/></Choices>
</View>"""

BOXES = """<View>
  <Image name="img" value="$image"/>
  <Choices name="scene" toName="img"><Choice value="street"/><Choice value="indoor"/></Choices>
  <RectangleLabels name="bbox" toName="img"><Label value="car"/></RectangleLabels>
</View>"""


def sentiment_body(pack_id: str = "reviews", **extra: Any) -> dict[str, Any]:
    tasks = [
        {
            "id": n,
            "data": {"review": text},
            "annotations": [
                {
                    "result": [
                        {"from_name": "sentiment", "to_name": "review", "type": "choices", "value": {"choices": [v]}}
                    ]
                }
            ],
        }
        for n, (text, v) in enumerate([("Loved it.", "positive"), ("Broke in a day.", "negative")], start=1)
    ]
    return {"pack_id": pack_id, "title": "Review sentiment", "config": SENTIMENT, "tasks": tasks, **extra}


def png_bytes(size: tuple[int, int] = (200, 100)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, "PNG")
    return buffer.getvalue()


async def test_import_creates_a_versioned_pack_that_can_be_invited(live: LiveServer, tenant_a: Tenant) -> None:
    async with live.client(headers=tenant_a.bearer()) as client:
        first = await client.post("/api/packs/import/labelstudio", json=sentiment_body(pass_score=0.5))
        same = await client.post("/api/packs/import/labelstudio", json=sentiment_body(pass_score=0.5))
        changed = await client.post("/api/packs/import/labelstudio", json=sentiment_body(pass_score=0.9))
        assert first.status_code == same.status_code == changed.status_code == 201, first.text
        assert (first.json()["created"], same.json()["created"], changed.json()["created"]) == (True, False, True)
        assert changed.json()["latest_version"] == 2 and changed.json()["slug"] == "reviews"
        content = changed.json()["content"]
        assert content["pass_score"] == 0.9
        task = content["tasks"][0]
        assert task["type"] == "text_classification" and task["guideline"] == "Is the review positive or negative?"
        assert [(i["id"], i["ground_truth"]["label"]) for i in task["items"]] == [
            ("ls-1", "positive"),
            ("ls-2", "negative"),
        ]
        audit = (await client.get("/api/audit")).json()
        assert [e["action"] for e in audit].count("pack.version_created") == 2
    world = World(tenant_a, script_id="", pack_id=first.json()["id"])
    invitation = await invite(live, world, "assessment")
    token = str(invitation["candidate_url"]).rsplit("/", 1)[1]
    async with live.client() as candidate:
        seen = (await candidate.get(f"/api/candidate/{token}")).json()
    assert [t["type"] for t in seen["assessment"]["tasks"]] == ["text_classification"]
    assert "positive" not in json.dumps(seen["assessment"]["tasks"][0]["items"])


async def test_import_errors_name_the_field_at_fault(live: LiveServer, tenant_a: Tenant) -> None:
    no_truth = sentiment_body()
    no_truth["tasks"][1].pop("annotations")
    async with live.client(headers=tenant_a.bearer()) as client:
        missing = await client.post("/api/packs/import/labelstudio", json={**sentiment_body(), "title": ""})
        bad_id = await client.post("/api/packs/import/labelstudio", json=sentiment_body(pack_id="Not An Id"))
        extra = await client.post("/api/packs/import/labelstudio", json={**sentiment_body(), "project": 3})
        unannotated = await client.post("/api/packs/import/labelstudio", json=no_truth)
        unsupported = await client.post(
            "/api/packs/import/labelstudio",
            json={
                **sentiment_body(),
                "config": SENTIMENT.replace("</View>", "<Rating name='r' toName='review'/></View>"),
            },
        )
        images_without_files = await client.post(
            "/api/packs/import/labelstudio", json={**sentiment_body(), "config": BOXES}
        )
    assert missing.status_code == 422 and missing.json()["detail"][0]["field"] == "body.title"
    assert bad_id.status_code == 422 and bad_id.json()["detail"][0]["field"] == "body.pack_id"
    assert extra.status_code == 422 and extra.json()["detail"][0]["field"] == "body.project"
    assert unannotated.status_code == 422 and unannotated.json()["detail"] == [
        {
            "field": "tasks[1]",
            "message": "no annotation or prediction to take the ground truth from; annotate it or drop it",
        }
    ]
    assert unannotated.json()["message"] == "body does not validate (1 issue(s))"
    assert unsupported.status_code == 422 and unsupported.json()["detail"][0]["field"] == "config"
    assert "<Rating name='r'> is not supported" in unsupported.json()["detail"][0]["message"]
    assert images_without_files.status_code == 422
    assert images_without_files.json()["detail"][0]["field"] == "tasks"


async def test_only_admins_import(live: LiveServer, tenant_a: Tenant) -> None:
    async with signed_in(live, tenant_a.reviewer_email, tenant_a.password) as reviewer:
        refused = await reviewer.post("/api/packs/import/labelstudio", json=sentiment_body())
    async with live.client() as anonymous:
        nobody = await anonymous.post("/api/packs/import/labelstudio", json=sentiment_body())
    assert refused.status_code == 403 and nobody.status_code == 401


async def test_image_projects_import_from_a_zip_with_their_images(live: LiveServer, tenant_a: Tenant) -> None:
    image = png_bytes()
    body = {
        "pack_id": "streets",
        "title": "Street boxes",
        "config": BOXES,
        "tasks": [
            {
                "data": {"image": "/data/upload/3/5f2a-street.png"},
                "annotations": [
                    {
                        "result": [
                            {
                                "from_name": "scene",
                                "to_name": "img",
                                "type": "choices",
                                "value": {"choices": ["street"]},
                            },
                            {
                                "from_name": "bbox",
                                "to_name": "img",
                                "type": "rectanglelabels",
                                "original_width": 200,
                                "original_height": 100,
                                "value": {"x": 10, "y": 20, "width": 25, "height": 50, "rectanglelabels": ["car"]},
                            },
                        ]
                    }
                ],
            }
        ],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("pack.json", json.dumps(body))
        archive.writestr("upload/3/5f2a-street.png", image)
    async with live.client(headers=tenant_a.bearer()) as client:
        response = await client.post(
            "/api/packs/import/labelstudio/upload",
            files={"file": ("streets.zip", buffer.getvalue(), "application/zip")},
        )
        not_json = await client.post(
            "/api/packs/import/labelstudio/upload", files={"file": ("p.json", b'{"title": 3}', "application/json")}
        )
    assert response.status_code == 201, response.text
    item = response.json()["content"]["tasks"][0]["items"][0]
    assert item["asset"]["uri"] == "upload/3/5f2a-street.png" and (item["asset"]["width"], item["asset"]["height"]) == (
        200,
        100,
    )
    assert item["ground_truth"]["boxes"] == [{"label": "car", "x": 20.0, "y": 20.0, "w": 50.0, "h": 50.0}]
    assert not_json.status_code == 422 and not_json.json()["message"].startswith("p.json does not validate")
    assert {row["field"] for row in not_json.json()["detail"]} >= {"pack_id", "title", "config", "tasks"}
    invitation = await invite(live, World(tenant_a, "", response.json()["id"]), "assessment")
    token = str(invitation["candidate_url"]).rsplit("/", 1)[1]
    async with live.client() as candidate:
        served = await candidate.get(f"/api/candidate/{token}/assets/images/{item['id']}")
    assert served.status_code == 200 and served.content == image


async def _answered_invitation(live: LiveServer, tenant: Tenant) -> tuple[str, dict[str, Any]]:
    """An assessment invitation whose candidate saved reference answers to a few items through the candidate API."""
    world = await upload_builtin(live, tenant)
    invitation = await invite(live, world, "assessment")
    token = str(invitation["candidate_url"]).rsplit("/", 1)[1]
    saved: dict[str, Any] = {}
    async with live.client() as candidate:
        assert (await candidate.post(f"/api/candidate/{token}/attempt")).status_code == 200
        for task_id, item_id in [("moderation", "cls-ok"), ("entities", "ner-hire"), ("images", "img-street-cars")]:
            task = next(t for t in PACK.tasks if t.id == task_id)
            item = next(i for i in task.items if i.id == item_id)
            answer = reference_answer(task, item).model_dump(mode="json")
            response = await candidate.put(
                f"/api/candidate/{token}/answers/{task_id}/{item_id}", json={"answer": answer}
            )
            assert response.status_code == 200, response.text
            saved[item_id] = answer
    return str(invitation["id"]), saved


def _by_item(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["meta"]["gaia"]["item_id"]: row for row in rows}


async def test_export_gives_the_candidates_answers_in_label_studio_format(live: LiveServer, tenant_a: Tenant) -> None:
    invitation_id, _ = await _answered_invitation(live, tenant_a)
    async with live.client(headers=tenant_a.bearer()) as client:
        response = await client.get(f"/api/invitations/{invitation_id}/export/labelstudio")
        audit = (await client.get("/api/audit")).json()
    assert response.status_code == 200, response.text
    rows = _by_item(response.json())
    assert len(rows) == sum(len(t.items) for t in PACK.tasks)
    assert rows["cls-ok"]["annotations"] == [
        {"result": [{"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": ["ok"]}}]}
    ]
    spans = rows["ner-hire"]["annotations"][0]["result"]
    text = rows["ner-hire"]["data"]["text"]
    assert [(r["value"]["text"], r["value"]["labels"]) for r in spans][:2] == [
        ("Maria Lopez", ["PERSON"]),
        ("Northwind Analytics", ["ORG"]),
    ]
    assert all(text[r["value"]["start"] : r["value"]["end"]] == r["value"]["text"] for r in spans)
    assert tokenize(spans[0]["value"]["text"]) == ["Maria", "Lopez"]
    boxes = [r for r in rows["img-street-cars"]["annotations"][0]["result"] if r["type"] == "rectanglelabels"]
    assert boxes[0]["value"]["x"] == 30 / 320 * 100 and boxes[0]["original_width"] == 320
    assert (
        rows["cls-abusive"]["annotations"] == [{"result": []}]
        and rows["cls-abusive"]["meta"]["gaia"]["answered"] is False
    )
    exported = [e for e in audit if e["action"] == "invitation.exported"]
    assert exported[0]["target_id"] == invitation_id and exported[0]["detail"] == {"format": "labelstudio"}


async def test_a_reviewer_can_export_and_another_tenant_cannot(
    live: LiveServer, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    invitation_id, _ = await _answered_invitation(live, tenant_a)
    url = f"/api/invitations/{invitation_id}/export/labelstudio"
    async with signed_in(live, tenant_a.reviewer_email, tenant_a.password) as reviewer:
        by_reviewer = await reviewer.get(url)
    async with live.client(headers=tenant_b.bearer()) as other:
        by_b = await other.get(url)
    async with live.client() as anonymous:
        by_nobody = await anonymous.get(url)
    assert by_reviewer.status_code == 200 and len(by_reviewer.json()) > 0
    assert by_b.status_code == 404 and by_b.json()["error"] == "not_found"
    assert by_nobody.status_code == 401


async def test_an_interview_only_invitation_has_nothing_to_export(live: LiveServer, tenant_a: Tenant) -> None:
    world = await upload_builtin(live, tenant_a)
    invitation = await invite(live, world, "interview")
    async with live.client(headers=tenant_a.bearer()) as client:
        response = await client.get(f"/api/invitations/{invitation['id']}/export/labelstudio")
    assert response.status_code == 409 and "no work samples" in response.json()["message"]
