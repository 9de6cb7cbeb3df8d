"""IIIF image endpoints. A page holding an adoption record answers 404 to anyone
without the adoption permission, like a page that does not exist."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from review_ui.accounts import Principal
from review_ui.audit import log_access
from review_ui.iiif import IiifError, info_json, parse_image_id
from review_ui.queries import image_key, not_found, page_or_404
from review_ui.web import client_ip, ctx, current_user

router = APIRouter()
Anyone = Annotated[Principal, Depends(current_user)]
CACHE = "private, max-age=3600"


def _resolve(request: Request, image_id: str, user: Principal) -> str:
    try:
        ref = parse_image_id(image_id)
    except IiifError as e:
        raise not_found() from e
    with ctx(request).runtime.db.session() as s:
        page_or_404(s, ref.page_id, user)
        key = image_key(s, ref)
    if not key:
        raise not_found()
    path = ctx(request).runtime.blobs.path(key)
    if not path.exists():
        raise not_found()
    return str(path)


@router.get("/iiif/{image_id}/info.json")
def info(request: Request, image_id: str, user: Anyone) -> Response:
    path = Path(_resolve(request, image_id, user))
    w, h = request.app.state.images.size(path)
    base = str(request.url_for("info", image_id=image_id)).removesuffix("/info.json")
    log_access(ctx(request).runtime.db, user.username, "image_view", target=image_id,
               ip=client_ip(request))
    return JSONResponse(info_json(base, w, h), headers={"Cache-Control": CACHE},
                        media_type="application/ld+json")


@router.get("/iiif/{image_id}/{region}/{size}/{rotation}/{quality}.{fmt}")
def tile(request: Request, image_id: str, region: str, size: str, rotation: str,
         quality: str, fmt: str, user: Anyone) -> Response:
    path = Path(_resolve(request, image_id, user))
    if rotation != "0" or quality not in ("default", "color") or fmt not in ("jpg", "jpeg"):
        raise HTTPException(400, "only rotation 0, quality default and format jpg are offered")
    try:
        data = request.app.state.images.render(path, region, size)
    except IiifError as e:
        raise HTTPException(400, str(e)) from e
    if region == "full":
        log_access(ctx(request).runtime.db, user.username, "image_view", target=image_id,
                   query=f"{region}/{size}", ip=client_ip(request))
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": CACHE})
