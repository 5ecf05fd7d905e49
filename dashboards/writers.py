"""Writers of output files, each turning Arrow record batches into bytes.

The format registry (``dashboards/formats.py``) says which writer each format uses.
Writers never hold more than one batch in memory. CSV, JSON and GeoJSON are
yielded batch by batch straight to the client; Parquet and XLSX need a
finished file (footer, zip directory), so they are written batch by batch into a
spooled temporary file that goes to disk past a few megabytes, then streamed.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import xlsxwriter

CHUNK = 1 << 20
SPOOL_BYTES = 8 << 20
#: Rows per XLSX sheet (the Excel limit of 1,048,576 minus the header row); larger
#: downloads continue on sheets named data_2, data_3, ...
XLSX_SHEET_ROWS = 1_048_575


def jsonable(value: Any) -> Any:
    """A JSON-friendly value: ISO dates, finite floats, plain lists."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def csv_chunks(reader: pa.RecordBatchReader, *, delimiter: str = ",", bom: bool = False
               ) -> Iterator[bytes]:
    """RFC 4180 CSV, UTF-8 (the Excel variant: ``;`` and a BOM; TSV: a tab).

    Formatting numbers is most of the cost, and Arrow's writer releases the GIL: batches
    are encoded by ``ENCODERS`` threads, a few ahead of the client, and sent in order.
    """
    if bom:
        yield b"\xef\xbb\xbf"
    header = pa.BufferOutputStream()  # a writer given no rows writes the header alone
    pacsv.CSVWriter(header, reader.schema, write_options=pacsv.WriteOptions(
        include_header=True, delimiter=delimiter)).close()
    yield header.getvalue().to_pybytes()
    body = pacsv.WriteOptions(include_header=False, delimiter=delimiter)
    for chunk in ordered_map(lambda batch: _csv_bytes(batch, body), reader):
        if chunk:
            yield chunk


def _csv_bytes(data: pa.RecordBatch, options: pacsv.WriteOptions) -> bytes:
    sink = pa.BufferOutputStream()
    pacsv.write_csv(data, sink, write_options=options)
    return sink.getvalue().to_pybytes()


#: Threads encoding one download's batches (the machine's cores; Arrow releases the GIL).
ENCODERS = min(4, os.cpu_count() or 1)


def ordered_map(func: Callable[[Any], bytes], items: Iterable[Any]) -> Iterator[bytes]:
    """``map(func, items)`` on ``ENCODERS`` threads, at most ``2 * ENCODERS`` items ahead
    (bounded memory), results in input order."""
    if ENCODERS < 2:
        yield from map(func, items)
        return
    with ThreadPoolExecutor(ENCODERS, thread_name_prefix="ponmetro-encode") as pool:
        pending: deque = deque()
        try:
            for item in items:
                pending.append(pool.submit(func, item))
                if len(pending) >= 2 * ENCODERS:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def json_chunks(reader: pa.RecordBatchReader) -> Iterator[bytes]:
    """A JSON array of row objects, one batch at a time (Polars' native writer)."""
    yield b"["
    first = True
    for batch in reader:
        if not batch.num_rows:
            continue
        body = pl.from_arrow(batch).write_json()[1:-1]  # drop the batch's own [ ]
        yield (body if first else ",\n" + body).encode("utf-8")
        first = False
    yield b"]\n"


def geojson_chunks(reader: pa.RecordBatchReader, *, geometry: str | None = None,
                   lon: str | None = None, lat: str | None = None) -> Iterator[bytes]:
    """A FeatureCollection: geometry from a GeoJSON column or from lon/lat columns."""
    yield b'{"type":"FeatureCollection","features":['
    first = True
    for batch in reader:
        parts = []
        for row in batch.to_pylist():
            feature = to_feature(row, geometry=geometry, lon=lon, lat=lat)
            parts.append(("" if first else ",\n") + json.dumps(feature, ensure_ascii=False))
            first = False
        yield "".join(parts).encode("utf-8")
    yield b"]}\n"


def to_feature(row: dict[str, Any], *, geometry: str | None = None, lon: str | None = None,
               lat: str | None = None) -> dict[str, Any]:
    """One GeoJSON Feature from a row: the one rule for downloads and OGC items."""
    if geometry:
        raw = row.pop(geometry, None)
        geom = json.loads(raw) if raw else None
    else:
        x, y = row.get(lon), row.get(lat)
        geom = {"type": "Point", "coordinates": [x, y]} \
            if x is not None and y is not None else None
    return {"type": "Feature", "geometry": geom, "properties": jsonable(row)}


