"""Tampering at rest, against the real stack: stored ciphertext changed behind the api's back — in
MinIO, or in PostgreSQL as the api's role or as the superuser — is refused with a clear failure and
never served, neither whole nor in part past the damage.

A stored object is a header and 1 MiB segments, each verified before any of it is served. A failure
shows either as a 500 integrity problem (before the response starts: always, when the first segment
served is damaged) or as a transfer cut short that holds only plaintext from segments before the
damage. A sealed column value is bound to its organization, table, row and column, so a value moved
anywhere else does not open: the request answers a 500 integrity problem without any of the data.
Each test has organizations of its own.
"""

from __future__ import annotations

import io
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from minio import Minio

from enclave.crypto.segmented import DEFAULT_SEGMENT, Header, read_header
from enclave.storage.objects import bucket_name
from tests.integration.domain.world import Tenant, sql_as_tenant

if TYPE_CHECKING:
    from tests.security.conftest import Superuser, Uploaded, UploadPng

SEGMENT = DEFAULT_SEGMENT
MiB = 1024 * 1024


# --- reading content, and what a refusal looks like ------------------------------------------------


@dataclass(frozen=True)
class Fetched:
    status: int
    content_type: str
    body: bytes
    #: The transfer ended normally (False: the server cut the connection mid-body).
    complete: bool


def _fetch(tenant: Tenant, item_id: str, start: int | None = None, end: int | None = None) -> Fetched:
    """``GET /items/{id}/content``, plaintext ``[start, end)`` by a Range request if given, read as
    far as the server sends it."""
    headers = tenant.headers()
    if start is not None and end is not None:
        headers["Range"] = f"bytes={start}-{end - 1}"
    body = bytearray()
    with tenant.client.stream("GET", f"/api/v1/items/{item_id}/content", headers=headers) as response:
        content_type = response.headers.get("content-type", "")
        try:
            for chunk in response.iter_raw():
                body += chunk
        except (httpx.RemoteProtocolError, httpx.ReadError):
            return Fetched(response.status_code, content_type, bytes(body), complete=False)
        return Fetched(response.status_code, content_type, bytes(body), complete=True)


def _assert_integrity_problem(status: int, content_type: str, body: bytes) -> None:
    assert status == 500, body[:500]
    assert content_type.startswith("application/problem+json")
    problem = httpx.Response(status, content=body).json()
    assert problem["title"] == "Internal Server Error"
    assert "integrity check" in problem["detail"]


def _assert_refused(fetched: Fetched, plaintext: bytes, start: int, verified_until: int) -> None:
    """The read of plaintext from ``start`` was refused: a 500 integrity problem before any body, or
    a body cut short holding only genuine plaintext, none of it at or past ``verified_until`` (the
    start of the first segment that cannot verify). The first segment served is verified before the
    response starts, so damage there is always the 500 problem."""
    if verified_until <= start:
        assert fetched.status == 500, f"damage in the first segment served, answered {fetched.status}"
    if fetched.status == 500:
        _assert_integrity_problem(fetched.status, fetched.content_type, fetched.body)
        assert plaintext[start : start + 64] not in fetched.body
        return
    assert fetched.status in (200, 206)
    assert not fetched.complete, "the server finished a response it could not have verified"
    assert fetched.body == plaintext[start : start + len(fetched.body)], "served bytes that were altered"
    assert start + len(fetched.body) <= max(start, verified_until), "served plaintext past the damage"


def _assert_served(fetched: Fetched, expected: bytes) -> None:
    assert fetched.complete
    assert fetched.status in (200, 206)
    assert fetched.body == expected


# --- the stored object ----------------------------------------------------------------------------


def _get_object(store: Minio, org_id: uuid.UUID, key: str) -> bytes:
    response = store.get_object(bucket_name(org_id), key)
    try:
        return bytes(response.read())
    finally:
        response.close()
        response.release_conn()


def _put_object(store: Minio, org_id: uuid.UUID, key: str, data: bytes) -> None:
    store.put_object(bucket_name(org_id), key, io.BytesIO(data), length=len(data))


def _segments(stored: bytes) -> tuple[bytes, list[bytes]]:
    """An object's header bytes and its stored segments, cut where the header says."""
    header = read_header(stored)
    body = stored[header.size :]
    step = header.stored_segment_size
    return stored[: header.size], [body[i : i + step] for i in range(0, len(body), step)]


def _flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


@dataclass(frozen=True)
class Stored:
    """An uploaded item of three segments (1 MiB, 1 MiB, the rest) and its object as stored."""

    tenant: Tenant
    item: Uploaded
    object: bytes
    header: Header

    def put(self, store: Minio, data: bytes) -> None:
        _put_object(store, self.tenant.org_id, self.item.id, data)


