"""Stream rows out of JSONL or CSV files with their physical line numbers.

Each row is `(line, dict)` or `(line, reason)` when the line cannot be read (bad encoding,
bad JSON), so importers can report every bad line and keep going. Files are never loaded
whole into memory.
"""
from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

Row = tuple[int, dict | str]


def _decoded(path: Path, errors: list[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError:
                errors.append((number, "编码错误：这一行不是 UTF-8"))


def jsonl_rows(path: Path) -> Iterator[Row]:
    pending: list[tuple[int, str]] = []
    for number, line in _decoded(path, pending):
        yield from _flush(pending)
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, f"不是合法的 JSON：{exc.msg}"
            continue
        yield number, data if isinstance(data, dict) else "每行必须是一个 JSON 对象"
    yield from _flush(pending)


def csv_rows(path: Path) -> Iterator[Row]:
    """CSV with a header row; empty cells are left out of the dict."""
    pending: list[tuple[int, str]] = []
    last = [0]

    def lines() -> Iterator[str]:
        for number, line in _decoded(path, pending):
            last[0] = number
            yield line

    reader = csv.reader(lines())
    header: list[str] | None = None
    for cells in reader:
        yield from _flush(pending)
        if header is None:
            header = [h.strip() for h in cells]
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            yield last[0], f"列数不对：表头 {len(header)} 列，这一行 {len(cells)} 列"
            continue
        yield last[0], {k: v for k, v in zip(header, cells) if k and v.strip() != ""}
    yield from _flush(pending)


def _flush(pending: list[tuple[int, str]]) -> Iterator[Row]:
    while pending:
        yield pending.pop(0)


def read_rows(path: Path) -> Iterator[Row]:
    """JSONL (or .json lines) unless the file ends in .csv."""
    return csv_rows(path) if path.suffix.lower() == ".csv" else jsonl_rows(path)


def header_of(path: Path) -> list[str]:
    """The CSV header (for format detection), or [] for JSONL."""
    if path.suffix.lower() != ".csv":
        return []
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        return [h.strip() for h in fh.readline().split(",")]