def _spool() -> tempfile.SpooledTemporaryFile:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, prefix="ponmetro-dl-")


def parquet_file(reader: pa.RecordBatchReader) -> IO[bytes]:
    """A finished Parquet file (zstd), positioned at 0. Caller closes it."""
    out = _spool()
    with pq.ParquetWriter(out, reader.schema, compression="zstd") as writer:
        for batch in reader:
            writer.write_batch(batch)
    out.seek(0)
    return out


class Workbook:
    """The one XLSX writer: dataset downloads, chart downloads and the EU report use it.

    xlsxwriter in constant memory (rows go to disk as they are written); text always
    stays text (never turned into a number, formula or link), dates get a date format,
    NaN/inf become Excel errors. ``table`` writes a header row and rows, continuing on
    sheets ``<title>_2``, ``<title>_3`` ... past the Excel row limit.
    """

    def __init__(self, target: str | IO[bytes], properties: dict[str, Any] | None = None):
        self.book = xlsxwriter.Workbook(target, {
            "constant_memory": True, "strings_to_numbers": False,
            "strings_to_formulas": False, "strings_to_urls": False,
            "default_date_format": "yyyy-mm-dd", "nan_inf_to_errors": True})
        if properties:
            self.book.set_properties(properties)
        self.bold = self.book.add_format({"bold": True})

    def table(self, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]], *,
              header_format: Any = None, formats: Sequence[Any] | None = None,
              widths: Sequence[float] | None = None, header_height: float | None = None,
              autofilter: bool = False) -> None:
        """A header row and ``rows``; ``formats`` gives each column's cell format."""
        sheet, row_no, sheet_no = None, 0, 0
        for row in itertools.chain(rows, [None]):
            if sheet is None or (row is not None and row_no > XLSX_SHEET_ROWS):
                if sheet is not None:
                    self._finish(sheet, row_no, len(header), autofilter)
                sheet_no += 1
                suffix = f"_{sheet_no}" if sheet_no > 1 else ""
                sheet = self.book.add_worksheet(title[:31 - len(suffix)] + suffix)
                if header_height:
                    sheet.set_row(0, header_height)
                for j, width in enumerate(widths or ()):
                    sheet.set_column(j, j, width, formats[j] if formats else None)
                sheet.write_row(0, 0, header, header_format or self.bold)
                row_no = 1
            if row is None:
                break
            if formats:
                for j, value in enumerate(row):
                    sheet.write(row_no, j, value, formats[j])
            else:
                sheet.write_row(row_no, 0, row)
            row_no += 1
        self._finish(sheet, row_no, len(header), autofilter)

    @staticmethod
    def _finish(sheet: Any, rows: int, columns: int, autofilter: bool) -> None:
        sheet.freeze_panes(1, 0)
        if autofilter:
            sheet.autofilter(0, 0, max(rows - 1, 1), columns - 1)

    def close(self) -> None:
        self.book.close()


def batch_rows(reader: pa.RecordBatchReader) -> Iterator[list[Any]]:
    """Rows of a record-batch stream as lists, one batch in memory at a time."""
    names = reader.schema.names
    for batch in reader:
        for row in batch.to_pylist():
            yield [row[n] for n in names]


def xlsx_file(reader: pa.RecordBatchReader, *, sheet_title: str = "data") -> IO[bytes]:
    """A finished XLSX workbook written in constant memory, positioned at 0."""
    fd, path = tempfile.mkstemp(prefix="ponmetro-dl-", suffix=".xlsx")
    os.close(fd)
    try:
        book = Workbook(path)
        book.table(sheet_title[:31], reader.schema.names, batch_rows(reader))
        book.close()
        return open(path, "rb")  # noqa: SIM115 (the caller streams and closes it)
    finally:  # unlinked at once: the open handle keeps the data until it is closed
        os.unlink(path)


def frame_reader(frame: pl.DataFrame) -> pa.RecordBatchReader:
    """A small in-memory frame (a chart's data) as a record-batch stream."""
    table = frame.to_arrow()
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches())


def file_chunks(fh: IO[bytes]) -> Iterator[bytes]:
    """Stream a finished file and close it."""
    try:
        while chunk := fh.read(CHUNK):
            yield chunk
    finally:
        fh.close()


def size_of(fh: IO[bytes]) -> int:
    here = fh.tell()
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    fh.seek(here)
    return size
