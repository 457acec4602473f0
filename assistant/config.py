"""One typed settings tree. Environment variables prefixed ASSISTANT_ override the defaults.

Settings are built on demand (`Settings()`), never at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant import bundled

# a checkout's top folder, for the tests and benchmarks; the package's data is in assistant.bundled
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
    min_support: float | None = Field(
        None,
        ge=0,
        le=2,
        description="Below this support the assistant abstains; unset: 0.5 (evidence score), "
        "or with a reader the threshold calibrated with it (its reader.json).",
    )
    reader_path: Path | None = Field(
        None,
        description="Opt-in: a learned reader's weights (.safetensors, `assistant "
        "train-reader`; reader.json beside) picks the sentence, short answer and support. "
        "Unset: the rules, which still measure better (docs/accuracy.md).",
    )
    reader_candidates: int = Field(
        6, ge=1, le=32, description="With a reader: sentences it reads per question, best first."
    )
    seeds_dir: Path | None = Field(
        default_factory=bundled.seeds_dir,
        description="Articles `serve`, `ask` and `chat` index into an index with none; default: "
        "the seed articles the package carries; empty: index nothing.",
    )
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

    # answers: the extractive answerer (none) or a language model that phrases verified answers
    llm_backend: Literal["none", "openai", "ollama", "llamacpp"] = Field(
        "none",
        description="none: extractive answers; openai: any OpenAI-compatible endpoint "
        "(LlamaIndex's OpenAILike); ollama: an Ollama server (LlamaIndex's Ollama); llamacpp: "
        "a local GGUF file, in process. From Python, Assistant(llm=...) takes any LlamaIndex LLM.",
    )
    llm_base_url: str | None = Field(
        None,
        description="openai: the endpoint, e.g. http://127.0.0.1:8080/v1; ollama: the server "
        "(default http://localhost:11434).",
    )
    llm_model: str | None = Field(
        None, description="openai, ollama: the model name the server serves."
    )
    llm_api_key: SecretStr | None = Field(
        None, description="openai backend: the API key (local servers take any)."
    )
    llm_gguf_path: Path | None = Field(None, description="llamacpp backend: the .gguf model file.")
    llm_timeout_s: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="Seconds a model may take for one answer; then the extractive answer is given.",
    )
    llm_max_tokens: int = Field(256, ge=8, le=8192, description="Most tokens the model may write.")
    llm_passages: int = Field(
        5, ge=1, le=20, description="Retrieved passages given to the model, best first."
    )
    llm_api: Literal["chat", "completion"] = Field(
        "chat",
        description="chat: chat messages; completion: the prompt as plain text, for base "
        "models without a chat template.",
    )
    llm_system_in_user: bool = Field(
        False,
        description="Put the prompt's system part at the top of the user message, for chat "
        "formats that drop system messages (llama-cpp-python's 'gemma').",
    )
    llm_context_tokens: int = Field(
        4096, ge=512, le=131_072, description="llamacpp, ollama: context window to allocate."
    )

    @property
    def uploads_dir(self) -> Path:
        """Where uploaded files are kept (assistant.uploads): `<index dir>/uploads`."""
        return (self.index_dir / "uploads").resolve()

    @field_validator("collection")
    @classmethod
    def _collection_name(cls, v: str) -> str:
        import re

        if not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9._-]{1,60}[a-zA-Z0-9]", v):
            raise ValueError("use 3-62 characters of letters, digits, '.', '_' or '-'")
        return v

    @field_validator(
        "api_token",
        "login",
        "llm_api_key",
        "llm_base_url",
        "llm_model",
        "llm_gguf_path",
        "seeds_dir",
        mode="before",
    )
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
