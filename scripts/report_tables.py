"""Reading a tuner report's tables, shared by the measurement scripts."""

WORDS = ("faster", "slower", "equivalent", "not shown")


def all_points(text):
    """The rows of the report's *All points* table (its first: the second
    holds memory, not verdicts), each a dict from column name to cell, and
    the column names in order."""
    section = text.split("## All points", 1)[1].split("\n## ", 1)[0]
    table = section.lstrip("\n").split("\n\n", 1)[0]
    lines = [l for l in table.splitlines() if l.startswith("|") and not l.startswith("|---")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = []
    for line in lines[1:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == len(header):
            rows.append(dict(zip(header, cells)))
    return header, rows


def vs_baseline(row):
    """A row's change against the baseline and its verdict word
    ("baseline" for the baseline itself)."""
    cell = next(v for k, v in row.items() if k.startswith("vs baseline"))
    if "(baseline)" in cell:
        return cell, "baseline"
    return cell, next((w for w in WORDS if w in cell), "none")
