"""Screenshots, only through this authorized route (never a static path): the original or a
thumbnail made with Pillow and cached on disk, blurred when the team's blur applies to the viewer.
Always ``Cache-Control: private, no-store``."""

from __future__ import annotations

import asyncio
import io
import uuid
from pathlib import Path

from fastapi import APIRouter
from PIL import Image, ImageFilter, UnidentifiedImageError
from starlette.requests import Request
from starlette.responses import Response

from ingestion.accounts.authz import blur_for, forbidden, visible_employee
from ingestion.accounts.sessions import Viewer
from ingestion.context import app_state
from ingestion.errors import ApiError
from ingestion.storage import EXTENSIONS, derived_path
from ingestion.web.guard import page

router = APIRouter()
THUMB_SIZE = (320, 200)
BLUR_RADIUS = 12
_MEDIA = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


def _derived(root: Path, relative: str, fmt: str, thumb: bool, blur: bool) -> tuple[bytes, str]:
    """The bytes to send: the file itself, or a cached thumbnail / blurred copy (PNG)."""
    source = root / relative
    if not thumb and not blur:
        return source.read_bytes(), _MEDIA[fmt]
    cached = derived_path(root, relative, thumb, blur)
    if cached.exists():
        return cached.read_bytes(), "image/png"
    with Image.open(source) as image:
        image.load()
        picture = image.convert("RGB")
    if thumb:
        picture.thumbnail(THUMB_SIZE)
    if blur:
        picture = picture.filter(ImageFilter.GaussianBlur(BLUR_RADIUS if not thumb else BLUR_RADIUS / 4))
    out = io.BytesIO()
    picture.save(out, "PNG", optimize=False)
    data = out.getvalue()
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    tmp.replace(cached)
    return data, "image/png"


@page(router, "/screenshots/{device_id:int}/{client_id}")
async def screenshot(request: Request, found: Viewer) -> Response:
    try:
        client_id = uuid.UUID(request.path_params["client_id"])
    except ValueError:
        raise forbidden() from None
    state = app_state(request)
    async with state.db.connection() as conn:
        row = await (await conn.execute(
            "SELECT emp_id, storage_path, format FROM screenshots WHERE device_id = %s AND client_id = %s",
            (request.path_params["device_id"], client_id))).fetchone()
        if row is None:
            raise forbidden()
        person = await visible_employee(conn, found, int(row[0]))
    thumb = request.query_params.get("size") == "thumb"
    fmt = str(row[2])
    assert fmt in EXTENSIONS
    try:
        data, media = await asyncio.to_thread(_derived, Path(state.settings.screenshot_dir), str(row[1]), fmt,
                                              thumb, blur_for(found, person))
    except FileNotFoundError:
        raise ApiError(404, "not_found", "the screenshot file is missing on the server") from None
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ApiError(422, "invalid_image", "the stored file cannot be read as an image") from None
    return Response(data, media_type=media, headers={"Cache-Control": "private, no-store",
                                                     "X-Content-Type-Options": "nosniff",
                                                     "Content-Security-Policy": "default-src 'none'"})
