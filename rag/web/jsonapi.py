"""The JSON API: what a department's portal, a notebook or a batch job calls, beside the chat.

    POST /api/v1/ask      {"question": "…", "city": "", "k": 5}  -> the record of `rag ask --json`
    GET  /api/v1/targets  ?city=&year=&indicator=&limit=100&offset=0 -> {"targets": [...], "total", "limit", "offset"}
    GET  /api/v1/plans    -> {"plans": [...]}, the rows of `rag plans --json`
    GET  /api/v1/health   -> {"status": "ok", "index_loaded", "documents", "passages", "targets", "build", "built",
                              "process" (the id of the worker that answered), …}
    GET  /api/docs        -> the OpenAPI page (its schema at /api/openapi.json)

A refusal is an HTTP status with {"error": "<one Chinese sentence>"}: 400 bad input (an empty question, an
unknown place, a bad year, a body that is not the JSON described), 413 input over a limit (the question's
RAG_MAX_QUESTION_CHARS, a field's RAG_MAX_FIELD_CHARS, a body over MAX_BODY_BYTES), 503 no index yet (the
server is still loading or building it: retry after `Retry-After` seconds) or none that loads, 404 a path
that is not here, 500 an internal error (logged). The same answers as the chat and `rag ask`: one answer
path (rag.web.api over rag.answer.ask) and the same limits (rag.config.Settings).

`json_api(served)` is the application, over a rag.serving.ServedIndex; the app mounts it at /api beside
Gradio (app.py), and `rag serve` runs it alone in N processes (rag.web.workers).
"""
from __future__ import annotations

import logging
import os
from importlib import metadata

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from ..config import MAX_PASSAGES
from ..errors import NotReady, TooLong, UserError
from ..usertext import INTERNAL_ERROR, clip, question_text
from .api import answer_of, plans_of, targets_of

log = logging.getLogger(__name__)

PREFIX = "/api"  # where the app mounts the API: /api/v1/…, /api/docs
MAX_BODY_BYTES = 64 * 1024  # a question is at most a few KB; anything far larger is not a question
MAX_TARGET_ROWS = 1000  # GET /targets rows per page (`limit`)
RETRY_AFTER_SECONDS = 10  # told to callers while the index loads

DESCRIPTION = (
    "碳达峰实施方案的问答与量化目标表，供其他系统调用；回答与网页、`rag ask` 相同。\n\n"
    "拒绝时返回 HTTP 状态码和 `{\"error\": \"中文说明\"}`：400 输入有误，413 超过长度上限，"
    "503 索引正在加载或不可用（按 Retry-After 稍后重试），404 没有这个接口。"
)
FIELD_NAMES = {"question": "问题（question）", "city": "地区（city）", "k": "段落数（k）", "year": "年份（year）",
               "indicator": "指标（indicator）", "limit": "条数（limit）", "offset": "起始位置（offset）"}


class AskRequest(BaseModel):
    question: str = Field(..., description="问题，如“江门2030年可再生能源装机目标是多少？”")
    city: str | None = Field("", description="只在这个地区的方案中回答；空或“全部”表示不限")
    k: int = Field(5, ge=1, le=MAX_PASSAGES, description=f"引用的段落数（1 到 {MAX_PASSAGES}）")

    model_config = {"json_schema_extra": {"examples": [{"question": "江门2030年可再生能源装机目标是多少？", "city": "", "k": 5}]}}


def status_of(error: UserError) -> int:
    """The HTTP status of a refusal: one place decides it."""
    from ..index import IndexUnusable

    if isinstance(error, TooLong):
        return 413
    if isinstance(error, (NotReady, IndexUnusable)):
        return 503
    return 400


def refusal(code: int, message: str, **more) -> JSONResponse:
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if code == 503 else None
    return JSONResponse({"error": clip(message, 300), **more}, status_code=code, headers=headers)


def input_problem(errors: list[dict]) -> tuple[int, str]:
    """What is wrong with a request FastAPI could not read, as (status, one Chinese sentence)."""
    first = errors[0] if errors else {}
    kind, place = first.get("type", ""), [str(p) for p in first.get("loc", ()) if p not in ("body", "query")]
    name = FIELD_NAMES.get(place[-1], place[-1]) if place else "请求"
    if kind == "json_invalid" or (kind == "model_attributes_type" and not place):
        return 400, "请求体应是 JSON 对象，如 {\"question\": \"江门2030年可再生能源装机目标是多少？\"}。"
    if kind == "missing":
        return 400, f"缺少{name}。"
    if kind in ("string_type", "string_unicode"):
        return 400, f"{name}应是字符串。"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return 400, f"{name}应是整数。"
    if kind in ("greater_than_equal", "less_than_equal"):
        bounds = first.get("ctx", {})
        return 400, f"{name}超出范围（{'不小于 ' + str(bounds['ge']) if 'ge' in bounds else '不大于 ' + str(bounds.get('le'))}）。"
    return 400, f"{name}有误（{clip(first.get('msg', ''), 80)}）。"


