"""One typed settings tree. Environment variables prefixed ASSISTANT_ override the defaults.

Settings are built on demand (`Settings()`), never at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
EMBEDDER_MAX_TOKENS = (
    256  # all-MiniLM-L6-v2 reads at most this many word pieces, [CLS] and [SEP] included
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="forbid")

    index_dir: Path = Field(Path("index"), description="Embedded Chroma store folder.")
    chroma_url: str | None = Field(
        None, description="http://host:port of a Chroma server; when set, index_dir is not used."
    )
    collection: str = Field("news", description="Name prefix of the Chroma collections.")
    embedding_model: str = Field("all-MiniLM-L6-v2", description="Sentence embedding model.")
    chunk_tokens: int = Field(
        160, ge=32, le=EMBEDDER_MAX_TOKENS - 2, description="Word pieces per chunk, title included."
    )
    chunk_overlap: int = Field(
        1, ge=0, le=3, description="Sentences shared by neighbouring chunks."
    )
    top_k: int = Field(16, ge=1, le=100, description="Passages retrieved per question.")
    max_file_mb: float = Field(20.0, gt=0, description="Files larger than this are refused.")
    min_support: float = Field(
        0.5, ge=0, le=2, description="Below this evidence score the assistant abstains."
    )
    seeds_dir: Path = Field(REPO_ROOT / "seeds", description="Articles `serve` indexes when empty.")
    host: str = Field("127.0.0.1", description="Address `serve` binds to.")
    port: int = Field(7860, ge=1, le=65535, description="Port `serve` listens on.")
    # serve: the web page and HTTP API
    concurrency: int = Field(
        2, ge=1, le=64, description="Questions and uploads `serve` works on at the same time."
    )
    queue_size: int = Field(
        64,
        ge=1,
        le=10_000,
        description="Requests `serve` keeps waiting beyond those; more get 'busy' (HTTP 503).",
    )
    api_token: SecretStr | None = Field(
        None, description="When set, /api and /v1 require `Authorization: Bearer <token>`."
    )
    login: SecretStr | None = Field(
        None, description="`user:password` the web page asks for; unset: no login."
    )

    @field_validator("collection")
    @classmethod
    def _collection_name(cls, v: str) -> str:
        import re

        if not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9._-]{1,60}[a-zA-Z0-9]", v):
            raise ValueError("use 3-62 characters of letters, digits, '.', '_' or '-'")
        return v

    @field_validator("api_token", "login", mode="before")
    @classmethod
    def _unset_when_empty(cls, v: Any) -> Any:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("login")
    @classmethod
    def _login(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None:
            user, colon, password = v.get_secret_value().partition(":")
            if not (user and colon and password):
                raise ValueError("use user:password, both non-empty")
        return v

    @property
    def store_mode(self) -> str:
        return "server" if self.chroma_url else "embedded"


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (plus overrides), with errors a user can act on."""
    from assistant.errors import AssistantError

    try:
        return Settings(**overrides)
    except ValidationError as e:
        problems = "; ".join(
            f"ASSISTANT_{'_'.join(str(x) for x in err['loc']).upper()}: {err['msg']}"
            for err in e.errors()
        )
        raise AssistantError(
            f"bad settings: {problems}", help="fix or unset those variables"
        ) from e
