"""Fine-tuning API of the sandbox, end to end through the official SDK over HTTP.

Every SDK response is validated against the OpenAPI document (`conforming_client`); lifecycles
move by advancing the sandbox clock through the control route, never by sleeping.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import openai
import pytest
from sandbox_control import advance, key_of_project, sdk, switch

from reconciler.sandbox import SandboxHandle, running_sandbox
from reconciler.sandbox.fine_tuning_lifecycle import STATE_KIND
from reconciler.sandbox.fine_tuning_permissions import shared_model_ids

BASE = "gpt-4o-mini-2024-07-18"
FINISHED_AFTER = 3600  # sandbox seconds: more than any job of these tests needs


def example(index: int) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": "You answer support questions."},
            {"role": "user", "content": f"How do I reset password number {index}?"},
            {"role": "assistant", "content": f"Open settings and press reset {index}."},
        ]
    }


def jsonl(rows: list[Any]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


TRAINING = jsonl([example(i) for i in range(12)])


def upload(client: openai.OpenAI, data: bytes = TRAINING, purpose: str = "fine-tune") -> str:
    return client.files.create(file=("train.jsonl", data), purpose=purpose).id  # type: ignore[arg-type]


def start_job(client: openai.OpenAI, **extra: Any) -> Any:
    return client.fine_tuning.jobs.create(model=BASE, training_file=upload(client), **extra)


# -- the seed workflow ---------------------------------------------------------------------------


def test_a_job_runs_from_upload_to_a_fine_tuned_model(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    client = conforming_client
    job = start_job(client, suffix="support", metadata={"stack": "demo"})
    assert job.status == "validating_files"
    assert job.hyperparameters.n_epochs == "auto"
    assert job.fine_tuned_model is None

    advance(sandbox, 12)
    job = client.fine_tuning.jobs.retrieve(job.id)
    assert job.status == "queued"
    assert job.hyperparameters.n_epochs == 9  # resolved from "auto" for 12 examples

    advance(sandbox, 10)
    job = client.fine_tuning.jobs.retrieve(job.id)
    assert job.status == "running"
    assert job.estimated_finish is not None

    advance(sandbox, FINISHED_AFTER)
    job = client.fine_tuning.jobs.retrieve(job.id)
    assert job.status == "succeeded"
    assert re.fullmatch(rf"ft:{BASE}:sandbox:support:[A-Za-z0-9]{{8}}", job.fine_tuned_model or "")
    assert job.trained_tokens is not None and job.trained_tokens > 0
    assert job.finished_at is not None and job.finished_at <= job.created_at + 300
    assert job.estimated_finish is None


def test_events_tell_the_story_of_the_job(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    job = start_job(conforming_client)
    advance(sandbox, FINISHED_AFTER)
    events = list(conforming_client.fine_tuning.jobs.list_events(job.id, limit=100))
    messages = [event.message for event in reversed(events)]  # the API lists newest first
    assert messages[0] == f"Created fine-tuning job: {job.id}"
    assert messages[1].startswith("Validating training file: file-")
    assert "Files validated, moving job to queued state" in messages
    assert "Fine-tuning job started" in messages
    assert any(re.fullmatch(r"Step 10/108: training loss=\d\.\d\d", m) for m in messages)
    assert any(m.startswith("New fine-tuned model created: ft:") for m in messages)
    assert messages[-1] == "The job has successfully completed"
    metrics = [event for event in events if event.type == "metrics"]
    assert metrics and metrics[0].data["total_steps"] == 108  # type: ignore[index]


def test_events_page_with_after_and_limit(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    job = start_job(conforming_client)
    advance(sandbox, FINISHED_AFTER)
    first = conforming_client.fine_tuning.jobs.list_events(job.id, limit=5)
    assert len(first.data) == 5 and first.has_more
    second = conforming_client.fine_tuning.jobs.list_events(
        job.id, limit=5, after=first.data[-1].id
    )
    assert not {e.id for e in first.data} & {e.id for e in second.data}
    everything = list(conforming_client.fine_tuning.jobs.list_events(job.id, limit=7))
    assert len(everything) == len({e.id for e in everything}) > 50  # auto-paging saw them all


def test_checkpoints_are_the_last_three_epochs(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    job = start_job(conforming_client, suffix="ckpt")
    advance(sandbox, FINISHED_AFTER)
    job = conforming_client.fine_tuning.jobs.retrieve(job.id)
    checkpoints = list(conforming_client.fine_tuning.jobs.checkpoints.list(job.id))
    assert [c.step_number for c in checkpoints] == [108, 96, 84]  # newest first
    assert [c.fine_tuned_model_checkpoint for c in checkpoints] == [
        f"{job.fine_tuned_model}:ckpt-step-{step}" for step in (108, 96, 84)
    ]
    assert all(c.metrics.train_loss is not None for c in checkpoints)


def test_the_result_file_holds_per_step_metrics_base64_encoded(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    validation = upload(conforming_client, jsonl([example(i) for i in range(3)]))
    job = start_job(conforming_client, validation_file=validation)
    advance(sandbox, FINISHED_AFTER)
    job = conforming_client.fine_tuning.jobs.retrieve(job.id)
    result = conforming_client.files.retrieve(job.result_files[0])
    assert (result.purpose, result.filename) == ("fine-tune-results", "step_metrics.csv")
    text = base64.b64decode(conforming_client.files.content(result.id).read()).decode()
    rows = text.splitlines()
    assert rows[0] == "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"
    assert len(rows) == 1 + 108
    assert rows[1].startswith("1,") and rows[1].endswith(",,")  # no validation at step 1
    assert re.fullmatch(r"10,[\d.]+,[\d.]+,[\d.]+,[\d.]+", rows[10])


def test_the_fine_tuned_model_answers_from_its_training_data(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    job = start_job(conforming_client)
    advance(sandbox, FINISHED_AFTER)
    job = conforming_client.fine_tuning.jobs.retrieve(job.id)
    assert job.fine_tuned_model is not None
    model = conforming_client.models.retrieve(job.fine_tuned_model)
    assert model.owned_by == "org-sandbox"
    question = example(7)["messages"][1]["content"]
    answer = conforming_client.responses.create(model=job.fine_tuned_model, input=question)
    assert answer.output_text == example(7)["messages"][2]["content"]
    checkpoint = next(iter(conforming_client.fine_tuning.jobs.checkpoints.list(job.id)))
    conforming_client.models.retrieve(checkpoint.fine_tuned_model_checkpoint)


def test_a_success_records_where_the_model_comes_from(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    job = start_job(conforming_client)
    advance(sandbox, FINISHED_AFTER)
    job = conforming_client.fine_tuning.jobs.retrieve(job.id)
    store = sandbox.app.state.sandbox.store
    project = sandbox.app.state.sandbox.default_project_id
    source = store.get("ft_model_source", job.fine_tuned_model, scope=project)
    assert source == {
        "id": job.fine_tuned_model,
        "base_model": BASE,
        "training_file": job.training_file,
        "project_id": project,
        "job_id": job.id,
    }


def test_a_fine_tuned_model_can_be_trained_further(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    first = start_job(conforming_client, suffix="v1")
    advance(sandbox, FINISHED_AFTER)
    model = conforming_client.fine_tuning.jobs.retrieve(first.id).fine_tuned_model
    assert model is not None
    second = conforming_client.fine_tuning.jobs.create(
        model=model, training_file=upload(conforming_client), suffix="v2"
    )
    advance(sandbox, FINISHED_AFTER)
    second = conforming_client.fine_tuning.jobs.retrieve(second.id)
    assert second.model == model
    assert (second.fine_tuned_model or "").startswith(f"ft:{BASE}:sandbox:v2:")
    conforming_client.models.delete(model)
    with pytest.raises(openai.BadRequestError, match="not available for fine-tuning"):
        conforming_client.fine_tuning.jobs.create(model=model, training_file=second.training_file)


@pytest.mark.parametrize(
    ("alias", "snapshot"),
    [("gpt-4o-mini", "gpt-4o-mini-2024-07-18"), ("gpt-4.1-nano", "gpt-4.1-nano-2025-04-14")],
)
def test_an_alias_trains_its_snapshot(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle, alias: str, snapshot: str
) -> None:
    """As the API reference's example: `model: gpt-4o-mini` makes a job on the snapshot."""
    job = conforming_client.fine_tuning.jobs.create(
        model=alias, training_file=upload(conforming_client), suffix="alias"
    )
    assert job.model == snapshot
    advance(sandbox, FINISHED_AFTER)
    job = conforming_client.fine_tuning.jobs.retrieve(job.id)
    assert (job.fine_tuned_model or "").startswith(f"ft:{snapshot}:sandbox:alias:")


