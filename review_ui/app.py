"""The FastAPI app factory: one Runtime, session middleware, CSRF, routes, static files."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from dangan.runtime import Runtime, build_runtime
from dangan.settings import Settings
from review_ui.iiif import ImageCache
from review_ui.routes import admin, auth, clerk, images, restructure, review, search
from review_ui.security import SessionCodec, load_secret
from review_ui.web import (
    HERE,
    AppContext,
    NotLoggedIn,
    csrf_protect,
    make_templates,
    not_logged_in_handler,
    render,
    session_middleware,
    wants_html,
)


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None,
               secure_cookies: bool = False) -> FastAPI:
    """Build the app. ``secure_cookies``: set when served over HTTPS (behind a proxy)."""
    rt = runtime or build_runtime(settings or Settings())
    app = FastAPI(title="dangan review", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(csrf_protect)])
    cache_dir = rt.settings.home / "cache" / "iiif"
    app.state.ctx = AppContext(runtime=rt, codec=SessionCodec(load_secret(rt.settings.home)),
                               templates=make_templates(), cache_dir=cache_dir,
                               secure_cookies=secure_cookies)
    app.state.images = ImageCache(cache_dir)
    app.middleware("http")(session_middleware)
    app.add_exception_handler(NotLoggedIn, not_logged_in_handler)
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    # restructure before review: its /api/records/{id}/{action} would take split and merge
    for module in (auth, restructure, review, clerk, search, admin, images):
        app.include_router(module.router)
    return app


async def _http_error(request: Request, exc: HTTPException) -> Response:
    if wants_html(request):
        return render(request, "error.html", status_code=exc.status_code,
                      status=exc.status_code, detail=exc.detail)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))
