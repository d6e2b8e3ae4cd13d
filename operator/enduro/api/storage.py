"""Object-storage locations a user writes in a spec: where a run's artifacts go
(`BenchmarkRun.spec.artifacts.s3`) and where a stored scenario set is read from
(`Benchmark.spec.source.s3`).

Credentials never appear here: they come from the environment, a Secret named in
`credentialsSecret` (its `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`
keys become environment variables), or the pod's workload identity. A spec that carries
literal keys is refused with a message saying where they belong.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from enduro.api.base import SpecModel, cel_rules

# Names people use for literal keys, in any spelling we might meet in YAML.
LITERAL_KEY_FIELDS = frozenset(
    {
        "accesskey",
        "accesskeyid",
        "awsaccesskeyid",
        "secretkey",
        "secretaccesskey",
        "awssecretaccesskey",
        "sessiontoken",
        "awssessiontoken",
        "credentials",
        "password",
    }
)
BUCKET = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
REGION = r"^[a-z]{2}(-[a-z0-9]+)+-[0-9]+$"


class CredentialsError(ValueError):
    """Literal credentials were given where only a reference to them is accepted."""


def reject_literal_keys(data: Any) -> None:
    if not isinstance(data, dict):
        return
    for key in data:
        if re.sub(r"[^a-z]", "", str(key).lower()) in LITERAL_KEY_FIELDS:
            raise CredentialsError(
                f"{key}: literal credentials are not accepted; put them in a Secret "
                "(keys AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) and name it in "
                "credentialsSecret, or use the pod's workload identity"
            )


def check_prefix(value: str) -> str:
    parts = value.split("/")
    if ".." in parts or "." in parts:
        raise ValueError(f"prefix {value!r} must not contain '..' or '.' segments")
    if value.startswith("/"):
        raise ValueError(f"prefix {value!r} must not start with '/'")
    return value.strip("/")


class SecretRef(SpecModel):
    """A Secret in the same namespace."""

    name: str = Field(min_length=1, max_length=253, description="Secret name.")


class S3Location(SpecModel):
    """A place in an S3-compatible object store."""

    bucket: str = Field(pattern=BUCKET, description="Bucket name (required).")
    prefix: str = Field(
        default="",
        max_length=512,
        description="Key prefix inside the bucket, without `..` segments.",
    )
    region: str | None = Field(
        default=None,
        pattern=REGION,
        description="Region of the bucket; the environment's default if unset.",
    )
    endpoint: str | None = Field(
        default=None,
        max_length=512,
        pattern=r"^https?://[^/@\s]+(/.*)?$",
        description="Endpoint URL of an S3-compatible store; AWS if unset.",
    )
    credentials_secret: SecretRef | None = Field(
        default=None,
        description="Secret with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and optionally "
        "AWS_SESSION_TOKEN); the pod's workload identity if unset. Never literal keys.",
    )

    model_config = SpecModel.model_config | {
        "json_schema_extra": cel_rules(
            ("!self.prefix.contains('..')", "prefix must not contain '..'")
        )
    }

    @model_validator(mode="before")
    @classmethod
    def _no_literal_keys(cls, data: Any) -> Any:
        reject_literal_keys(data)
        return data

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        return check_prefix(value)

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def run_url(self, benchmark_run: str) -> str:
        """Where the BenchmarkRun `benchmark_run` uploads (``status.artifactsRef``)."""
        return f"{self.url}/{benchmark_run}"

    @classmethod
    def from_url(
        cls, url: str, *, region: str | None = None, endpoint: str | None = None
    ) -> S3Location:
        """`s3://bucket/prefix` (what a user types on the command line)."""
        parts = urlsplit(url)
        if parts.scheme != "s3":
            raise ValueError(f"{url!r}: expected an s3://bucket/prefix URL")
        if "@" in parts.netloc:
            raise CredentialsError(
                f"{url!r}: literal credentials are not accepted in the URL; set "
                "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE in the environment"
            )
        if not parts.netloc:
            raise ValueError(f"{url!r}: the URL names no bucket (expected s3://bucket/prefix)")
        if parts.query or parts.fragment:
            raise ValueError(f"{url!r}: an s3:// URL takes no query or fragment")
        return cls(
            bucket=parts.netloc, prefix=parts.path.lstrip("/"), region=region, endpoint=endpoint
        )


class ArtifactsSpec(SpecModel):
    """Where a run's artifacts go besides the scenario's volume."""

    s3: S3Location | None = Field(
        default=None,
        description="Also upload every step's outputs and the final report here; "
        "the volume alone if unset.",
    )


class ConfigMapRef(SpecModel):
    """A ConfigMap in the same namespace."""

    name: str = Field(
        min_length=1,
        max_length=253,
        pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
        description="ConfigMap name.",
    )


class SourceSpec(SpecModel):
    """A stored scenario set (written by `enduro generate --out`), loaded instead of
    regenerated; its digests are checked and a mismatch refuses the set."""

    s3: S3Location | None = Field(default=None, description="The set under this S3 prefix.")
    config_map: ConfigMapRef | None = Field(
        default=None, description="A small set stored in a ConfigMap (binaryData: a tarball)."
    )
    digest: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="Expected set digest (manifest.json `digest`); any stored set if unset.",
    )

    model_config = SpecModel.model_config | {
        "json_schema_extra": cel_rules(
            ("has(self.s3) != has(self.configMap)", "give exactly one of s3 or configMap")
        )
    }

    @model_validator(mode="after")
    def _exactly_one(self) -> SourceSpec:
        if (self.s3 is None) == (self.config_map is None):
            raise ValueError("give exactly one of source.s3 or source.configMap")
        return self

    @property
    def where(self) -> str:
        """Where the set is, for messages: its S3 URL or ``ConfigMap <name>``."""
        if self.s3 is not None:
            return self.s3.url
        assert self.config_map is not None  # exactly one of the two (_exactly_one)
        return f"ConfigMap {self.config_map.name}"