# -- data that fails validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            [example(i) for i in range(5)],
            "Training file has 5 example(s), but must have at least 10",
        ),
        (
            [*(example(i) for i in range(11)), {"messages": [{"role": "robot", "content": "x"}]}],
            "Line 12: messages 1: unrecognized role 'robot'",
        ),
        (
            [
                *(example(i) for i in range(2)),
                {"prompt": "old format"},
                *(example(i) for i in range(9)),
            ],
            "Line 3: 'messages' must be a non-empty array",
        ),
        (
            [{"messages": [{"role": "user", "content": "no answer"}]}] * 10,
            "Line 1: the example has no assistant message",
        ),
    ],
)
def test_bad_training_data_fails_the_job_with_a_clear_error(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle, rows: list[Any], expected: str
) -> None:
    job = conforming_client.fine_tuning.jobs.create(
        model=BASE, training_file=upload(conforming_client, jsonl(rows))
    )
    advance(sandbox, 11)
    job = conforming_client.fine_tuning.jobs.retrieve(job.id)
    assert job.status == "failed"
    assert job.error is not None
    assert job.error.code == "invalid_training_file"
    assert job.error.param == "training_file"
    assert job.error.message.startswith("The job failed due to an invalid training file.")
    assert expected in job.error.message
    assert job.fine_tuned_model is None and job.finished_at is not None
    events = conforming_client.fine_tuning.jobs.list_events(job.id)
    assert events.data[0].level == "error" and expected in events.data[0].message