def _image_dataset(tenant: Tenant) -> str:
    name = f"images-{uuid.uuid4().hex[:6]}"
    return str(tenant.ok("POST", "/datasets", json={"name": name, "kind": "image"})["id"])


@pytest.fixture
def stored(tenant: Tenant, upload_png: UploadPng, raw_store: Minio) -> Stored:
    item = upload_png(tenant, _image_dataset(tenant), "three-segments.png", os.urandom(2 * MiB + MiB // 2))
    data = _get_object(raw_store, tenant.org_id, item.id)
    header = read_header(data)
    assert header.segment_size == SEGMENT
    assert len(_segments(data)[1]) == 3
    _assert_served(_fetch(tenant, item.id), item.data)  # before the damage, all of it reads back
    return Stored(tenant, item, data, header)


class TestDamagedObject:
    def test_a_flipped_bit_stops_the_read_at_its_segment_but_other_segments_still_read(
        self, stored: Stored, raw_store: Minio
    ) -> None:
        tenant, plaintext = stored.tenant, stored.item.data
        # One bit in the middle of segment 1 (plaintext bytes [1 MiB, 2 MiB)).
        stored.put(
            raw_store, _flip(stored.object, stored.header.size + stored.header.stored_segment_size + 4096)
        )

        whole = _fetch(tenant, stored.item.id)
        _assert_refused(whole, plaintext, 0, verified_until=SEGMENT)
        assert plaintext[SEGMENT + 4000 : SEGMENT + 4200] not in whole.body

        # Ranges within intact segments (the first, and the last, shorter one) are served.
        _assert_served(_fetch(tenant, stored.item.id, 100, 5000), plaintext[100:5000])
        tail = (2 * SEGMENT + 10, len(plaintext) - 7)
        _assert_served(_fetch(tenant, stored.item.id, *tail), plaintext[slice(*tail)])
        # A range inside the damaged segment gets none of it; one that starts before it, only what
        # precedes the damaged segment.
        inside = _fetch(tenant, stored.item.id, SEGMENT + 10, SEGMENT + 9000)
        _assert_refused(inside, plaintext, SEGMENT + 10, verified_until=SEGMENT)
        across = _fetch(tenant, stored.item.id, SEGMENT - 500, SEGMENT + 500)
        _assert_refused(across, plaintext, SEGMENT - 500, verified_until=SEGMENT)

        stored.put(raw_store, stored.object)  # the genuine object reads again: the bit was the cause
        _assert_served(_fetch(tenant, stored.item.id), plaintext)

    # The api checks the stored object's size and header against what it recorded before it answers,
    # so every one of these is refused with the 500 problem before a byte is served.
    @pytest.mark.parametrize(
        ("damage", "verified_segments"),
        [
            pytest.param(lambda h, s: h + s[0] + s[2], 0, id="drop-a-segment"),
            pytest.param(lambda h, s: h + s[1] + s[0] + s[2], 0, id="swap-two-segments"),
            pytest.param(lambda h, s: h + s[0] + s[1] + s[1] + s[2], 0, id="duplicate-a-segment"),
            pytest.param(lambda h, s: h + s[0] + s[1], 0, id="truncate-before-the-last-segment"),
            pytest.param(lambda h, s: h + s[0], 0, id="truncate-after-the-first-segment"),
            pytest.param(lambda h, s: h + s[0] + s[1] + s[2] + s[2], 0, id="append-a-segment"),
            pytest.param(lambda h, s: _flip(h, 11) + b"".join(s), 0, id="change-the-header-salt"),
        ],
    )
    def test_rearranged_segments_are_refused(
        self,
        stored: Stored,
        raw_store: Minio,
        damage: Callable[[bytes, list[bytes]], bytes],
        verified_segments: int,
    ) -> None:
        header, segments = _segments(stored.object)
        assert len(header) == 32 + 32  # a 32-hex-character key id
        stored.put(raw_store, damage(header, segments))
        fetched = _fetch(stored.tenant, stored.item.id)
        _assert_refused(fetched, stored.item.data, 0, verified_until=verified_segments * SEGMENT)

    @pytest.mark.parametrize("source", ["same-organization", "other-organization"])
    def test_another_items_object_does_not_open_under_this_item(
        self, api: httpx.Client, tenant: Tenant, upload_png: UploadPng, raw_store: Minio, source: str
    ) -> None:
        owner = tenant if source == "same-organization" else Tenant.create(api)
        theirs = upload_png(owner, _image_dataset(owner), "theirs.png", b"THEIRS" + os.urandom(20_000))
        ours = upload_png(tenant, _image_dataset(tenant), "ours.png", b"OURS!!" + os.urandom(20_000))
        assert len(theirs.data) == len(ours.data)  # so the lengths cannot give the swap away

        _put_object(raw_store, tenant.org_id, ours.id, _get_object(raw_store, owner.org_id, theirs.id))

        fetched = _fetch(tenant, ours.id)
        _assert_refused(fetched, ours.data, 0, verified_until=0)
        assert theirs.data[:64] not in fetched.body
        assert theirs.data[1000:1064] not in fetched.body
        _assert_served(_fetch(owner, theirs.id), theirs.data)  # the original still opens where it belongs


# --- sealed columns ---------------------------------------------------------------------------------


def _assert_problem_without(response: httpx.Response, *secrets: str) -> None:
    _assert_integrity_problem(response.status_code, response.headers["content-type"], response.content)
    for secret in secrets:
        assert secret not in response.text


def _marked_items(tenant: Tenant, kind: str = "image") -> tuple[str, dict[str, dict[str, Any]]]:
    """A dataset with items "a" and "b", each with a marked name and attribute (and text, for a text
    dataset); returns the dataset id and, per item, its id and markers."""
    dataset = tenant.ok("POST", "/datasets", json={"name": f"d-{uuid.uuid4().hex[:6]}", "kind": kind})["id"]
    marks = {
        key: {"name": f"{key}-name-{uuid.uuid4().hex}", "secret": f"{key}-attr-{uuid.uuid4().hex}"}
        for key in ("a", "b")
    }
    if kind == "text":
        for key, m in marks.items():
            m["text"] = f"{key}-text-{uuid.uuid4().hex}"
        lines = [
            json.dumps({"name": m["name"], "text": m["text"], "attributes": {"secret": m["secret"]}})
            for m in marks.values()
        ]
        body = "\n".join(lines).encode()
        tenant.ok(
            "POST", f"/datasets/{dataset}/texts", content=body, headers={"Content-Type": "application/jsonl"}
        )
    else:
        items = [
            {"name": m["name"], "media_type": "image/png", "attributes": {"secret": m["secret"]}}
            for m in marks.values()
        ]
        tenant.ok("POST", f"/datasets/{dataset}/items", json={"items": items})
    listed = {item["name"]: item for item in tenant.ok("GET", f"/datasets/{dataset}/items")["items"]}
    for m in marks.values():
        assert listed[m["name"]]["attributes"] == {"secret": m["secret"]}
        m["id"] = listed[m["name"]]["id"]
    return dataset, marks


def _copy_column(source: Tenant, target: Tenant, column: str, from_item: str, to_item: str) -> None:
    """Copies ``data_items.<column>`` from one row to another as the api's database role, each side
    bound to its own organization (row-level security holds; the api's checks are bypassed)."""
    assert column in {"name", "attributes", "text"}  # a fixed column name: nothing to inject
    select = f"SELECT {column} FROM data_items WHERE id = :id"  # noqa: S608
    ((value,),) = sql_as_tenant(source.org_id, select, id=uuid.UUID(from_item))
    assert isinstance(value, bytes)
    assert value
    update = f"UPDATE data_items SET {column} = :value WHERE id = :id RETURNING id"  # noqa: S608
    updated = sql_as_tenant(target.org_id, update, value=value, id=uuid.UUID(to_item))
    assert updated == [(uuid.UUID(to_item),)]


class TestMovedColumnValues:
    @pytest.mark.parametrize("column", ["name", "attributes"])
    def test_a_value_copied_to_another_row_does_not_open(self, tenant: Tenant, column: str) -> None:
        dataset, marks = _marked_items(tenant)
        _copy_column(tenant, tenant, column, marks["a"]["id"], marks["b"]["id"])
        response = tenant.call("GET", f"/datasets/{dataset}/items")
        _assert_problem_without(response, marks["a"]["name"], marks["a"]["secret"], marks["b"]["secret"])

    def test_a_text_copied_to_another_item_does_not_open(self, tenant: Tenant) -> None:
        _, marks = _marked_items(tenant, kind="text")
        assert tenant.call("GET", f"/items/{marks['b']['id']}/content").text == marks["b"]["text"]
        _copy_column(tenant, tenant, "text", marks["a"]["id"], marks["b"]["id"])
        response = tenant.call("GET", f"/items/{marks['b']['id']}/content")
        _assert_problem_without(response, marks["a"]["text"], marks["b"]["text"])
        assert tenant.call("GET", f"/items/{marks['a']['id']}/content").text == marks["a"]["text"]

    @pytest.mark.parametrize("column", ["name", "attributes"])
    def test_a_value_copied_from_another_organization_does_not_open(
        self, api: httpx.Client, tenant: Tenant, column: str
    ) -> None:
        other = Tenant.create(api)
        their_dataset, theirs = _marked_items(other)
        our_dataset, ours = _marked_items(tenant)
        _copy_column(other, tenant, column, theirs["a"]["id"], ours["b"]["id"])
        response = tenant.call("GET", f"/datasets/{our_dataset}/items")
        _assert_problem_without(response, theirs["a"]["name"], theirs["a"]["secret"])
        # The other organization's own rows are untouched and still open for it.
        assert len(other.ok("GET", f"/datasets/{their_dataset}/items")["items"]) == 2


# --- append-only history: changed only by the superuser ------------------------------------------


@dataclass(frozen=True)
class Reviewed:
    task: str
    versions: list[str]  # annotation version ids, v1 then v2
    coordinates: list[str]  # the JSON text of each version's distinctive x
    reviews: list[str]  # review ids: the rejection, then the approval
    comments: list[str]


def _reviewed_task(tenant: Tenant) -> Reviewed:
    """A task annotated twice, rejected with a comment in between and approved with another."""
    project, _ = tenant.project_with_items(1)
    annotator, reviewer = tenant.member("member"), tenant.member("member")
    tenant.join(project, annotator, "annotator")
    tenant.join(project, reviewer, "reviewer")
    task = tenant.ok("POST", f"/projects/{project}/tasks/next", annotator, json={})["task"]["id"]
    versions, coordinates, reviews, comments = [], [], [], []
    for decision in ("reject", "approve"):
        x = 100_000 + int.from_bytes(os.urandom(4), "big") / 7919
        box = {"kind": "bbox", "label": "car", "x": x, "y": 1.0, "width": 3.0, "height": 4.0}
        submitted = tenant.ok(
            "POST", f"/tasks/{task}/annotations", annotator, json={"payload": {"objects": [box]}}
        )
        versions.append(submitted["id"])
        coordinates.append(repr(x))
        tenant.ok("POST", f"/projects/{project}/tasks/next", reviewer, json={"stage": "review"})
        comment = f"{decision}-comment-{uuid.uuid4().hex}"
        review = tenant.ok(
            "POST", f"/tasks/{task}/reviews", reviewer, json={"decision": decision, "comment": comment}
        )
        reviews.append(review["id"])
        comments.append(comment)
    history = tenant.ok("GET", f"/tasks/{task}/annotations")["items"]
    assert [repr(v["payload"]["objects"][0]["x"]) for v in history] == coordinates
    assert sorted(r["comment"] for r in tenant.ok("GET", f"/tasks/{task}/reviews")["items"]) == sorted(
        comments
    )
    return Reviewed(task, versions, coordinates, reviews, comments)


class TestMovedHistory:
    def test_an_annotation_payload_copied_to_another_version_does_not_open(
        self, tenant: Tenant, superuser: Superuser
    ) -> None:
        reviewed = _reviewed_task(tenant)
        first, second = (uuid.UUID(v) for v in reviewed.versions)
        statement = (
            "UPDATE annotation_versions SET payload = "
            "(SELECT payload FROM annotation_versions WHERE id = $1) WHERE id = $2 RETURNING id"
        )
        assert [row["id"] for row in superuser.execute(statement, first, second)] == [second]
        response = tenant.call("GET", f"/tasks/{reviewed.task}/annotations")
        _assert_problem_without(response, *reviewed.coordinates)

    def test_a_review_comment_copied_to_another_review_does_not_open(
        self, tenant: Tenant, superuser: Superuser
    ) -> None:
        reviewed = _reviewed_task(tenant)
        rejection, approval = (uuid.UUID(r) for r in reviewed.reviews)
        statement = (
            "UPDATE reviews SET comment = (SELECT comment FROM reviews WHERE id = $1) "
            "WHERE id = $2 RETURNING id"
        )
        assert [row["id"] for row in superuser.execute(statement, rejection, approval)] == [approval]
        response = tenant.call("GET", f"/tasks/{reviewed.task}/reviews")
        _assert_problem_without(response, *reviewed.comments)

    def test_a_payload_moved_into_a_comment_does_not_open(self, tenant: Tenant, superuser: Superuser) -> None:
        """Same organization, same key, another table and column: the binding still refuses it."""
        reviewed = _reviewed_task(tenant)
        statement = (
            "UPDATE reviews SET comment = (SELECT payload FROM annotation_versions WHERE id = $1) "
            "WHERE id = $2 RETURNING id"
        )
        superuser.execute(statement, uuid.UUID(reviewed.versions[0]), uuid.UUID(reviewed.reviews[0]))
        response = tenant.call("GET", f"/tasks/{reviewed.task}/reviews")
        _assert_problem_without(response, *reviewed.coordinates, *reviewed.comments)
