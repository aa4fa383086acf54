"""The labeling workflow end to end through the api: import, assign, take, submit, review, reject."""

from __future__ import annotations

import uuid

from tests.integration.domain.world import BOX, Tenant


class TestWorkflow:
    def test_annotate_review_reject_and_approve(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(2)
        annotator = tenant.member("member")
        reviewer = tenant.member("member")
        tenant.join(project, annotator, "annotator")
        tenant.join(project, reviewer, "reviewer")

        taken = tenant.ok("POST", f"/projects/{project}/tasks/next", annotator, json={})["task"]
        assert taken["assignee_id"] == str(annotator)
        task = taken["id"]

        first = tenant.call("POST", f"/tasks/{task}/annotations", annotator, json={"payload": BOX})
        assert first.status_code == 201, first.text
        assert first.json()["version"] == 1

        review = tenant.ok("POST", f"/projects/{project}/tasks/next", reviewer, json={"stage": "review"})[
            "task"
        ]
        assert review["id"] == task
        rejected = tenant.ok(
            "POST", f"/tasks/{task}/reviews", reviewer, json={"decision": "reject", "comment": "tighter box"}
        )
        assert rejected["decision"] == "reject"
        # Rejected work goes back to its annotator, who submits a second version.
        assert tenant.ok("GET", f"/tasks/{task}", annotator)["stage"] == "annotate"
        second = tenant.ok("POST", f"/tasks/{task}/annotations", annotator, json={"payload": BOX})
        assert second["version"] == 2
        tenant.ok("POST", f"/tasks/{task}/reviews", reviewer, json={"decision": "approve"})
        assert tenant.ok("GET", f"/tasks/{task}")["stage"] == "done"
        history = tenant.ok("GET", f"/tasks/{task}/annotations", annotator)["items"]
        assert [v["version"] for v in history] == [1, 2]

    def test_retried_submission_makes_one_version(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(1)
        annotator = tenant.member("member")
        tenant.join(project, annotator, "annotator")
        task = tenant.ok("POST", f"/projects/{project}/tasks/next", annotator, json={})["task"]["id"]
        key = {"Idempotency-Key": f"submit-{uuid.uuid4().hex}"}
        first = tenant.call(
            "POST", f"/tasks/{task}/annotations", annotator, json={"payload": BOX}, headers=key
        )
        again = tenant.call(
            "POST", f"/tasks/{task}/annotations", annotator, json={"payload": BOX}, headers=key
        )
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["id"] == again.json()["id"]
        assert len(tenant.ok("GET", f"/tasks/{task}/annotations")["items"]) == 1
        different = tenant.call(
            "POST", f"/tasks/{task}/annotations", annotator, json={"payload": {"objects": []}}, headers=key
        )
        assert different.status_code == 409

    def test_labels_outside_the_ontology_are_refused_and_nothing_is_written(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(1)
        annotator = tenant.member("member")
        tenant.join(project, annotator, "annotator")
        task = tenant.ok("POST", f"/projects/{project}/tasks/next", annotator, json={})["task"]["id"]
        bad = {"objects": [{"kind": "polygon", "label": "car", "points": [[0, 0], [1, 0], [1, 1]]}]}
        response = tenant.call("POST", f"/tasks/{task}/annotations", annotator, json={"payload": bad})
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("application/problem+json")
        assert tenant.ok("GET", f"/tasks/{task}/annotations")["items"] == []
        assert tenant.ok("GET", f"/tasks/{task}")["stage"] == "annotate"

    def test_a_skip_is_a_version_with_nothing_labelled_that_review_sees(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(1)
        annotator = tenant.member("member")
        reviewer = tenant.member("member")
        tenant.join(project, annotator, "annotator")
        tenant.join(project, reviewer, "reviewer")
        task = tenant.ok("POST", f"/projects/{project}/tasks/next", annotator, json={})["task"]["id"]
        labelled = tenant.call(
            "POST", f"/tasks/{task}/annotations", annotator, json={"payload": BOX, "skipped": True}
        )
        assert labelled.status_code == 400
        assert "skipped" in labelled.json()["detail"]
        assert tenant.ok("GET", f"/tasks/{task}/annotations")["items"] == []

        skipped = tenant.call(
            "POST", f"/tasks/{task}/annotations", annotator, json={"payload": {}, "skipped": True}
        )
        assert skipped.status_code == 201, skipped.text
        assert skipped.json()["skipped"] is True
        assert tenant.ok("GET", f"/tasks/{task}")["stage"] == "review"
        taken = tenant.ok("POST", f"/projects/{project}/tasks/next", reviewer, json={"stage": "review"})
        assert taken["task"]["id"] == task
        [version] = tenant.ok("GET", f"/tasks/{task}/annotations", reviewer)["items"]
        assert (version["skipped"], version["payload"]) == (True, {"objects": [], "classifications": {}})
        # The reviewer does not accept the skip: the task is back with its annotator, to label.
        tenant.ok(
            "POST", f"/tasks/{task}/reviews", reviewer, json={"decision": "reject", "comment": "readable"}
        )
        second = tenant.ok("POST", f"/tasks/{task}/annotations", annotator, json={"payload": BOX})
        assert second["skipped"] is False

    def test_a_projects_datasets_are_listed_once_each(self, tenant: Tenant) -> None:
        project, dataset = tenant.project_with_items(1)
        other = tenant.ok("POST", "/datasets", json={"name": f"a-{uuid.uuid4().hex[:6]}", "kind": "image"})
        for _ in range(2):  # attaching again changes nothing
            tenant.ok("POST", f"/projects/{project}/datasets", json={"dataset_id": other["id"]})
        listed = tenant.ok("GET", f"/projects/{project}/datasets")["items"]
        assert sorted(d["id"] for d in listed) == sorted([dataset, other["id"]])
        assert {d["kind"] for d in listed} == {"image"}
        assert [d["name"] for d in listed] == sorted(d["name"] for d in listed)

    def test_updates_need_the_current_etag(self, tenant: Tenant) -> None:
        project = tenant.call("GET", "/organization")
        etag = project.headers["etag"]
        missing = tenant.call("PATCH", "/organization", json={"name": "Renamed"})
        assert missing.status_code == 428
        done = tenant.call("PATCH", "/organization", json={"name": "Renamed"}, headers={"If-Match": etag})
        assert done.status_code == 200, done.text
        stale = tenant.call("PATCH", "/organization", json={"name": "Again"}, headers={"If-Match": etag})
        assert stale.status_code == 412

    def test_removed_tasks_disappear(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(2)
        tasks = tenant.ok("GET", f"/projects/{project}/tasks")["items"]
        assert tenant.call("DELETE", f"/tasks/{tasks[0]['id']}").status_code == 204
        assert tenant.call("GET", f"/tasks/{tasks[0]['id']}").status_code == 404
        assert [t["id"] for t in tenant.ok("GET", f"/projects/{project}/tasks")["items"]] == [tasks[1]["id"]]

    def test_taskers_read_their_projects_ontology_but_not_the_catalogue(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(1)
        tasker = tenant.member("tasker")
        tenant.join(project, tasker, "annotator")
        ontology = tenant.ok("GET", f"/projects/{project}/ontology", tasker)
        assert {o["name"] for o in ontology["definition"]["objects"]} == {"car", "road"}
        assert tenant.call("GET", "/ontologies", tasker).status_code == 403

    def test_workforce_managers_list_only_taskers(self, tenant: Tenant) -> None:
        manager = tenant.member("workforce_manager")
        tasker = tenant.member("tasker")
        tenant.member("member")
        listed = tenant.ok("GET", "/members", manager)["items"]
        assert [m["user_id"] for m in listed] == [str(tasker)]
        assert tenant.ok("GET", "/members?role=admin", manager)["items"] == []

    def test_team_managers_cannot_hand_out_managing_roles(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(1)
        manager = tenant.member("member")
        colleague = tenant.member("member")
        tenant.join(project, manager, "team_manager")
        grant = {"user_id": str(colleague), "role": "admin"}
        assert tenant.call("POST", f"/projects/{project}/members", manager, json=grant).status_code == 403
        grant["role"] = "annotator"
        assert tenant.call("POST", f"/projects/{project}/members", manager, json=grant).status_code == 201
        promote = tenant.call(
            "PATCH", f"/projects/{project}/members/{manager}", manager, json={"role": "admin"}
        )
        assert promote.status_code == 403

    def test_taskers_cannot_be_given_a_managing_project_role(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(1)
        tasker = tenant.member("tasker")
        body = {"user_id": str(tasker), "role": "team_manager"}
        response = tenant.call("POST", f"/projects/{project}/members", json=body)
        assert response.status_code == 400
        assert "Taskers" in response.json()["detail"]

    def test_the_last_admin_cannot_be_removed_or_demoted(self, tenant: Tenant) -> None:
        me = f"/members/{tenant.admin_id}"
        assert tenant.call("DELETE", me).status_code == 409
        demote = tenant.call("PATCH", me, json={"role": "member"}, headers={"If-Match": "*"})
        assert demote.status_code == 409
        second = tenant.member("admin")
        assert tenant.call("DELETE", me, second).status_code == 204
