"""File helpers shared by writers that must give the same bytes run after run."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

__all__ = ["stable_xlsx"]


def stable_xlsx(data: bytes, when: datetime) -> bytes:
    """An XLSX workbook's bytes with its clock times replaced by ``when``.

    openpyxl stamps the current time into ``docProps/core.xml`` and into every zip entry; for
    reproducible outputs (a disclosure manifest, a committed sample) both are rewritten, and the
    entries are written in name order.
    """
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in sorted(src.infolist(), key=lambda i: i.filename):
            body = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(?:modified|created)[^>]*>)[^<]*(</dcterms:(?:modified|created)>)",
                              rb"\g<1>" + stamp + rb"\g<2>", body)
            info = zipfile.ZipInfo(item.filename, date_time=when.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            dst.writestr(info, body)
    return out.getvalue()