def test_a_bad_validation_file_fails_with_its_own_code(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    bad = upload(conforming_client, jsonl([{"messages": []}]))
    job = start_job(conforming_client, validation_file=bad)
    advance(sandbox, 11)
    error = conforming_client.fine_tuning.jobs.retrieve(job.id).error
    assert error is not None
    assert (error.code, error.param) == ("invalid_validation_file", "validation_file")


def test_a_file_that_is_not_jsonl_is_refused_at_upload(conforming_client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="Line 2 is not a dictionary"):
        upload(conforming_client, b'{"messages": []}\nnot json\n')


# -- request checks ------------------------------------------------------------------------------

LONG_SUFFIX = "s" * 65
TOO_MUCH_METADATA = {f"k{i}": "v" for i in range(17)}


@pytest.mark.parametrize(
    ("extra", "param", "fragment"),
    [
        ({"model": "gpt-5.6-sol"}, "model", "not available for fine-tuning"),
        ({"model": "ft:gpt-4o-mini-2024-07-18:other:x:abcdefgh"}, "model", "not available"),
        ({"hyperparameters": {"n_epochs": 51}}, "hyperparameters.n_epochs", "<= 50"),
        ({"hyperparameters": {"batch_size": 0}}, "hyperparameters.batch_size", ">= 1"),
        ({"hyperparameters": {"batch_size": 257}}, "hyperparameters.batch_size", "<= 256"),
        (
            {"hyperparameters": {"learning_rate_multiplier": 0}},
            "hyperparameters.learning_rate_multiplier",
            "greater than 0",
        ),
        ({"hyperparameters": {"n_epochs": "many"}}, "hyperparameters.n_epochs", "'auto'"),
        (
            {"method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 0}}}},
            "method.supervised.hyperparameters.n_epochs",
            ">= 1",
        ),
        (
            {"method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 3}}}},
            "method.dpo.hyperparameters.beta",
            "<= 2",
        ),
        (
            {"method": {"type": "supervised", "supervised": {"hyperparameters": {"beta": 1}}}},
            "method.supervised.hyperparameters.beta",
            "Unknown parameter",
        ),
        ({"method": {"type": "distillation"}}, "method.type", "Supported values"),
        (
            {"method": {"type": "reinforcement", "reinforcement": {}}},
            "method.reinforcement.grader",
            "Missing",
        ),
        (
            {"method": {"type": "supervised"}, "hyperparameters": {"n_epochs": 2}},
            "hyperparameters",
            "cannot be combined",
        ),
        ({"suffix": LONG_SUFFIX}, "suffix", "maximum length 64"),
        ({"metadata": TOO_MUCH_METADATA}, "metadata", "at most 16"),
        ({"seed": -1}, "seed", ">= 0"),
        ({"integrations": [{"type": "slack"}]}, "integrations[0].type", "wandb"),
        ({"validation_file": "file-missing"}, "validation_file", "invalid validation_file"),
    ],
)
def test_invalid_requests_are_refused_naming_the_param(
    conforming_client: openai.OpenAI, extra: dict[str, Any], param: str, fragment: str
) -> None:
    body: dict[str, Any] = {"model": BASE, "training_file": upload(conforming_client), **extra}
    with pytest.raises(openai.BadRequestError) as raised:
        conforming_client.fine_tuning.jobs.create(**body)
    error = raised.value.body
    assert isinstance(error, dict)
    assert error["param"] == param
    assert fragment in error["message"]


def test_the_training_file_must_exist_in_the_project(conforming_client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="invalid training_file: file-nope"):
        conforming_client.fine_tuning.jobs.create(model=BASE, training_file="file-nope")


def test_the_training_file_must_have_purpose_fine_tune(conforming_client: openai.OpenAI) -> None:
    batch_file = upload(conforming_client, TRAINING, purpose="batch")
    with pytest.raises(openai.BadRequestError, match="expected 'fine-tune', got 'batch'"):
        conforming_client.fine_tuning.jobs.create(model=BASE, training_file=batch_file)


def test_unknown_parameters_are_refused(conforming_client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="Unknown parameter: 'epochs'"):
        conforming_client.fine_tuning.jobs.create(
            model=BASE, training_file=upload(conforming_client), extra_body={"epochs": 3}
        )


def test_accepted_options_are_echoed(conforming_client: openai.OpenAI) -> None:
    wandb = {"type": "wandb", "wandb": {"project": "ft", "tags": ["a"]}}
    job = conforming_client.fine_tuning.jobs.create(
        model="gpt-4.1-nano-2025-04-14",
        training_file=upload(conforming_client),
        seed=42,
        integrations=[wandb],  # type: ignore[list-item]
        method={"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.5, "n_epochs": 2}}},
    )
    assert job.seed == 42
    assert job.integrations is not None and job.integrations[0].wandb.project == "ft"
    assert job.method is not None and job.method.dpo is not None
    assert job.method.dpo.hyperparameters is not None
    assert job.method.dpo.hyperparameters.beta == 0.5


def test_training_not_available_switch_answers_403(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    training_file = upload(conforming_client)
    switch(sandbox, "training_not_available", True)
    with pytest.raises(openai.PermissionDeniedError) as raised:
        conforming_client.fine_tuning.jobs.create(model=BASE, training_file=training_file)
    assert raised.value.status_code == 403
    assert raised.value.code == "training_not_available"
    assert "no longer able to create new fine-tuning training jobs" in raised.value.message
    switch(sandbox, "training_not_available", False)
    assert conforming_client.fine_tuning.jobs.create(model=BASE, training_file=training_file).id


# -- list, retrieve, scoping ---------------------------------------------------------------------


def test_list_filters_by_metadata_as_the_sdk_sends_it(conforming_client: openai.OpenAI) -> None:
    tagged = start_job(conforming_client, metadata={"stack": "prod", "kind": "ft"})
    start_job(conforming_client, metadata={"stack": "dev"})
    untagged = start_job(conforming_client)
    jobs = conforming_client.fine_tuning.jobs
    assert [j.id for j in jobs.list(metadata={"stack": "prod"})] == [tagged.id]
    assert [j.id for j in jobs.list(metadata={"stack": "prod", "kind": "x"})] == []
    assert len(list(jobs.list())) == 3
    assert [j.id for j in jobs.list(extra_query={"metadata": "null"})] == [untagged.id]


def test_list_pages_newest_first(conforming_client: openai.OpenAI) -> None:
    ids = [start_job(conforming_client).id for _ in range(3)]
    page = conforming_client.fine_tuning.jobs.list(limit=2)
    assert [j.id for j in page.data] == ids[::-1][:2] and page.has_more
    rest = conforming_client.fine_tuning.jobs.list(limit=2, after=page.data[-1].id)
    assert [j.id for j in rest.data] == [ids[0]] and not rest.has_more


def test_an_unknown_job_is_404(conforming_client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError, match="Could not find fine tune: ftjob-nope"):
        conforming_client.fine_tuning.jobs.retrieve("ftjob-nope")


def test_jobs_are_invisible_from_another_project(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    job = start_job(conforming_client)
    store = sandbox.app.state.sandbox.store
    store.put("project", {"id": "proj_other", "object": "organization.project", "status": "active"})
    other = conforming_client.with_options(api_key=key_of_project(sandbox, "proj_other"))
    with pytest.raises(openai.NotFoundError):
        other.fine_tuning.jobs.retrieve(job.id)
    assert list(other.fine_tuning.jobs.list()) == []


# -- cancel, pause, resume -----------------------------------------------------------------------


def test_cancel_stops_a_job_and_only_once(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    jobs = conforming_client.fine_tuning.jobs
    job = start_job(conforming_client)
    advance(sandbox, 30)
    assert jobs.cancel(job.id).status == "cancelled"
    advance(sandbox, FINISHED_AFTER)
    job = jobs.retrieve(job.id)
    assert job.status == "cancelled" and job.fine_tuned_model is None
    assert jobs.list_events(job.id).data[0].message == "Fine-tuning job cancelled"
    with pytest.raises(openai.BadRequestError, match="already finished"):
        jobs.cancel(job.id)


def test_pause_holds_a_running_job_until_resumed(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    jobs = conforming_client.fine_tuning.jobs
    job = start_job(conforming_client)
    with pytest.raises(openai.BadRequestError, match="Only running jobs can be paused"):
        jobs.pause(job.id)
    advance(sandbox, 60)
    finish = jobs.retrieve(job.id).estimated_finish
    paused = jobs.pause(job.id)
    assert paused.status == "running" and paused.estimated_finish is None
    with pytest.raises(openai.BadRequestError, match="already paused"):
        jobs.pause(job.id)
    advance(sandbox, 1000)
    assert jobs.retrieve(job.id).status == "running"
    resumed = jobs.resume(job.id)
    assert finish is not None and resumed.estimated_finish is not None
    assert resumed.estimated_finish >= finish + 1000
    with pytest.raises(openai.BadRequestError, match="not paused"):
        jobs.resume(job.id)
    advance(sandbox, FINISHED_AFTER)
    assert jobs.retrieve(job.id).status == "succeeded"
    messages = [e.message for e in jobs.list_events(job.id, limit=100)]
    assert "Fine-tuning job paused" in messages and "Fine-tuning job resumed" in messages


# -- checkpoint permissions (admin key) ---------------------------------------------------------


@pytest.fixture
def finished_model(conforming_client: openai.OpenAI, sandbox: SandboxHandle) -> str:
    job = start_job(conforming_client, suffix="shared")
    advance(sandbox, FINISHED_AFTER)
    model = conforming_client.fine_tuning.jobs.retrieve(job.id).fine_tuned_model
    assert model is not None
    sandbox.app.state.sandbox.store.put(
        "project", {"id": "proj_other", "object": "organization.project", "status": "active"}
    )
    return model


@pytest.fixture
def admin_sdk(conforming_client: openai.OpenAI, sandbox: SandboxHandle) -> openai.OpenAI:
    """The checkpoint-permission endpoints take the admin key as the bearer key."""
    return conforming_client.with_options(api_key=sandbox.admin_key)


def test_checkpoint_permissions_share_a_model_with_another_project(
    admin_sdk: openai.OpenAI, sandbox: SandboxHandle, finished_model: str
) -> None:
    permissions = admin_sdk.fine_tuning.checkpoints.permissions
    created = permissions.create(finished_model, project_ids=["proj_other"])
    assert [p.project_id for p in created] == ["proj_other"]
    assert shared_model_ids(sandbox.app.state.sandbox, "proj_other") == [finished_model]
    listed = permissions.list(finished_model)
    assert [p.id for p in listed] == [created.data[0].id]
    assert list(permissions.list(finished_model, project_id="proj_nobody")) == []
    deleted = permissions.delete(created.data[0].id, fine_tuned_model_checkpoint=finished_model)
    assert deleted.deleted and deleted.id == created.data[0].id
    assert list(permissions.list(finished_model)) == []
    audit = sandbox.app.state.sandbox.store.list("audit_log")
    assert [entry["type"] for entry in audit] == [
        "checkpoint.permission.created",
        "checkpoint.permission.deleted",
    ]


def test_a_shared_model_answers_in_the_other_project(
    admin_sdk: openai.OpenAI,
    conforming_client: openai.OpenAI,
    sandbox: SandboxHandle,
    finished_model: str,
) -> None:
    """Project B (with its own project key) may call,
    list and retrieve a model shared with it, but not delete it; unshared, it is gone again."""
    project_b = conforming_client.with_options(api_key=key_of_project(sandbox, "proj_other"))
    question = example(4)["messages"][1]["content"]
    with pytest.raises(openai.NotFoundError):
        project_b.responses.create(model=finished_model, input=question)
    permissions = admin_sdk.fine_tuning.checkpoints.permissions
    created = permissions.create(finished_model, project_ids=["proj_other"])
    answer = project_b.responses.create(model=finished_model, input=question)
    assert answer.output_text == example(4)["messages"][2]["content"]
    assert project_b.models.retrieve(finished_model).owned_by == "org-sandbox"
    assert finished_model in {m.id for m in project_b.models.list()}
    with pytest.raises(openai.PermissionDeniedError):
        project_b.models.delete(finished_model)
    assert conforming_client.models.retrieve(finished_model).id == finished_model
    permissions.delete(created.data[0].id, fine_tuned_model_checkpoint=finished_model)
    assert finished_model not in {m.id for m in project_b.models.list()}
    with pytest.raises(openai.NotFoundError):
        project_b.responses.create(model=finished_model, input=question)


def test_checkpoint_permissions_refuse_bad_requests(
    admin_sdk: openai.OpenAI, conforming_client: openai.OpenAI, finished_model: str
) -> None:
    permissions = admin_sdk.fine_tuning.checkpoints.permissions
    with pytest.raises(openai.NotFoundError):
        permissions.create("ft:gpt-4o-mini-2024-07-18:x::nothere", project_ids=["proj_other"])
    with pytest.raises(openai.BadRequestError, match="not found"):
        permissions.create(finished_model, project_ids=["proj_missing"])
    permissions.create(finished_model, project_ids=["proj_other"])
    with pytest.raises(openai.BadRequestError, match="already has access"):
        permissions.create(finished_model, project_ids=["proj_other"])
    with pytest.raises(openai.AuthenticationError):
        conforming_client.fine_tuning.checkpoints.permissions.list(finished_model)


def test_jobs_persist_their_private_state(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    job = start_job(conforming_client)
    state = sandbox.app.state.sandbox.store.get(STATE_KIND, job.id)
    assert state is not None and state["plan"]["examples"] == 12


def test_a_job_carries_on_after_a_restart(tmp_path: Any) -> None:
    state_file = tmp_path / "sandbox.sqlite3"
    with running_sandbox(state_file) as first, sdk(first) as client:
        job = start_job(client)
        advance(first, 30)
        assert client.fine_tuning.jobs.retrieve(job.id).status == "running"
    with running_sandbox(state_file) as second, sdk(second) as client:
        advance(second, FINISHED_AFTER)
        job = client.fine_tuning.jobs.retrieve(job.id)
        assert job.status == "succeeded" and job.fine_tuned_model is not None
        assert len(list(client.fine_tuning.jobs.checkpoints.list(job.id))) == 3
