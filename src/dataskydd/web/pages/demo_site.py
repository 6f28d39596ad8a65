"""/demo-site/: a few pages of a fictional Omilon website that embeds the consent banner,
so the banner, the pixel and the analytics can be tried after `dataskydd serve`."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from dataskydd.web import i18n
from dataskydd.web.params import Line
from dataskydd.web.templating import render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class DemoPage:
    slug: str
    title: str
    # The campaign landing page carries the tracking pixel (marketing consent only).
    pixel: bool = False


PAGES = (
    DemoPage("", "Omilon – bredband och tv"),
    DemoPage("bredband", "Bredband"),
    DemoPage("tv", "Tv och streaming"),
    DemoPage("kundservice", "Kundservice"),
    DemoPage("om-oss", "Om Omilon"),
    DemoPage("erbjudande", "Erbjudande: tre månader halva priset", pixel=True),
)
_BY_SLUG = {page.slug: page for page in PAGES}


@router.get("/demo-site/site.css")
def stylesheet(request: Request) -> Response:
    templates = request.app.state.templates
    source = templates.env.loader.get_source(templates.env, "demo_site/site.css")[0]
    return Response(source, media_type="text/css; charset=utf-8")


@router.get("/demo-site/")
@router.get("/demo-site/{slug}")
def demo_page(request: Request, slug: Line = "") -> Response:
    page = _BY_SLUG.get(slug)
    if page is None:
        raise HTTPException(404, "no such demo page")
    reopen = request.app.state.policy.consent_banner
    return render(
        request,
        f"demo_site/{page.slug or 'start'}.html",
        {
            "page": page,
            "pages": PAGES,
            "reopen": reopen.buttons.reopen.get(i18n.current_language.get()) if reopen else "",
        },
    )
