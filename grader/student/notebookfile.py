"""Reading a notebook file without trusting it: the same reading, and the same messages, in
`grader check NOTEBOOK` on a student's machine and in `grader grade` for every submission.

`parse` turns oversized, non-UTF-8, malformed or wrong-version bytes into a `Parsed`
with a specific message instead of raising; a notebook nbformat rejects keeps its
readable cells, with a note.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import nbformat

MAX_NOTEBOOK_BYTES = 32 * 2**20


@dataclass
class Parsed:
    """A notebook read from bytes, or why none could be (`message`)."""

    notebook: nbformat.NotebookNode | None
    message: str = ""
    notes: list[str] = field(default_factory=list)  # read anyway, but worth saying


def too_large(size: int, cap: int) -> str:
    return f"the notebook is {size / 2**20:.1f} MiB, over the {cap / 2**20:.0f} MiB limit"


def parse(data: bytes, max_bytes: int = MAX_NOTEBOOK_BYTES) -> Parsed:
    """`data` as a Jupyter notebook (version 4, or 3 converted)."""
    if len(data) > max_bytes:
        return Parsed(None, too_large(len(data), max_bytes))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        byte = data[e.start]
        return Parsed(
            None, f"the notebook is not UTF-8 text (byte 0x{byte:02x} at offset {e.start})"
        )
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as e:
        return Parsed(
            None, f"the notebook is not valid JSON ({e.msg}: line {e.lineno}, column {e.colno})"
        )
    except RecursionError:
        return Parsed(None, "the notebook's JSON is nested too deeply")
    if not isinstance(raw, dict):
        return Parsed(None, f"the file is JSON but not a notebook (a {type(raw).__name__})")
    version = raw.get("nbformat")
    if version not in (3, 4):
        return Parsed(
            None,
            "the file has no notebook format version: not a Jupyter notebook"
            if version is None
            else f"unsupported notebook format version {version!r} (Jupyter writes version 4)",
        )
    notes: list[str] = []
    notebook = _parse(text, raw, notes)
    if notebook is None:
        return Parsed(None, "the notebook has no readable list of cells", notes)
    kernel = _kernel_note(notebook)
    return Parsed(notebook, "", notes + ([kernel] if kernel else []))


def _parse(text: str, raw: dict, notes: list[str]) -> nbformat.NotebookNode | None:
    problem: dict = {}
    try:
        notebook = nbformat.reads(text, as_version=4, capture_validation_error=problem)
    except Exception as e:  # nbformat raises many kinds for malformed structure
        notebook, problem = _salvage(raw), {"error": e}
    if notebook is None:
        return None
    if problem:
        error = str(problem.get("ValidationError") or problem.get("error") or "").splitlines()
        why = f" ({error[0][:200]})" if error else ""
        notes.append(f"the notebook does not fully validate{why}; graded what could be read")
    return notebook


def _salvage(raw: dict) -> nbformat.NotebookNode | None:
    """The readable cells of a notebook nbformat rejects."""
    cells = raw.get("cells")
    if not isinstance(cells, list):
        return None
    notebook = nbformat.v4.new_notebook()
    metadata = raw.get("metadata")
    if isinstance(metadata, dict):
        notebook.metadata = nbformat.from_dict(metadata)
    make = {
        "code": nbformat.v4.new_code_cell,
        "markdown": nbformat.v4.new_markdown_cell,
        "raw": nbformat.v4.new_raw_cell,
    }
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") not in make:
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            continue
        meta = cell.get("metadata")
        new = make[cell["cell_type"]](source, metadata=meta if isinstance(meta, dict) else {})
        notebook.cells.append(new)
    return notebook


def _kernel_note(notebook: nbformat.NotebookNode) -> str:
    """A note when the notebook says it was written for another kernel."""
    spec = notebook.metadata.get("kernelspec")
    spec = spec if isinstance(spec, dict) else {}
    info = notebook.metadata.get("language_info")
    name = spec.get("name")
    language = spec.get("language") or (info.get("name") if isinstance(info, dict) else None)
    if name is None and language is None:
        return ""
    python = (isinstance(language, str) and language.lower() == "python") or (
        isinstance(name, str) and name.lower().startswith("python")
    )
    if python:
        return ""
    language = language or "unknown language"
    return f"the notebook names the kernel {name!r} ({language}); it was graded with Python"
