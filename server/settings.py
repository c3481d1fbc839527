"""Every setting of the service in one object, read from ``GAIA_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from scoring.lookfor_similarity import LOOK_FOR_MARGIN, LOOK_FOR_THRESHOLD


class Settings(BaseSettings):
    """Service configuration; build it once at start-up and pass it in."""

    model_config = SettingsConfigDict(env_prefix="GAIA_", extra="ignore", frozen=True)

    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; PostgreSQL e.g. postgresql://user@host/db. Default: SQLite in data_dir.",
    )
    redis_url: str | None = Field(default=None, description="Redis URL for the event bus; in-process bus when unset.")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str | None = Field(default=None, description="Base URL used in links; default http://host:port.")
    secret_key: SecretStr | None = Field(
        default=None, description="Signs session cookies; generated and kept in data_dir when unset."
    )
    cookie_secure: bool = False
    max_upload_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    invitation_ttl_days: int = Field(default=14, gt=0, le=365)
    run_migrations: bool = True
    demo: bool = Field(
        default=True,
        description="gaia serve interviews the seeded demo candidates with the real pipeline in the background "
        "until all three are done (GAIA_DEMO=0 turns it off).",
    )
    ice_servers: list[str] = Field(
        default_factory=list, description="STUN/TURN URLs for WebRTC, e.g. stun:stun.example.org:3478 (JSON list)"
    )
    stt_model: Path | None = None
    tts_voice: Path | None = None
    llm_model: str | None = None
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "GAIA_OPENAI_BASE_URL")
    )
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "GAIA_OPENAI_API_KEY")
    )
    judge_timeout_s: float = Field(
        default=30.0,
        gt=0,
        le=600,
        description="Seconds per LLM judge call when grading justifications (GAIA_LLM_MODEL set); a run that times "
        "out leaves the look-fors and similarity to grade alone.",
    )
    interviewer_llm: bool = Field(
        default=True,
        description="With a model configured (GAIA_LLM_MODEL and an endpoint), the interviewer lets it phrase "
        "transitions and choose follow-ups; GAIA_INTERVIEWER_LLM=0 keeps the deterministic interviewer.",
    )
    interviewer_timeout_s: float = Field(
        default=4.0,
        gt=0,
        le=60,
        description="Seconds the LLM interviewer may take per turn; slower or failing turns use the deterministic "
        "reply, silently.",
    )
    interview_silence_s: float = Field(
        default=8.0,
        gt=0,
        le=120,
        description="Seconds of candidate silence before the interviewer repeats the question; after a second "
        "silence as long it moves on.",
    )
    interview_scorer_timeout_s: float = Field(
        default=120.0,
        gt=0,
        le=600,
        description="Seconds per LLM call when scoring an interview transcript (GAIA_LLM_MODEL set); up to two calls "
        "(a corrective retry); on timeout or error the embedded scorer is used and the scorecard says why.",
    )
    similarity_threshold: float = Field(
        default=0.55,
        gt=0,
        le=1,
        description="Cosine similarity (all-MiniLM-L6-v2) at which a justification sentence makes a rubric point; "
        "stored with each attempt's evidence. See scoring/grading/justification.py for the measurements.",
    )
    interview_similarity_threshold: float = Field(
        default=LOOK_FOR_THRESHOLD,
        gt=0,
        le=1,
        description="Cosine similarity (all-MiniLM-L6-v2) between an interview answer sentence and a look-for's "
        "closest example at which the sentence can meet the look-for; stored with each scorecard. Measured by "
        "bench/lookfor_similarity.py.",
    )
    interview_similarity_margin: float = Field(
        default=LOOK_FOR_MARGIN,
        ge=0,
        le=1,
        description="How much closer an answer sentence must be to a look-for's examples than to any other "
        "look-for's examples and to the question itself; stored with each scorecard.",
    )
    webhook_poll_interval_s: float = Field(
        default=2.0,
        gt=0,
        le=300,
        description="Seconds between the webhook worker's looks for due deliveries (every API replica runs one).",
    )
    webhook_backoff_base_s: float = Field(
        default=30.0,
        gt=0,
        le=86400,
        description="Wait before the first retry of a failed webhook delivery; it doubles after each failed attempt.",
    )
    webhook_backoff_max_s: float = Field(
        default=3600.0, gt=0, le=86400, description="Longest wait between two attempts of one webhook delivery."
    )
    webhook_max_attempts: int = Field(
        default=10, ge=1, le=100, description="Attempts per webhook delivery before it is marked failed."
    )
    webhook_timeout_s: float = Field(
        default=10.0, gt=0, le=120, description="Seconds a webhook receiver has to answer one attempt."
    )
    livekit_url: str | None = Field(default=None, validation_alias=AliasChoices("LIVEKIT_URL", "GAIA_LIVEKIT_URL"))
    livekit_api_key: str | None = Field(
        default=None, validation_alias=AliasChoices("LIVEKIT_API_KEY", "GAIA_LIVEKIT_API_KEY")
    )
    livekit_api_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("LIVEKIT_API_SECRET", "GAIA_LIVEKIT_API_SECRET")
    )
    livekit_token_ttl_s: int = Field(
        default=900,
        ge=30,
        le=3600,
        description="Seconds a candidate's LiveKit access token may be used to join its room (only the first join "
        "checks it; LiveKit keeps a joined participant connected). POST /rtc/livekit-token mints a fresh one.",
    )
    phone_number: str | None = Field(
        default=None,
        description="The phone number candidates may call instead of using the browser; the interview page then shows "
        "it with the invitation's access code. Point that Twilio number's voice webhook at {public_url}/phone/voice.",
    )
    twilio_auth_token: SecretStr | None = Field(
        default=None,
        description="Twilio auth token: when set, /phone/voice and /phone/code refuse requests without a valid "
        "X-Twilio-Signature (computed over public_url, so set that to the URL Twilio calls). Unset: not checked.",
    )

    def resolved_database_url(self) -> str:
        """The async SQLAlchemy URL: asyncpg for PostgreSQL, aiosqlite for the default file."""
        if not self.database_url:
            return f"sqlite+aiosqlite:///{(self.data_dir / 'gaia.db').resolve()}"
        url = self.database_url
        for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://", "postgresql+psycopg://"):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url[len(prefix) :]
        if url.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
        return url

    def base_url(self) -> str:
        """Where people reach the service, without a trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def recordings_dir(self) -> Path:
        """Folder for session recordings."""
        return self.data_dir / "recordings"
