"""Settings of the operator process (not of a run): images, timings, and re-check timings."""

from __future__ import annotations

from pydantic import BaseModel, Field

from enduro.steps.build import Images


class OperatorConfig(BaseModel):
    """Read from `ENDURO_*` environment variables by `from_env` (the Helm chart sets them)."""

    enduro_image: str = Field(default=Images().enduro, description="Image with the enduro CLI.")
    agent_image_template: str = Field(
        default=Images().agent_template, description="Agent image per harness: `{harness}`."
    )
    runtime_class_name: str = Field(
        default="", description="RuntimeClass of step pods whose Agent names none ('': default)."
    )
    unschedulable_seconds: float = Field(
        default=300, gt=0, description="A step pod unschedulable this long is re-run."
    )
    run_settle_seconds: float = Field(
        default=0.5, ge=0, description="A BenchmarkRun re-plans at most this often."
    )
    metrics_port: int = Field(
        default=0, ge=0, le=65535, description="Serve Prometheus /metrics on this port (0: off)."
    )
    poll_seconds: float = Field(
        default=30, gt=0, description="Daemons re-check this often even without events."
    )
    default_queue_name: str = Field(
        default="", description="Kueue LocalQueue of runs without spec.queueName ('': none)."
    )

    @property
    def images(self) -> Images:
        return Images(enduro=self.enduro_image, agent_template=self.agent_image_template)

    @classmethod
    def from_env(cls, environ: dict[str, str]) -> OperatorConfig:
        prefix = "ENDURO_"
        values = {
            name: environ[prefix + name.upper()]
            for name in cls.model_fields
            if prefix + name.upper() in environ
        }
        return cls.model_validate(values)
