"""Compare a version of an article with the one before it (§12 version history), line by line
with `difflib`, as rows the console shows side by side (or stacked on a phone)."""

import difflib
from dataclasses import dataclass

from .models import ArticleVersion


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side comparison. `kind`: same, changed, added or removed."""

    kind: str
    old_number: int | None
    old_text: str
    new_number: int | None
    new_text: str


@dataclass(frozen=True)
class FieldDiff:
    label: str
    rows: list[DiffRow]
    changed: bool


def previous_version(version: ArticleVersion) -> ArticleVersion | None:
    """The version numbered just before this one (1.1 before 2.0, 1.0 before 1.1)."""
    earlier = ArticleVersion.objects.filter(article_id=version.article_id).exclude(pk=version.pk)
    candidates = [
        other for other in earlier if (other.major, other.minor) < (version.major, version.minor)
    ]
    return max(candidates, key=lambda other: (other.major, other.minor), default=None)


def diff_lines(old: str, new: str) -> list[DiffRow]:
    old_lines, new_lines = old.splitlines(), new.splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [
                DiffRow("same", i + 1, old_lines[i], j + 1, new_lines[j])
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            ]
            continue
        old_part, new_part = range(i1, i2), range(j1, j2)
        for k in range(max(len(old_part), len(new_part))):
            i = old_part[k] if k < len(old_part) else None
            j = new_part[k] if k < len(new_part) else None
            kind = (
                "changed"
                if i is not None and j is not None
                else "removed"
                if j is None
                else "added"
            )
            rows.append(
                DiffRow(
                    kind,
                    None if i is None else i + 1,
                    "" if i is None else old_lines[i],
                    None if j is None else j + 1,
                    "" if j is None else new_lines[j],
                )
            )
    return rows


def version_compare(version: ArticleVersion) -> tuple[ArticleVersion | None, list[FieldDiff]]:
    """The previous version and the differences in title, summary and text. The first version
    is compared with nothing: all of it is added."""
    before = previous_version(version)
    fields = []
    for label, name in (("Title", "title"), ("Summary", "summary"), ("Text", "body")):
        old = getattr(before, name, "") if before else ""
        new = getattr(version, name)
        fields.append(FieldDiff(label=label, rows=diff_lines(old, new), changed=old != new))
    return before, fields
