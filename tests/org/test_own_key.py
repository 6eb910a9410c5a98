"""`Clients.is_own_key`: a listed key whose redacted value has the visible start and end of a
key this run sends is the run's own (never listed nor revoked by `revoke_unmanaged_keys`)."""

from __future__ import annotations

from reconciler.providers.client import Clients, Credentials

OWN = "sk-proj-abcdefghijklmnopqrstuvwxyz0123"


def clients(*project_keys: str) -> Clients:
    made = Clients(Credentials(api_key=OWN, base_url="http://127.0.0.1:9/v1"))
    for number, key in enumerate(project_keys):
        made.use_project_key(f"proj_{number}", key)
    return made


def test_the_runs_key_is_recognised_by_its_redacted_start_and_end() -> None:
    assert clients().is_own_key("sk-pro...0123")
    assert clients().is_own_key("sk-proj-****0123")
    assert not clients().is_own_key("sk-pro...9999")
    assert not clients().is_own_key("sk-svc...0123")


def test_a_project_keys_key_is_the_runs_own_too() -> None:
    other = "sk-svcacct-zyxwvutsrqponmlkjihgfedcba98"
    assert clients(other).is_own_key("sk-svc...ba98")
    assert not clients().is_own_key("sk-svc...ba98")


def test_an_unmasked_shape_is_compared_by_its_last_four_characters() -> None:
    assert clients().is_own_key("0123")
    assert not clients().is_own_key("abcd")
