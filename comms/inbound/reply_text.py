"""The new text of a reply (§10.2): HTML to text, then quoted history and signatures removed.

`html_to_text` renders an HTML-only message as a mail client shows it (block elements end
lines, `<blockquote>` quotes and Gmail signatures dropped, `<hr>` kept as an Outlook-style rule
so the history after it is recognised). `reply_text_extract` keeps the sender's own lines:
it drops ">" quotes and "On … wrote:" attributions, and stops at the first Outlook history
block, signature delimiter or mobile footer; a forward keeps the forwarded header and text.
The rules are listed in the package docstring (`comms.inbound`). Pure text: no database.
"""

import re
from html.parser import HTMLParser

# --- HTML to text ----------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "div",
        "dl",
        "dt",
        "dd",
        "fieldset",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    ]
)
_VOID_TAGS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    ]
)
_INVISIBLE_TAGS = frozenset({"head", "script", "style", "title", "template"})
# Gmail marks its own signature; blockquotes are quoted history in every mail client.
_SKIPPED_CLASSES = ("gmail_signature",)
_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")
OUTLOOK_RULE = "_" * 32


class _HtmlText(HTMLParser):
    """Renders line breaks as a mail client does: a block boundary starts one new line,
    a paragraph leaves a blank line, and `<br>` always breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.trailing_newlines = 1  # the start of the text counts as a fresh line
        self.skip_depth = 0

    def _emit(self, text: str) -> None:
        self.parts.append(text)
        stripped = text.rstrip("\n")
        if stripped:
            self.trailing_newlines = len(text) - len(stripped)
        else:
            self.trailing_newlines += len(text)

    def _break(self, lines: int) -> None:
        if self.trailing_newlines < lines:
            self._emit("\n" * (lines - self.trailing_newlines))

    def _skipping(self, tag: str, attrs) -> bool:
        if tag in _INVISIBLE_TAGS or tag == "blockquote":
            return True
        classes = (dict(attrs).get("class") or "").split()
        return any(name in classes for name in _SKIPPED_CLASSES)

    def handle_starttag(self, tag: str, attrs) -> None:
        if self.skip_depth:
            if tag not in _VOID_TAGS:
                self.skip_depth += 1
            return
        if tag not in _VOID_TAGS and self._skipping(tag, attrs):
            self.skip_depth = 1
            return
        if tag == "br":
            self._emit("\n")
        elif tag == "hr":
            self._break(1)
            self._emit(f"{OUTLOOK_RULE}\n")
        elif tag == "li":
            self._break(1)
            self._emit("- ")
        elif tag in ("td", "th"):
            self._emit(" ")
        elif tag in _BLOCK_TAGS:
            self._break(2 if tag == "p" else 1)

    def handle_startendtag(self, tag: str, attrs) -> None:
        if not self.skip_depth:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self.skip_depth:
            if tag not in _VOID_TAGS:
                self.skip_depth -= 1
            return
        if tag in _BLOCK_TAGS and tag != "li":
            self._break(2 if tag == "p" else 1)

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        text = _HTML_SPACE.sub(" ", data)
        if text.strip() or not self.trailing_newlines:
            self._emit(text)


def html_to_text(html: str) -> str:
    """Text of an HTML email as a reader sees it, without quoted history or styles."""
    parser = _HtmlText()
    parser.feed(html or "")
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- reply extraction ------------------------------------------------------------------------

_FORWARD_MARKER = re.compile(
    r"^\s*(-{2,}\s*forwarded message\s*-{2,}|begin forwarded message:)\s*$", re.IGNORECASE
)
_ORIGINAL_MESSAGE = re.compile(r"^\s*-{2,}\s*original message\s*-{2,}\s*$", re.IGNORECASE)
_RULE = re.compile(r"^\s*_{10,}\s*$")
_ON_WROTE = re.compile(r"^\s*On\s.*\bwrote:\s*$", re.IGNORECASE)
_ON_START = re.compile(r"^\s*On\s.{4,}", re.IGNORECASE)
_WROTE_END = re.compile(r".*\bwrote:\s*$", re.IGNORECASE)
_OUTLOOK_FROM = re.compile(r"^\s*\*?From:\*?\s+\S", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\s*\*?(Sent|Date):\*?\s+\S", re.IGNORECASE)
_OUTLOOK_HEADER = re.compile(r"^\s*\*?(From|Sent|Date|To|Cc|Subject):\*?\s", re.IGNORECASE)
_MOBILE_FOOTER = re.compile(
    r"^\s*(sent from my \w+|sent from (outlook|mail) for (ios|android)|get outlook for (ios|android))",
    re.IGNORECASE,
)


def _is_quote(line: str) -> bool:
    return line.lstrip().startswith(">")


def _is_attribution(lines: list[str], index: int) -> int:
    """Lines taken by an "On … wrote:" attribution starting here (Gmail may wrap it), or 0."""
    if _ON_WROTE.match(lines[index]):
        return 1
    if (
        _ON_START.match(lines[index])
        and index + 1 < len(lines)
        and _WROTE_END.match(lines[index + 1])
    ):
        return 2
    return 0


def _is_history_block(lines: list[str], index: int) -> bool:
    """Outlook and forward markers: everything from here on is the earlier message."""
    line = lines[index]
    if _ORIGINAL_MESSAGE.match(line) or _FORWARD_MARKER.match(line) or _RULE.match(line):
        return True
    if _OUTLOOK_FROM.match(line):
        following = [text for text in lines[index + 1 : index + 6] if text.strip()][:3]
        return any(_OUTLOOK_NEXT.match(text) for text in following)
    return False


def _is_signature(line: str) -> bool:
    return line in ("-- ", "--") or bool(_MOBILE_FOOTER.match(line))


def _own_text(lines: list[str]) -> tuple[list[str], int]:
    """The sender's own lines, and the index where quoted history (if any) begins."""
    kept: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if _is_history_block(lines, index):
            return kept, index
        if _is_signature(line):
            following = next(
                (i for i in range(index, len(lines)) if _is_history_block(lines, i)), len(lines)
            )
            return kept, following
        attribution = _is_attribution(lines, index)
        if attribution:
            after = next((text for text in lines[index + attribution :] if text.strip()), "")
            if not _is_quote(after):
                return kept, index  # unquoted history follows: it is all history
            index += attribution
            continue
        if not _is_quote(line):
            kept.append(line)
        index += 1
    return kept, len(lines)


