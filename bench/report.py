"""The result table: one row per figure, with its baseline and the target it answers."""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass
class Row:
    """One measured figure; ``ratio`` defaults to baseline / value (a speed-up)."""

    section: str
    figure: str
    value: float | None
    unit: str
    baseline: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""
    ratio: float | None = None

    def __post_init__(self) -> None:
        if self.ratio is None and self.value not in (None, 0) \
                and self.baseline not in (None, 0):
            self.ratio = self.baseline / self.value


class Report:
    """Collects rows as sections finish, so a failing section still leaves the others."""

    def __init__(self, scale: int, smoke: bool) -> None:
        self.scale, self.smoke = scale, smoke
        self.rows: list[Row] = []
        self.errors: list[str] = []
        self.started = datetime.now(UTC)

    def add(self, section: str, figure: str, value: float | None, unit: str, **kw) -> Row:
        row = Row(section, figure, value, unit, **kw)
        self.rows.append(row)
        return row

    def error(self, section: str, message: str) -> None:
        self.errors.append(f"{section}: {message}")

    def load_rows(self, path: Path, section: str) -> None:
        """Reuse one section of a saved run (e.g. the ETL of a warehouse built earlier)."""
        for row in json.loads(path.read_text(encoding="utf-8"))["rows"]:
            if row["section"] == section:
                self.rows.append(Row(**row))

    # -------------------------------------------------------------------- output

    def markdown(self) -> str:
        head = ("| scale | section | figure | value | unit | baseline | ratio | target | met "
                "| note |\n|---:|---|---|---:|---|---:|---:|---|:-:|---|\n")
        lines = [
            f"| {self.scale} | {r.section} | {r.figure} | {_num(r.value)} | {r.unit} | "
            f"{_num(r.baseline)} | {_num(r.ratio, 1)}{'x' if r.ratio else ''} | {r.target} | "
            f"{'' if r.met is None else ('yes' if r.met else '**no**')} | {r.note} |"
            for r in self.rows]
        return head + "\n".join(lines) + "\n"

    def text(self) -> str:
        widths = (5, 10, 52, 12, 8, 12, 8, 22, 4)
        cells = [("scale", "section", "figure", "value", "unit", "baseline", "ratio",
                  "target", "met")]
        for r in self.rows:
            cells.append((str(self.scale), r.section, r.figure, _num(r.value), r.unit,
                          _num(r.baseline), (_num(r.ratio, 1) + "x") if r.ratio else "",
                          r.target, "" if r.met is None else ("yes" if r.met else "NO")))
        out = []
        for c in cells:
            out.append("  ".join(str(v)[:w].ljust(w) if i in (1, 2, 4, 7)
                                 else str(v)[:w].rjust(w) for i, (v, w) in
                                 enumerate(zip(c, widths, strict=True))))
        if self.errors:
            out.append("")
            out.extend(f"error: {e}" for e in self.errors)
        return "\n".join(out)

    def save(self, path: Path) -> None:
        body = {"scale": self.scale, "smoke": self.smoke,
                "started": self.started.isoformat(), "machine": machine(),
                "rows": [asdict(r) for r in self.rows],
                "errors": self.errors}
        path.write_text(json.dumps(body, indent=2, default=str), encoding="utf-8")


def machine() -> dict[str, object]:
    """What the numbers were measured on (they mean little without it)."""
    import os

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kb = 0
    return {"cpu": model, "cores": os.cpu_count(), "ram_gb": round(mem_kb / 2**20, 1),
            "python": platform.python_version(), "kernel": platform.release()}


def _num(value: float | None, digits: int | None = None) -> str:
    if value is None:
        return ""
    if digits is not None:
        return f"{value:,.{digits}f}"
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}"
    return f"{value:.3g}"
