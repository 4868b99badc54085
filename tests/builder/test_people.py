"""Each person's folder, their design documents, share links and the adoption of an old workspace."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import replace

import pytest

from builder.design.presets import load_preset
from builder.people.designs import DesignLibrary, DocumentError, is_design_id
from builder.people.keys import PersonError, is_key, new_key, person_dir, user_key
from builder.people.legacy import adopt_legacy
from builder.people.shares import ShareError, open_shared, share
from builder.runs.store import RunStore

HOSTILE_KEYS = [
    "../../etc",
    "..",
    "",
    "a" * 31,
    "a" * 65,
    "/abs/path/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "aaaaaaaaaaaaaaaa/../aaaaaaaaaaaaaaaaaaaa",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\x00",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.",
    "ääääääääääääääääääääääääääääääää",
    None,
    42,
]
HOSTILE_IDS = ["../x", "0123456789abcdeF", "0123456789abcde", "0123456789abcdef0", "", None, 7]


def test_new_keys_are_unguessable_and_well_formed():
    keys = {new_key() for _ in range(200)}
    assert len(keys) == 200 and all(is_key(k) and len(k) == 32 for k in keys)


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_no_key_names_a_path_outside_the_workspace(tmp_path, key):
    with pytest.raises(PersonError):
        person_dir(tmp_path / "root", key)
    assert not (tmp_path / "etc").exists() and not (tmp_path / "abs").exists()


def test_a_signed_in_user_gets_one_folder_whatever_their_id_says(tmp_path):
    hostile = "../../../../etc/passwd"
    key = user_key("https://issuer.example", hostile)
    assert key == user_key("https://issuer.example", hostile)  # the same on every browser
    assert key != user_key("https://other.example", hostile)
    folder = person_dir(tmp_path, key)
    assert folder.parent == (tmp_path / "people").resolve()
    with pytest.raises(PersonError):
        user_key(None, "")


def test_documents_save_list_rename_duplicate_delete_and_restore(tmp_path):
    lib = DesignLibrary(tmp_path)
    lenet = lib.create(load_preset("lenet_digits"))
    moons = lib.create(load_preset("mlp_moons"))
    assert is_design_id(lenet) and lenet != moons
    assert [c["id"] for c in lib.list()] == [moons, lenet]  # most recently edited first
    lib.save(lenet, replace(lib.load(lenet), name="my lenet"))
    assert lib.most_recent() == lenet and lib.list()[0]["name"] == "my lenet"
    assert lib.load(lenet) == replace(load_preset("lenet_digits"), name="my lenet")

    lib.rename(moons, "  moons two  ")
    assert lib.load(moons).name == "moons two"
    copy = lib.duplicate(moons)
    assert lib.load(copy).name == "moons two (copy)" and copy not in (lenet, moons)

    lib.delete(moons)
    assert moons not in {c["id"] for c in lib.list()} and not lib.exists(moons)
    assert [c["id"] for c in lib.deleted()] == [moons]
    with pytest.raises(DocumentError, match="no design"):
        lib.load(moons)
    lib.restore(moons)
    assert lib.load(moons).name == "moons two" and lib.deleted() == []


@pytest.mark.parametrize("design_id", HOSTILE_IDS)
def test_a_hostile_design_id_names_no_file(tmp_path, design_id):
    lib = DesignLibrary(tmp_path / "me")
    (tmp_path / "x.json").write_text(load_preset("mlp_moons").to_json())
    assert not lib.exists(design_id)
    for action in (lib.load, lib.delete, lib.restore, lib.duplicate):
        with pytest.raises(DocumentError):
            action(design_id)


def test_an_unreadable_document_is_set_aside_not_listed(tmp_path):
    lib = DesignLibrary(tmp_path)
    good, bad = lib.create(load_preset("mlp_moons")), lib.create(load_preset("mlp_moons"))
    (lib.designs / f"{bad}.json").write_text('{"version": 1, "models": ')
    with pytest.raises(DocumentError, match="cannot be read"):
        lib.load(bad)
    aside = lib.set_aside(bad)
    assert aside.exists() and [c["id"] for c in lib.list()] == [good]


def test_saves_from_many_threads_leave_every_document_whole(tmp_path):
    lib = DesignLibrary(tmp_path)
    ids = [lib.create(load_preset("mlp_moons")) for _ in range(4)]

    seen, failures = [], []

    def edit(design_id: str, n: int) -> None:  # two writers per document, as two tabs
        try:
            for i in range(40):
                lib.save(design_id, replace(load_preset("mlp_moons"), name=f"{n}-{i}"))
                seen.append(lib.load(design_id).name)  # never a torn file: it always parses
        except Exception as exc:
            failures.append(exc)

    threads = [threading.Thread(target=edit, args=(i, n)) for n, i in enumerate(ids * 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures and len(seen) == 8 * 40
    assert len(lib.list()) == 4 and not list(lib.designs.glob(".*tmp"))


def test_a_shared_snapshot_reveals_nothing_else_and_never_changes(tmp_path):
    secret = "/srv/workspace/people/SECRETKEYSECRETKEYSECRETKEY00000"
    design = replace(
        load_preset("mlp_moons").with_training(
            dataset={"type": "csv", "path": f"{secret}/data/mine-0a1b2c3d4e.csv", "target": "y"}
        ),
        layout={"i": [0, 0], "_import": {"file": "imports/0123456789abcdef.pt", "source": "x"}},
    )
    token = share(tmp_path, design)
    text = (tmp_path / "shared" / f"{token}.json").read_text()
    assert "_import" not in text and "imports/" not in text and "SECRETKEY" not in text
    assert open_shared(tmp_path, token).training["dataset"]["path"] == "mine-0a1b2c3d4e.csv"
    opened = open_shared(tmp_path, token)
    assert opened.models == design.models and opened.layout == {"i": [0, 0]}
    for bad in ("../people/x", "short", "a" * 100, None):
        with pytest.raises(ShareError):
            open_shared(tmp_path, bad)
    with pytest.raises(ShareError, match="names no shared design"):
        open_shared(tmp_path, "A" * 22)


def test_an_old_workspace_becomes_the_first_persons_once(tmp_path):
    root = tmp_path / "workspace"
    root.mkdir()
    (root / "design.json").write_text(load_preset("lenet_digits").to_json())
    store = RunStore(root)
    run_id = store.create_run(load_preset("lenet_digits"))
    store.add_metrics(run_id, 1, {"epoch": 1, "train_loss": 0.5})
    (store.run_dir(run_id)).mkdir(parents=True)
    (store.run_dir(run_id) / "weights.pt").write_bytes(b"w")
    store.finish_run(run_id, "finished", weights_path=store.run_dir(run_id) / "weights.pt")
    (root / "data").mkdir()
    (root / "data" / "mine.csv").write_text("a,b\n1,2\n")

    first = person_dir(root, new_key())
    moved = adopt_legacy(root, first)
    assert {"design.json", "runs.sqlite", "runs", "data"} <= set(moved)
    lib = DesignLibrary(first)
    assert [lib.load(c["id"]).name for c in lib.list()] == ["lenet_digits"]
    runs = RunStore(first).list_runs()
    assert [r["status"] for r in runs] == ["finished"] and runs[0]["epochs_done"] == 1
    assert runs[0]["weights_path"].startswith(str(first)) and os.path.exists(
        runs[0]["weights_path"]
    )
    assert (first / "data" / "mine.csv").exists() and not (root / "design.json").exists()

    second = person_dir(root, new_key())
    (root / "design.json").write_text(json.dumps({"version": 1}))  # appears again: not theirs
    assert adopt_legacy(root, second) == []
    assert DesignLibrary(second).list() == [] and not (second / "runs.sqlite").exists()
