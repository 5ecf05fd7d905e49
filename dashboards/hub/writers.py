"""One renderer per download format, each turning Arrow record batches into bytes.

Renderers never hold more than one batch in memory. CSV, JSON and GeoJSON are
yielded batch by batch straight to the client; Parquet and XLSX need a
finished file (footer, zip directory), so they are written batch by batch into a
spooled temporary file that goes to disk past a few megabytes, then streamed.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Iterator
from typing import IO

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import xlsxwriter

from dashboards.queries.features import to_feature

CHUNK = 1 << 20
SPOOL_BYTES = 8 << 20
#: Rows per XLSX sheet (the Excel limit of 1,048,576 minus the header row); larger
#: downloads continue on sheets named data_2, data_3, ...
XLSX_SHEET_ROWS = 1_048_575

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "geojson": "application/geo+json",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}


def csv_chunks(reader: pa.RecordBatchReader, *, excel: bool = False) -> Iterator[bytes]:
    """RFC 4180 CSV, UTF-8; the Excel variant adds a BOM and uses ``;``."""
    sink = io.BytesIO()
    if excel:
        yield b"\xef\xbb\xbf"
    options = pacsv.WriteOptions(include_header=True, delimiter=";" if excel else ",")
    writer = pacsv.CSVWriter(sink, reader.schema, write_options=options)
    for batch in reader:
        writer.write_batch(batch)
        if sink.tell() >= CHUNK:
            yield sink.getvalue()
            sink.seek(0)
            sink.truncate()
    writer.close()
    yield sink.getvalue()


def write_csv(reader: pa.RecordBatchReader, out: IO[bytes]) -> None:
    for chunk in csv_chunks(reader):
        out.write(chunk)


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


def xlsx_file(reader: pa.RecordBatchReader, *, sheet_title: str = "data") -> IO[bytes]:
    """A finished XLSX workbook written in constant memory, positioned at 0."""
    fd, path = tempfile.mkstemp(prefix="ponmetro-dl-", suffix=".xlsx")
    os.close(fd)
    try:
        book = xlsxwriter.Workbook(path, {
            "constant_memory": True, "strings_to_numbers": False,
            "strings_to_formulas": False, "strings_to_urls": False,
            "default_date_format": "yyyy-mm-dd", "nan_inf_to_errors": True})
        bold = book.add_format({"bold": True})
        names = reader.schema.names
        sheet, row_no, sheet_no = None, 0, 0
        for batch in reader:
            for row in batch.to_pylist():
                if sheet is None or row_no > XLSX_SHEET_ROWS:
                    sheet_no += 1
                    sheet = book.add_worksheet(sheet_title if sheet_no == 1
                                               else f"{sheet_title}_{sheet_no}")
                    sheet.write_row(0, 0, names, bold)
                    sheet.freeze_panes(1, 0)
                    row_no = 1
                sheet.write_row(row_no, 0, [row[n] for n in names])
                row_no += 1
        if sheet is None:
            sheet = book.add_worksheet(sheet_title)
            sheet.write_row(0, 0, names, bold)
        book.close()
        return open(path, "rb")  # noqa: SIM115 (the caller streams and closes it)
    finally:  # unlinked at once: the open handle keeps the data until it is closed
        os.unlink(path)


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
