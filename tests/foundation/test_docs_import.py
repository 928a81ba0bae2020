"""Document import: what is imported, what is skipped and why."""

from pathlib import Path

from workbench.chunking import chunk_text
from workbench.demo import corpus_dir
from workbench.docs import import_paths


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_folder_import_recurses_and_reports_every_skip(tmp_path, store, project, settings):
    src = tmp_path / "src"
    _write(src, "a.md", b"# Title A\n\nThe first document. It has text.\n")
    _write(src, "sub/b.txt", "Caf\u00e9 cr\u00e8me, na\u00efve fa\u00e7ade.\n".encode("utf-8"))
    _write(src, "sub/deeper/c.rst", b"Third\n=====\n\nSome restructured text.\n")
    _write(src, "empty.txt", b"   \n\n")
    _write(src, "blob.txt", bytes(range(256)) * 4)
    _write(src, "image.png", b"\x89PNG\r\n\x1a\n")
    _write(src, "latin1.txt", "Le caf\u00e9 est tr\u00e8s bon \u00e0 Paris, et la ville est belle pour les touristes.\n".encode("latin-1"))
    report = import_paths(store, project.id, [src, tmp_path / "missing"], settings)
    imported = sorted(Path(d.path).name for d in report.imported)
    skipped = {Path(p).name: why for p, why in report.skipped}
    assert imported == ["a.md", "b.txt", "c.rst", "latin1.txt"]
    assert "empty" in skipped["empty.txt"]
    assert "binary" in skipped["blob.txt"]
    assert "unsupported" in skipped["image.png"]
    assert "no such file" in skipped["missing"]
    latin = next(d for d in report.imported if d.path.endswith("latin1.txt"))
    text = store.document(latin.id).text
    assert "café est très bon à Paris" in text and latin.encoding in ("cp1252", "latin-1")
    assert latin.language == "fr"


def test_same_content_is_not_imported_twice(tmp_path, store, project, settings):
    a = _write(tmp_path, "a.txt", b"Same words here. Twice over.")
    b = _write(tmp_path, "copy.txt", b"Same words here. Twice over.")
    first = import_paths(store, project.id, [a], settings)
    second = import_paths(store, project.id, [b], settings)
    assert len(first.imported) == 1 and second.imported == []
    assert "already imported" in second.skipped[0][1]
    assert store.project_stats(project.id).documents == 1


def test_oversized_and_undecodable_files_are_skipped_with_a_hint(tmp_path, store, project, settings):
    from dataclasses import replace

    small = replace(settings, max_document_bytes=100)
    big = _write(tmp_path, "big.txt", b"word " * 100)
    # bytes that are invalid UTF-8 and decode to C1 controls in Latin-1 (0x81 is undefined in cp1252)
    odd = _write(tmp_path, "odd.txt", b"abc \x81\x8d\x8f\x90\x9d def " * 5)
    report = import_paths(store, project.id, [big, odd], small)
    reasons = dict(report.skipped)
    assert "WORKBENCH_MAX_DOCUMENT_BYTES" in reasons[str(big)]
    assert "undecodable" in reasons[str(odd)] or "binary" in reasons[str(odd)]
    assert store.table_counts()["documents"] == 0


def test_chunks_carry_exact_offsets_and_are_deterministic():
    text = (corpus_dir() / "bonds.md").read_text()
    first = chunk_text(text, size=400, overlap=80)
    assert first == chunk_text(text, size=400, overlap=80)
    assert len(first) > 3
    for chunk in first:
        assert text[chunk.start:chunk.end] == chunk.text
        assert len(chunk.text) <= 400
    # consecutive chunks overlap or touch, and the whole text is covered
    for a, b in zip(first, first[1:], strict=False):
        assert b.start <= a.end + 2 and b.start > a.start
    assert first[0].start == 0 and first[-1].end == len(text.rstrip())


def test_chunk_size_is_configurable():
    text = "Sentence number one. " * 200
    assert len(chunk_text(text, 200, 0)) > len(chunk_text(text, 1000, 0))
