"""Sandbox: organization certificates and their activation in the organization and in a
project, through the SDK (the shapes are checked against the OpenAPI document by the
conformance and fuzz tests)."""

from __future__ import annotations

import openai
import pytest

PEM = "-----BEGIN CERTIFICATE-----\nMIIBsandbox\n-----END CERTIFICATE-----\n"


def test_upload_activate_in_org_and_project_then_delete_only_when_inactive(
    conforming_admin_client: openai.OpenAI,
) -> None:
    org = conforming_admin_client.admin.organization
    cert = org.certificates.create(certificate=PEM, name="mtls")
    assert (cert.name, cert.active) == ("mtls", False)
    assert [(c.id, c.active) for c in org.certificates.list()] == [(cert.id, False)]
    org.certificates.activate(certificate_ids=[cert.id])
    assert [c.active for c in org.certificates.list()] == [True]
    project = org.projects.create(name="Certs")
    assert [c.active for c in org.projects.certificates.list(project.id)] == [False]
    org.projects.certificates.activate(project.id, certificate_ids=[cert.id])
    assert [c.active for c in org.projects.certificates.list(project.id)] == [True]
    with pytest.raises(openai.BadRequestError):
        org.certificates.delete(cert.id)
    org.certificates.deactivate(certificate_ids=[cert.id])
    org.projects.certificates.deactivate(project.id, certificate_ids=[cert.id])
    org.certificates.delete(cert.id)
    assert list(org.certificates.list()) == []


def test_a_certificate_that_is_not_pem_is_refused(conforming_admin_client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        conforming_admin_client.admin.organization.certificates.create(
            certificate="not a certificate"
        )
    assert raised.value.code == "invalid_certificate"
