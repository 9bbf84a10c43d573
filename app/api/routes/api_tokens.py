from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from app.api.deps import DbDep, Reader, SettingsDep
from app.core.errors import ERROR_RESPONSES
from app.schemas.common import MAX_ID
from app.schemas.households import ApiTokenCreatedOut, ApiTokenCreateIn, ApiTokenOut
from app.services import api_tokens

router = APIRouter(
    prefix="/api/households/{household_id}/tokens", tags=["tokens"], responses=ERROR_RESPONSES
)


@router.get("")
def list_tokens(member: Reader, db: DbDep) -> list[ApiTokenOut]:
    """The caller's own API tokens in this household (never their secrets)."""
    return [ApiTokenOut.model_validate(token) for token in api_tokens.mine(db, member)]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_token(
    data: ApiTokenCreateIn, member: Reader, db: DbDep, settings: SettingsDep
) -> ApiTokenCreatedOut:
    """A new token for `Authorization: Bearer`: `read` opens this household's reads, `write`
    also what a member may do (completing chores and the like). Its secret is shown once."""
    token, secret = api_tokens.create(db, settings, member, data.name, data.scope)
    return ApiTokenCreatedOut(
        id=token.id, name=token.name, scope=data.scope, created_at=token.created_at, token=secret
    )


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=MAX_ID)], member: Reader, db: DbDep
) -> Response:
    api_tokens.revoke(db, member, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
