"""The applicant's side of cases: submit, read, timeline, documents, answer, contest; uploads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse

from shaffof.archive.errors import DocumentTooLarge
from shaffof.cases.schemas import (
    CasePublic,
    CaseSubmit,
    CaseSummary,
    Contest,
    DocumentPublic,
    EventPublic,
    InfoResponse,
    UploadPublic,
)
from shaffof.errors import FieldError
from shaffof.web.deps import MAX_INTEGER, CasesDep, CurrentActor, PlatformDep, credential_secret

router = APIRouter(tags=["cases"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=128,
        description="a unique key per submission; a retry with the same key returns the first result",
    ),
]


@router.post("/uploads", response_model=UploadPublic, status_code=201)
def upload(
    file: UploadFile, request: Request, actor: CurrentActor, cases: CasesDep, platform: PlatformDep
) -> UploadPublic:
    """Upload a document (PDF, PNG or JPEG) to attach to a submission or an answer."""
    limit = platform.settings.max_document_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise DocumentTooLarge(
            f"The document is larger than the limit of {limit:,} bytes.",
            errors=[FieldError("file", "too large")],
        )
    return cases.upload(actor, filename=file.filename or "document", declared_type=file.content_type, data=data)


@router.post(
    "/cases",
    response_model=CasePublic,
    status_code=201,
    responses={200: {"description": "an idempotent retry: the first submission's result"}},
)
def submit(
    body: CaseSubmit,
    request: Request,
    actor: CurrentActor,
    cases: CasesDep,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    # The service's assurance level (issue 5): a sign-in below it is refused with a problem naming the level.
    platform.oidc.ensure_service_level(credential_secret(request), body.service)
    result = cases.submit(actor, body, idempotency_key=idempotency_key)
    headers = {"Location": f"/api/v1/cases/{result.case.registration_number}"}
    if not result.created:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(
        result.case.model_dump(mode="json"), status_code=201 if result.created else 200, headers=headers
    )


@router.get("/cases", response_model=list[CaseSummary])
def my_cases(
    actor: CurrentActor,
    cases: CasesDep,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=MAX_INTEGER),
) -> list[CaseSummary]:
    """The signed-in applicant's own cases, newest first."""
    return cases.my_cases(actor, limit=limit, offset=offset)


@router.get("/cases/{registration_number}", response_model=CasePublic)
def get_case(registration_number: str, actor: CurrentActor, cases: CasesDep) -> CasePublic:
    return cases.get(actor, registration_number)


@router.get("/cases/{registration_number}/timeline", response_model=list[EventPublic])
def timeline(registration_number: str, actor: CurrentActor, cases: CasesDep) -> list[EventPublic]:
    return cases.timeline(actor, registration_number)


@router.get("/cases/{registration_number}/documents", response_model=list[DocumentPublic])
def documents(registration_number: str, actor: CurrentActor, cases: CasesDep) -> list[DocumentPublic]:
    return cases.documents(actor, registration_number)


@router.get("/cases/{registration_number}/documents/{sha256}", response_class=Response)
def document_content(registration_number: str, sha256: str, actor: CurrentActor, cases: CasesDep) -> Response:
    document, content = cases.document_content(actor, registration_number, sha256)
    return Response(
        content,
        media_type=document.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{document.sha256[:16]}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/cases/{registration_number}/respond", response_model=CasePublic)
def respond(registration_number: str, body: InfoResponse, actor: CurrentActor, cases: CasesDep) -> CasePublic:
    """Answer the agency's request for information."""
    return cases.provide_info(actor, registration_number, body.message, body.documents)


@router.post("/cases/{registration_number}/contest", response_model=CasePublic, status_code=201)
def contest(registration_number: str, body: Contest, actor: CurrentActor, cases: CasesDep) -> CasePublic:
    """Contest a decision: returns the review case opened at the higher body."""
    return cases.contest(actor, registration_number, body.reason)