def _tidy(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def reply_text_extract(body: str, *, forward: bool = False) -> str:
    """The new text of a reply: quoted history and signatures removed (rules in the module doc).

    In a forward (`forward=True` from a "Fw:"/"Fwd:" subject, or a "Forwarded message" marker
    as the first boundary) the forwarded message's header block and text are kept after the
    sender's own note, with the forwarded message's own history stripped in turn.
    """
    lines = (body or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    own, history_at = _own_text(lines)
    if history_at >= len(lines):
        return _tidy(own)
    # A "Forwarded message" marker as the first boundary is a forward whatever the subject.
    if not (forward or _FORWARD_MARKER.match(lines[history_at])):
        return _tidy(own)
    rest = lines[history_at:]
    if _FORWARD_MARKER.match(rest[0]) or _ORIGINAL_MESSAGE.match(rest[0]) or _RULE.match(rest[0]):
        rest = rest[1:]
    header: list[str] = []
    index = 0
    while index < len(rest) and not rest[index].strip():
        index += 1
    while index < len(rest) and _OUTLOOK_HEADER.match(rest[index]):
        header.append(rest[index].strip().replace("*", ""))
        index += 1
    forwarded, _ = _own_text(rest[index:])
    marker = "\n".join(["---------- Forwarded message ----------", *header])
    return "\n\n".join(part for part in (_tidy(own), marker, _tidy(forwarded)) if part)
