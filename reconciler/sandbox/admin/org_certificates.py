"""Organization certificates (mutual TLS) and their activation, for the organization and for
each project.

Serves /organization/certificates[/{id}|/activate|/deactivate] and
/organization/projects/{project_id}/certificates[/activate|/deactivate]. Certificates are
`"certificate"` records (uploaded PEM, a name, org-level `active`); a project's activations are
`"project_certificate"` records (scope = the project id). The PEM is checked for its armour only
(no X.509 parsing): it is valid from its upload for a year. An active certificate (in the
organization or any project) cannot be deleted.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import APIError, Obj, check_params, check_type, invalid, json_body, json_response
from ..http import paginate as http_paginate
from ..store import new_id
from .org_common import AdminContext, admin_context, path_param, record_event
from .project_common import admin_project

VALID_FOR_SECONDS = 365 * 24 * 3600
MAX_TOGGLE = 10
_BEGIN, _END = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"


def _find(context: AdminContext, certificate_id: str, param: str = "certificate_id") -> Obj:
    certificate = context.sandbox.store.get("certificate", certificate_id)
    if certificate is None:
        raise APIError(404, f"Certificate with ID '{certificate_id}' not found.", param=param)
    return certificate


def _view(certificate: Obj, object_type: str, active: bool | None = None) -> Obj:
    return {
        "object": object_type,
        "id": certificate["id"],
        "name": certificate["name"],
        "created_at": certificate["created_at"],
        "certificate_details": dict(certificate["certificate_details"]),
        "active": certificate["active"] if active is None else active,
    }


def _project_active(context: AdminContext, project_id: str) -> set[str]:
    records = context.sandbox.store.list("project_certificate", scope=project_id)
    return {r["certificate_id"] for r in records}


async def list_certificates(request: Request) -> Response:
    context = admin_context(request)
    items = [
        _view(c, "organization.certificate") for c in context.sandbox.store.list("certificate")
    ]
    return http_paginate(request, items, default_limit=20, max_limit=100, default_order="desc")


async def upload_certificate(request: Request) -> Response:
    context = admin_context(request)
    body = await json_body(request)
    check_params(body, allowed=("name",), required=("certificate",))
    content = body["certificate"]
    check_type(content, str, "certificate")
    text = content.strip()
    if not (text.startswith(_BEGIN) and text.endswith(_END)):
        raise invalid(
            "Invalid certificate: expected a PEM-encoded X.509 certificate.",
            param="certificate",
            code="invalid_certificate",
        )
    name = body.get("name")
    if name is not None:
        check_type(name, str, "name")
    now = context.now
    certificate: Obj = {
        "id": new_id("cert_"),
        "name": name,
        "created_at": now,
        "certificate_details": {"valid_at": now, "expires_at": now + VALID_FOR_SECONDS},
        "active": False,
        "content": text,
    }
    context.sandbox.store.put("certificate", certificate)
    record_event(context, "certificate.created", {"id": certificate["id"], "name": name or ""})
    return json_response(_view(certificate, "certificate"))


async def retrieve_certificate(request: Request) -> Response:
    context = admin_context(request)
    certificate = _find(context, path_param(request, "certificate_id"))
    view = _view(certificate, "certificate")
    if "content" in request.query_params.getlist("include"):
        view["certificate_details"]["content"] = certificate["content"]
    return json_response(view)


async def modify_certificate(request: Request) -> Response:
    context = admin_context(request)
    certificate = _find(context, path_param(request, "certificate_id"))
    body = await json_body(request)
    check_params(body, allowed=("name",))
    if body.get("name") is not None:
        check_type(body["name"], str, "name")
        certificate["name"] = body["name"]
        context.sandbox.store.put("certificate", certificate)
        record_event(
            context, "certificate.updated", {"id": certificate["id"], "name": body["name"]}
        )
    return json_response(_view(certificate, "certificate"))


async def delete_certificate(request: Request) -> Response:
    context = admin_context(request)
    certificate = _find(context, path_param(request, "certificate_id"))
    store = context.sandbox.store
    in_use = store.list(
        "project_certificate", where=lambda r: r["certificate_id"] == certificate["id"]
    )
    if certificate["active"] or in_use:
        raise invalid(
            "Certificate is active; deactivate it in the organization and every project first.",
            param="certificate_id",
            code="certificate_active",
        )
    store.delete("certificate", certificate["id"])
    record_event(context, "certificate.deleted", {"id": certificate["id"]})
    return json_response({"object": "certificate.deleted", "id": certificate["id"]})


async def _toggled(request: Request, context: AdminContext) -> list[Obj]:
    body = await json_body(request)
    check_params(body, allowed=(), required=("certificate_ids",))
    ids = body["certificate_ids"]
    check_type(ids, list, "certificate_ids")
    if not 1 <= len(ids) <= MAX_TOGGLE:
        raise invalid(
            f"'certificate_ids' must hold 1 to {MAX_TOGGLE} ids.",
            param="certificate_ids",
            code="invalid_value",
        )
    found = []
    for index, certificate_id in enumerate(ids):
        check_type(certificate_id, str, f"certificate_ids[{index}]")
        found.append(_find(context, certificate_id, param=f"certificate_ids[{index}]"))
    return found


def _org_toggle(active: bool) -> Any:
    async def handler(request: Request) -> Response:
        context = admin_context(request)
        certificates = await _toggled(request, context)
        for certificate in certificates:
            certificate["active"] = active
            context.sandbox.store.put("certificate", certificate)
        _record_toggle(context, certificates, active)
        data = [_view(c, "organization.certificate") for c in certificates]
        kind = "activation" if active else "deactivation"
        return json_response({"object": f"organization.certificate.{kind}", "data": data})

    return handler


def _record_toggle(context: AdminContext, certificates: list[Obj], active: bool) -> None:
    event = "certificates.activated" if active else "certificates.deactivated"
    listed = [{"id": c["id"], "name": c["name"] or ""} for c in certificates]
    record_event(context, event, {"certificates": listed})


async def list_project_certificates(request: Request) -> Response:
    context, project = admin_project(request)
    active = _project_active(context, project["id"])
    items = [
        _view(c, "organization.project.certificate", c["id"] in active)
        for c in context.sandbox.store.list("certificate")
    ]
    return http_paginate(request, items, default_limit=20, max_limit=100, default_order="desc")


def _project_toggle(active: bool) -> Any:
    async def handler(request: Request) -> Response:
        context, project = admin_project(request, write=True)
        certificates = await _toggled(request, context)
        store = context.sandbox.store
        for certificate in certificates:
            key = f"{project['id']}:{certificate['id']}"
            if active:
                record = {"id": key, "certificate_id": certificate["id"]}
                store.put("project_certificate", record, scope=project["id"])
            elif store.get("project_certificate", key) is not None:
                store.delete("project_certificate", key)
        _record_toggle(context, certificates, active)
        held = _project_active(context, project["id"])
        data = [_view(c, "organization.project.certificate", c["id"] in held) for c in certificates]
        kind = "activation" if active else "deactivation"
        return json_response({"object": f"organization.project.certificate.{kind}", "data": data})

    return handler


_PROJECT = "/organization/projects/{project_id}/certificates"
ROUTES: list[BaseRoute] = [
    Route("/organization/certificates", list_certificates, methods=["GET"]),
    Route("/organization/certificates", upload_certificate, methods=["POST"]),
    Route("/organization/certificates/activate", _org_toggle(True), methods=["POST"]),
    Route("/organization/certificates/deactivate", _org_toggle(False), methods=["POST"]),
    Route("/organization/certificates/{certificate_id}", retrieve_certificate, methods=["GET"]),
    Route("/organization/certificates/{certificate_id}", modify_certificate, methods=["POST"]),
    Route("/organization/certificates/{certificate_id}", delete_certificate, methods=["DELETE"]),
    Route(_PROJECT, list_project_certificates, methods=["GET"]),
    Route(_PROJECT + "/activate", _project_toggle(True), methods=["POST"]),
    Route(_PROJECT + "/deactivate", _project_toggle(False), methods=["POST"]),
]
