"""What a saved design document promises: it can always be opened again, and a save based on an
old revision (another tab saved since) never overwrites the newer one."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import replace

import pytest

from builder.design.presets import load_preset
from builder.design.spec import Graph, Node, design_from_data, load_design, saved_text
from builder.errors import DesignError
from builder.people.designs import DesignLibrary, DocumentError, StaleDesign


def _with_node(design, node_id: str, layout=None):
    graph = design.models["model"]
    nodes = [*graph.nodes, Node(node_id, "Dropout", {})]
    layout = {**design.layout, **(layout or {})}
    return replace(design.with_model("model", replace(graph, nodes=nodes)), layout=layout)


def _many_nodes(count: int):
    nodes = [Node("in", "Input", {"shape": [4]})]
    nodes += [Node(f"d{i}", "Dropout", {}) for i in range(count - 1)]
    return replace(load_preset("mlp_moons"), models={"model": Graph(nodes=nodes)})


# Every design the page could hold that loading refuses, each named by the field at fault.
OVER_LIMIT = {
    "an id of 201 characters": (lambda: _with_node(load_preset("mlp_moons"), "n" * 201), '"id"'),
    "an id that is not text": (lambda: _with_node(load_preset("mlp_moons"), "a\ud800"), "U+D800"),
    "2,001 nodes": (lambda: _many_nodes(2001), "2,001 nodes"),
    "a position past 2^53": (
        lambda: replace(load_preset("mlp_moons"), layout={"x": [2**60, 0]}),
        "layout.x[0]",
    ),
    "a position that is not finite": (
        lambda: replace(load_preset("mlp_moons"), layout={"x": [float("inf"), 0]}),
        "layout.x[0]",
    ),
    "a name of 201 characters": (
        lambda: replace(load_preset("mlp_moons"), name="x" * 201),
        '"name"',
    ),
}


@pytest.mark.parametrize("case", OVER_LIMIT)
def test_a_design_loading_refuses_is_never_saved(tmp_path, case):
    make, field = OVER_LIMIT[case]
    lib = DesignLibrary(tmp_path)
    design_id = lib.create(load_preset("mlp_moons"))
    before = (lib.designs / f"{design_id}.json").read_bytes()
    bad = make()
    with pytest.raises(DesignError, match=re.escape(field)) as caught:
        lib.save(design_id, bad)
    # the same check, by the same function, that opening the file would make
    with pytest.raises(DesignError) as loading:
        design_from_data(bad.to_dict())
    assert str(loading.value) == str(caught.value)
    assert (lib.designs / f"{design_id}.json").read_bytes() == before
    assert lib.open(design_id) == (load_preset("mlp_moons"), 1)


def test_the_largest_design_allowed_saves_and_opens_again(tmp_path):
    lib = DesignLibrary(tmp_path)
    design = _with_node(_many_nodes(1999), "n" * 200, {"n" * 200: [2**53, -(2**53)]})
    design_id = lib.create(design)
    assert lib.load(design_id) == design
    assert load_design(saved_text(design)) == design


def test_each_save_raises_the_revision_and_a_stale_one_is_refused(tmp_path):
    lib = DesignLibrary(tmp_path)
    design_id = lib.create(load_preset("mlp_moons"))
    design, revision = lib.open(design_id)
    assert revision == 1
    tab_a = replace(_with_node(design, "extra"), name="renamed in A")
    assert lib.save(design_id, tab_a, base=revision) == 2
    tab_b = replace(design, layout={**design.layout, "in": [999, 999]})  # still based on 1
    with pytest.raises(StaleDesign) as stale:
        lib.save(design_id, tab_b, base=revision)
    assert (stale.value.base, stale.value.revision) == (1, 2)
    assert "another tab" in str(stale.value)
    assert lib.open(design_id) == (tab_a, 2)  # A's rename and node survive, untouched
    assert lib.save(design_id, tab_b, base=2) == 3  # based on the newer one, it saves
    assert lib.revision(design_id) == 3 and lib.list()[0]["name"] == design.name


def test_a_save_to_a_design_deleted_elsewhere_is_refused_not_resurrected(tmp_path):
    lib = DesignLibrary(tmp_path)
    design_id = lib.create(load_preset("mlp_moons"))
    lib.delete(design_id)
    with pytest.raises(StaleDesign) as stale:
        lib.save(design_id, load_preset("lenet_digits"), base=1)
    assert stale.value.revision is None and isinstance(stale.value, DocumentError)
    assert not lib.exists(design_id) and lib.revision(design_id) is None
    lib.restore(design_id)  # the trash kept it as it was, revision and all
    assert lib.open(design_id) == (load_preset("mlp_moons"), 1)


def test_of_two_tabs_saving_on_one_revision_at_once_exactly_one_wins(tmp_path):
    lib = DesignLibrary(tmp_path)
    design_id = lib.create(load_preset("mlp_moons"))
    start = threading.Barrier(8)
    won, refused = [], []

    def tab(n: int) -> None:
        start.wait()
        try:
            lib.save(design_id, replace(load_preset("mlp_moons"), name=f"tab {n}"), base=1)
            won.append(n)
        except StaleDesign:
            refused.append(n)

    threads = [threading.Thread(target=tab, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1 and len(refused) == 7
    assert lib.open(design_id) == (replace(load_preset("mlp_moons"), name=f"tab {won[0]}"), 2)


def test_an_unreadable_document_says_why_without_naming_its_place(tmp_path):
    folder = tmp_path / "people" / "a-secret-key-aaaaaaaaaaaaaaaaaaaaaaaaaa"
    lib = DesignLibrary(folder)
    design_id = lib.create(load_preset("mlp_moons"))
    path = lib.designs / f"{design_id}.json"
    long_id = load_preset("mlp_moons").to_dict()
    long_id["models"]["model"]["nodes"][0]["id"] = "i" * 201
    for raw, why in (
        (b" " * 5_000_001, "larger than 5,000,000 bytes"),
        (json.dumps(long_id).encode(), '"id": 201 characters'),
        (b'{"name": "\xff"}', "not a text file"),
        (b'{"version": 1, "models": ', "not valid JSON"),
    ):
        path.write_bytes(raw)
        with pytest.raises(DocumentError, match="cannot be read") as caught:
            lib.open(design_id)
        assert why in str(caught.value)
        assert "a-secret-key" not in str(caught.value) and str(tmp_path) not in str(caught.value)
