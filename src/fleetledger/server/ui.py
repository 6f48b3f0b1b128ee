"""The web UI: static pages served by the API's own process, reading the API as any client.

Why static ES modules and no build: installing the package is the whole set-up (the assets
ship inside it), the pages call the same public routes a script would (so the UI can show
nothing the API would not), and the proof checks run the very code of ``verifiers/ts``,
compiled into ``ui/verify/`` (``make ui-verify`` rebuilds it; a test checks it matches the
sources). Every page is ``index.html``; ``app.js`` draws the one the path names.

Every UI response carries a Content-Security-Policy that lets a page load and connect only to
this origin, so the pages make no request elsewhere, even by mistake.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

UI_DIR = Path(__file__).with_name("ui")
ASSETS = "/ui/assets"
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
        " connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter(include_in_schema=False)


class Assets(StaticFiles):
    """The UI's files, with the UI's headers."""

    async def get_response(self, path: str, scope: Scope):  # type: ignore[no-untyped-def]
        response = await super().get_response(path, scope)
        response.headers.update(HEADERS)
        return response


def assets() -> Assets:
    return Assets(directory=UI_DIR)


@router.get("/")
def root() -> RedirectResponse:
    """The UI's tasks page."""
    return RedirectResponse("/ui/")


@router.get("/ui")
@router.get("/ui/{page:path}")
def page(page: str = "") -> FileResponse:
    """Every page of the UI is its one document; the script reads which from the path."""
    return FileResponse(UI_DIR / "index.html", media_type="text/html", headers=HEADERS)
