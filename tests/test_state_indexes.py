"""The lookups of `LiveState`, `Ownership` and `Plan` answer from indexes exactly as the scans
they replace did (first match in order), and an index never shows in equality, dumps or copies.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.plan import Action, Plan, ResourceChange
from reconciler.state import LiveObject, LiveState, OwnedEntry, Ownership

KINDS = st.sampled_from(["Project", "Dataset", "Batch"])
IDS = st.sampled_from(["a", "b", "c", "d"])
ADDRESSES = st.none() | st.sampled_from(["Project/x", "Dataset/y", "Batch/z"])
OBJECTS = st.lists(
    st.builds(LiveObject, kind=KINDS, key=IDS, live_id=IDS, address=ADDRESSES), max_size=12
).map(tuple)
ENTRIES = st.dictionaries(
    st.sampled_from(["Project/x", "Project/y", "Dataset/z"]),
    st.builds(OwnedEntry, live_id=st.none() | IDS),
)


@settings(max_examples=200)
@given(objects=OBJECTS, entries=ENTRIES)
def test_indexed_lookups_answer_as_the_scans(
    objects: tuple[LiveObject, ...], entries: dict[str, OwnedEntry]
) -> None:
    live = LiveState(objects=objects, ownership=Ownership(entries=entries))
    for kind in ["Project", "Dataset", "Batch", "Other"]:
        assert live.of_kind(kind) == [o for o in objects if o.kind == kind]
        for live_id in ["a", "b", "c", "d", "e"]:
            scan = next((o for o in objects if o.kind == kind and o.live_id == live_id), None)
            assert live.find(kind, live_id) is scan
        for address in ["Project/x", "Dataset/y", "Batch/z", None]:
            scan_at = [o for o in objects if o.kind == kind and o.address == address]
            assert live.at_address(kind, address) == scan_at
    for live_id in ["a", "b", "c", "d", "e"]:
        first = next((a for a, e in entries.items() if e.live_id == live_id), None)
        assert live.ownership.address_of(live_id) == first
    assert live.ownership.bound_ids() == {e.live_id for e in entries.values() if e.live_id}
    assert live == LiveState(objects=objects, ownership=Ownership(entries=dict(entries)))
    assert live.model_dump() == LiveState(objects=objects, ownership=live.ownership).model_dump()


def test_an_index_follows_a_copy_with_other_objects() -> None:
    project = LiveObject(kind="Project", key="p", live_id="a")
    dataset = LiveObject(kind="Dataset", key="d", live_id="b")
    live = LiveState(objects=(project,))
    assert live.of_kind("Dataset") == []

    copied = live.model_copy(update={"objects": (project, dataset)})

    assert copied.of_kind("Dataset") == [dataset] and copied.find("Dataset", "b") is dataset
    assert live.of_kind("Dataset") == []
    returned = copied.of_kind("Project")
    returned.clear()  # a caller's list is its own
    assert copied.of_kind("Project") == [project]
    ownership = Ownership().with_entry("Project/p", OwnedEntry(live_id="a"))
    assert ownership.address_of("a") == "Project/p" and Ownership().address_of("a") is None


def test_plan_change_finds_the_first_change_of_an_address() -> None:
    def change(address: str, reason: str) -> ResourceChange:
        kind, _, name = address.partition("/")
        return ResourceChange(
            address=address, kind=kind, name=name, action=Action.NOOP, reason=reason
        )

    plan = Plan(
        stack="s",
        created_at="now",
        manifests_path=".",
        manifest_fingerprint="m",
        state_fingerprint="s",
        changes=(change("Project/a", "first"), change("Dataset/b", "b"), change("Project/a", "2")),
    )

    assert plan.change("Project/a").reason == "first"
    assert plan.change("Dataset/b").reason == "b"
    try:
        plan.change("Project/none")
    except KeyError as error:
        assert error.args == ("Project/none",)
    else:
        raise AssertionError("no KeyError")
    assert plan == Plan.from_json(plan.to_json())


def test_a_copied_registry_still_answers_bound_ids() -> None:
    """The index cache once sat under the name of the method that builds it (`_bound_ids`),
    so a `model_copy` of a registry that had answered once raised TypeError."""
    from reconciler.state import Ownership

    registry = Ownership()
    assert registry.bound_ids() == frozenset()
    copy = registry.model_copy(update={"entries": {}})  # another dict: the index is rebuilt
    assert copy.bound_ids() == frozenset()
