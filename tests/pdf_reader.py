"""A PDF read back for tests, with pypdf: the text of each page and the tag tree."""

import io
from collections import Counter

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject


def reader(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def pages(data: bytes) -> list[str]:
    """The text of each page, in page order (the running header and footer included)."""
    return [page.extract_text() for page in reader(data).pages]


def tags(data: bytes) -> tuple[Counter, list[str]]:
    """How many structure elements of each type (/H1, /Table, /TH, …) the tag tree holds, and
    the text alternative of each /Figure."""
    root = reader(data).trailer["/Root"]
    counts: Counter = Counter()
    alternatives: list[str] = []
    todo = list(root["/StructTreeRoot"]["/K"])
    while todo:
        node = todo.pop().get_object()
        if not isinstance(node, DictionaryObject) or "/S" not in node:
            continue  # a marked-content id or an annotation
        counts[node["/S"]] += 1
        if node["/S"] == "/Figure":
            alternatives.append(str(node.get("/Alt", "")))
        kids = node.get("/K", [])
        todo += kids if isinstance(kids, ArrayObject) else [kids]
    return counts, alternatives
