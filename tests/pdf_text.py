"""The text of each page of a PDF that reportlab wrote, for tests (no PDF reader is installed).

Enough of PDF for reportlab's own output: numbered objects, Flate-compressed content streams,
fonts with a ToUnicode map (the embedded TrueType subsets) or plain WinAnsi (Helvetica), and
text shown with Tj / TJ. Each shown string becomes one item; a page's text joins them with
spaces.
"""

import base64
import re
import zlib

OBJECT = re.compile(rb"(?:^|\n)(\d+) 0 obj\s*")
REF = rb"(\d+) 0 R"


def _objects(data: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """{number: (dictionary, decompressed stream or None)}; a stream is read by its /Length."""
    found, pos = {}, 0
    while match := OBJECT.search(data, pos):
        start = match.end()
        stream_at = data.find(b"stream", start)
        end = data.find(b"endobj", start)
        if stream_at == -1 or stream_at > end:
            found[int(match.group(1))] = (data[start:end], None)
            pos = end
            continue
        head = data[start:stream_at]
        length = int(re.search(rb"/Length (\d+)", head).group(1))
        body_at = (
            stream_at
            + len(b"stream")
            + (2 if data[stream_at + 6 : stream_at + 8] == b"\r\n" else 1)
        )
        raw = data[body_at : body_at + length]
        found[int(match.group(1))] = (head, _decoded(head, raw))
        pos = data.find(b"endobj", body_at + length)
    return found


def _decoded(head: bytes, raw: bytes) -> bytes:
    if b"ASCII85Decode" in head:
        raw = base64.a85decode(re.sub(rb"\s", b"", raw).removesuffix(b"~>"))
    return zlib.decompress(raw) if b"FlateDecode" in head else raw


def _unescape(raw: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(raw):
        c = raw[i]
        if c == 0x5C:  # backslash
            nxt = raw[i + 1 : i + 2]
            if nxt.isdigit():
                digits = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4]).group()
                out.append(int(digits, 8))
                i += 1 + len(digits)
                continue
            out += {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}.get(nxt, nxt)
            i += 2
            continue
        out.append(c)
        i += 1
    return bytes(out)


def _cmap(stream: bytes) -> dict[int, str]:
    pairs = re.findall(rb"<([0-9A-Fa-f]{2})>\s*<([0-9A-Fa-f]{4,})>", stream)
    return {int(code, 16): bytes.fromhex(uni.decode()).decode("utf-16-be") for code, uni in pairs}


def _fonts(objects, page_head: bytes) -> dict[bytes, dict[int, str] | None]:
    fonts_ref = re.search(rb"/Font\s+" + REF, page_head)
    if fonts_ref:
        font_dict = objects[int(fonts_ref.group(1))][0]
    else:
        font_dict = re.search(rb"/Font\s*<<(.*?)>>", page_head, re.S).group(1)
    fonts = {}
    for name, ref in re.findall(rb"/(\S+?)\s+" + REF, font_dict):
        head = objects[int(ref)][0]
        to_unicode = re.search(rb"/ToUnicode\s+" + REF, head)
        fonts[name] = _cmap(objects[int(to_unicode.group(1))][1]) if to_unicode else None
    return fonts


STRING = rb"\((?:\\.|[^\\)])*\)"
TOKENS = re.compile(
    rb"/(\S+)\s+[\d.]+\s+Tf|(" + STRING + rb")\s*Tj|\[((?:" + STRING + rb"|[^\]])*)\]\s*TJ", re.S
)


def _decode(raw: bytes, cmap: dict[int, str] | None) -> str:
    data = _unescape(raw[1:-1])
    if cmap is None:
        return data.decode("cp1252")
    return "".join(cmap.get(b, "?") for b in data)


def pages(data: bytes) -> list[str]:
    """The text of each page, in page order."""
    objects = _objects(data)
    root_pages = next(h for h, _ in objects.values() if re.search(rb"/Type\s*/Pages\b", h))
    kids = [
        int(k) for k in re.findall(REF, re.search(rb"/Kids\s*\[(.*?)\]", root_pages, re.S).group(1))
    ]
    texts = []
    for kid in kids:
        head = objects[kid][0]
        fonts = _fonts(objects, head)
        contents = re.search(rb"/Contents\s+" + REF, head)
        stream = objects[int(contents.group(1))][1]
        font, parts = None, []
        for name, shown, shown_array in TOKENS.findall(stream):
            if name:
                font = fonts.get(name)
            elif shown:
                parts.append(_decode(shown, font))
            else:
                parts.append("".join(_decode(s, font) for s in re.findall(STRING, shown_array)))
        texts.append(" ".join(parts))
    return texts
