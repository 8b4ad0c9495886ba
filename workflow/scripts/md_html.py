"""The verdict, tables and baseline tables as HTML pages for Snakemake's report (which shows HTML inline but
offers Markdown and CSV only as downloads). Covers the Markdown the suite writes: headings, paragraphs,
bullet lists, pipe tables (with ``\\|`` inside cells), **bold**, `code`, [links](url) and images.

    python workflow/scripts/md_html.py verdict.md verdict.html
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

STYLE = """body{font-family:system-ui,sans-serif;margin:1.5em;max-width:110em;line-height:1.4}
table{border-collapse:collapse;margin:.8em 0;font-size:.9em}th,td{border:1px solid #bbb;padding:.25em .5em;
vertical-align:top}th{background:#eee}tr:nth-child(even) td{background:#f8f8f8}code{background:#f3f3f3}
img{max-width:100%}"""


def inline(text: str) -> str:
    text = html.escape(text.replace("\\|", "|"), quote=False)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"!\[([^\]]*)\]\(([^)\s]+)\)", r'<img alt="\1" src="\2">', text)
    return re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r'<a href="\2">\1</a>', text)


def cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


def convert(markdown: str, title: str) -> str:
    out, lines, i = [], markdown.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif heading := re.match(r"(#{1,6})\s+(.*)", line):
            level = len(heading[1])
            out.append(f"<h{level}>{inline(heading[2])}</h{level}>")
            i += 1
        elif line.lstrip().startswith("|"):
            rows = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(cells(lines[i]))
                i += 1
            body = rows[2:] if len(rows) > 1 and all(set(c) <= set(":-") for c in rows[1]) else rows[1:]
            out.append(
                "<table><thead><tr>" + "".join(f"<th>{inline(c)}</th>" for c in rows[0]) + "</tr></thead>"
            )
            out.append(
                "<tbody>"
                + "".join("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in row) + "</tr>" for row in body)
                + "</tbody></table>"
            )
        elif re.match(r"\s*[-*] ", line):
            items = []
            while i < len(lines) and (re.match(r"\s*[-*] ", lines[i]) or lines[i].startswith("  ")):
                if re.match(r"\s*[-*] ", lines[i]):
                    items.append(re.sub(r"^\s*[-*] ", "", lines[i]))
                else:
                    items[-1] += " " + lines[i].strip()
                i += 1
            out.append("<ul>" + "".join(f"<li>{inline(item)}</li>" for item in items) + "</ul>")
        else:
            paragraph = []
            while (
                i < len(lines) and lines[i].strip() and not re.match(r"(#{1,6}\s|\s*\||\s*[-*] )", lines[i])
            ):
                paragraph.append(lines[i].strip())
                i += 1
            out.append(f"<p>{inline(' '.join(paragraph))}</p>")
    head = f'<meta charset="utf-8"><title>{html.escape(title)}</title><style>{STYLE}</style>'
    return f"<!DOCTYPE html>\n<html><head>{head}</head><body>\n" + "\n".join(out) + "\n</body></html>\n"


def write(source: str | Path, target: str | Path) -> None:
    """target (HTML) from source (Markdown), written to a temporary name and renamed over."""
    source, target = Path(source), Path(target)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(convert(source.read_text(), source.stem))
    tmp.replace(target)


if __name__ == "__main__":
    write(sys.argv[1], sys.argv[2])