def json_api(served) -> FastAPI:
    """The API over `served` (rag.serving.ServedIndex), to mount at PREFIX."""
    try:
        version = metadata.version("carbon-plan-rag")
    except metadata.PackageNotFoundError:
        version = "0"
    api = FastAPI(title="碳达峰实施方案问答 API", version=version, docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json", description=DESCRIPTION)
    api.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @api.get("/docs", include_in_schema=False)
    def docs(request: Request):
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(openapi_url=f"{root}/openapi.json", title="碳达峰实施方案问答 API",
                                   swagger_js_url=f"{root}/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url=f"{root}/docs-assets/swagger-ui.css",
                                   swagger_favicon_url=f"{root}/docs-assets/favicon-32x32.png")

    def index_now():
        return served.serving(wait=False)

    @api.middleware("http")
    async def limit_body(request: Request, call_next):
        declared = request.headers.get("content-length", "")
        size = int(declared) if declared.isdigit() else (len(await request.body()) if request.method == "POST" else 0)
        if size > MAX_BODY_BYTES:
            return refusal(413, f"请求体过大（{size} 字节），上限为 {MAX_BODY_BYTES} 字节。")
        return await call_next(request)

    @api.exception_handler(UserError)
    async def refused(request: Request, error: UserError):
        return refusal(status_of(error), str(error))

    @api.exception_handler(RequestValidationError)
    async def unreadable(request: Request, error: RequestValidationError):
        return refusal(*input_problem(error.errors()))

    @api.exception_handler(HTTPException)
    async def not_here(request: Request, error: HTTPException):
        if error.status_code == 404:
            return refusal(404, f"没有这个接口：{clip(request.url.path, 80)}。接口说明见 {PREFIX}/docs")
        if error.status_code == 405:
            return refusal(405, f"{request.url.path} 不接受 {request.method} 请求。接口说明见 {PREFIX}/docs")
        return refusal(error.status_code, str(error.detail))

    @api.exception_handler(Exception)
    async def failed(request: Request, error: Exception):
        log.exception("%s failed", request.url.path, exc_info=error)
        return refusal(500, INTERNAL_ERROR)

    @api.post("/v1/ask", summary="提问", response_description="与 `rag ask --json` 相同的记录")
    def ask(request: AskRequest) -> dict:
        """回答一个问题：answer 是给用户的那句话，passages 是引用的段落（方案、页码、原文），targets 是相关的量化目标。"""
        return answer_of(index_now(), question_text(request.question), request.city, request.k)

    @api.get("/v1/targets", summary="量化目标表")
    def targets(city: str = Query("", description="地区；空或“全部”不限"),
                year: str = Query("", description="目标年份，如 2025"),
                indicator: str = Query("", description="指标名称中的字词，如“非化石能源”"),
                limit: int = Query(100, ge=1, le=MAX_TARGET_ROWS, description="最多返回的条数"),
                offset: int = Query(0, ge=0, description="从第几条开始（0 起）")) -> dict:
        """按地区、年份、指标筛选的量化目标（地区、年份、指标、数值、单位、出处），分页返回；total 是筛选后的总条数。"""
        rows = targets_of(index_now(), city, year, indicator)
        return {"targets": [t.to_dict() for t in rows[offset : offset + limit]], "total": len(rows),
                "limit": limit, "offset": offset}

    @api.get("/v1/plans", summary="已收录的方案")
    def plans() -> dict:
        """已收录的方案，与 `rag plans --json` 相同。"""
        return {"plans": plans_of(index_now())}

    @api.get("/v1/health", summary="服务状态")
    def health():
        """索引是否已加载，收录的方案数、段落数、目标数，以及索引的构建时间；索引未就绪时返回 503。"""
        try:
            index = index_now()
        except NotReady as problem:
            return refusal(503, str(problem), status="error" if served.failed else "loading", index_loaded=False)
        manifest = index.manifest
        return {"status": "ok", "index_loaded": True, "documents": len(index.plans), "passages": len(index.chunks),
                "targets": len(index.targets), "build": index.path.name, "built": manifest.created,
                "build_seconds": manifest.build_seconds, "embed_backend": manifest.embed_backend,
                "index_notice": index.stale_notice(), "process": os.getpid()}

    return api
