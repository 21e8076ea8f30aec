"""Every ```python block in docs/ runs, and prints exactly the ```text block that follows it."""
import contextlib
import io
import pathlib
import re

import pytest

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"
BLOCK = re.compile(r"```(python|text)\n(.*?)```", re.S)


def blocks(path):
    """(code, expected output or None) pairs in document order."""
    found = BLOCK.findall(path.read_text(encoding="utf-8"))
    pairs = []
    for i, (kind, body) in enumerate(found):
        if kind == "python":
            nxt = found[i + 1] if i + 1 < len(found) else None
            pairs.append((body, nxt[1] if nxt and nxt[0] == "text" else None))
    return pairs


@pytest.mark.parametrize("doc", sorted(p.name for p in DOCS.glob("*.md")))
def test_doc_blocks_print_what_they_claim(doc):
    ns = {"__name__": "__docs__"}
    pairs = blocks(DOCS / doc)
    for k, (code, expected) in enumerate(pairs):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(compile(code, f"{doc} block {k + 1}", "exec"), ns)
        if expected is not None:
            assert buf.getvalue() == expected, f"{doc}: block {k + 1} printed\n{buf.getvalue()}"


def test_docs_exist():
    names = {p.name for p in DOCS.glob("*.md")}
    assert {"tutorial.en.md", "tutorial.ko.md", "from-pytorch.md"} <= names
