"""One report table as tidy cells, and its three renderings: CSV (tidy), Markdown and LaTeX (wide).

``tabulate`` (which DataFrame.to_markdown needs) is not a dependency and Styler.to_latex would lean on
torch's jinja2, so the two text formats are written here: a pipe table and a plain ``tabular``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from maae import io

# The CSV's columns, one row per table cell (blank_reason set where the text is no number). Provenance
# columns are empty for the paper's cells (scale "paper"). comparable_with_paper: the suite measured the
# metric the paper's column reports (sample counts and software may still differ); never true across metrics.
# low/high: the interval of value over seeds (maae.report.stats; empty with one seed).
CSV_COLUMNS = (
    "table", "dataset", "model", "source", "column", "m", "quantity", "value", "low", "high", "n_seeds",
    "seeds", "text", "blank_reason", "comparable_with_paper", "scale", "metric_backbone", "steps",
    "n_generated", "n_real", "n_codes", "kde_n_fit", "code_version",
)  # fmt: skip


@dataclass(frozen=True)
class Table:
    """``cells`` has CSV_COLUMNS plus ``row``: the tuple of leading (index) values it is shown in."""

    name: str
    title: str
    index: tuple[str, ...]  # names of the leading columns of the wide rendering
    cells: pd.DataFrame
    provenance: tuple[str, ...]  # what produced the suite's numbers, one line per data set
    notes: tuple[str, ...]


def wide(table: Table) -> pd.DataFrame:
    """The rendered grid: leading index columns, then one column per ``column``, rows and columns in the
    order the cells were made."""
    cells = table.cells
    rows = list(dict.fromkeys(cells["row"]))
    columns = list(dict.fromkeys(cells["column"]))
    grid = cells.pivot(index="row", columns="column", values="text").reindex(index=rows, columns=columns)
    index = pd.DataFrame(rows, columns=list(table.index))
    return pd.concat([index, grid.reset_index(drop=True).fillna("")], axis=1)


def to_csv(table: Table) -> str:
    return table.cells[list(CSV_COLUMNS)].to_csv(index=False)


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|")


def to_markdown(table: Table) -> str:
    grid = wide(table)
    lines = [f"**{table.title}**", ""]
    lines.append("| " + " | ".join(_md_cell(c) for c in grid.columns) + " |")
    lines.append("|" + "---|" * len(grid.columns))
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in grid.itertuples(index=False)]
    lines += ["", "Suite runs behind the numbers:", ""] + [f"- {line}" for line in table.provenance]
    lines += ["", "Notes:", ""] + [f"- {note}" for note in table.notes]
    return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
    "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "|": r"\textbar{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "±": r"$\pm$", "≥": r"$\geq$",
}  # fmt: skip
_LATEX_PATTERN = re.compile("|".join(re.escape(k) for k in _LATEX_SPECIAL))


def latex_escape(text: object) -> str:
    return _LATEX_PATTERN.sub(lambda match: _LATEX_SPECIAL[match.group()], str(text))


def to_latex(table: Table) -> str:
    grid = wide(table)
    lines = [
        r"\begin{table}[htbp]",
        r"\centering",
        rf"\caption{{{latex_escape(table.title)}}}",
        rf"\label{{tab:{table.name}}}",
        r"\begin{tabular}{" + "l" * len(grid.columns) + "}",
        r"\hline",
        " & ".join(latex_escape(c) for c in grid.columns) + r" \\",
        r"\hline",
    ]
    lines += [" & ".join(latex_escape(v) for v in row) + r" \\" for row in grid.itertuples(index=False)]
    lines += [r"\hline", r"\end{tabular}", r"\par\smallskip", r"{\footnotesize"]
    lines += ["Suite runs behind the numbers: " + "; ".join(latex_escape(p) for p in table.provenance) + "."]
    lines += [r"\par " + latex_escape(note) for note in table.notes]
    lines += [r"\par}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def write(table: Table, stem: str | Path) -> list[Path]:
    """STEM.csv, STEM.md and STEM.tex, each written atomically."""
    renderers = {".csv": to_csv, ".md": to_markdown, ".tex": to_latex}
    return [io.write_text(f"{stem}{suffix}", render(table)) for suffix, render in renderers.items()]
