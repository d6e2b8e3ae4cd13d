"""What ``enduro run`` and ``enduro report`` do with a store: open it for a run (checked
before anything starts), publish the report at the end, read a run's report back."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from enduro.api.storage import S3Location
from enduro.reports.report import REPORT_FILE, RunReport
from enduro.storage import ArtifactStore, StorageError, is_s3_url, open_store
from enduro.storage.sync import RunUploader

if TYPE_CHECKING:
    from enduro.runtime.manifest import RunPlan


def run_uploader(
    run: str,
    out: Path,
    *,
    url: str | None,
    spec: S3Location | None,
    region: str | None = None,
    endpoint: str | None = None,
) -> RunUploader:
    """The uploader of a run: ``url`` (``--artifacts``) wins over the spec's ``s3``;
    without either it uploads nothing. Raises ``StorageError`` when the store cannot be
    written, before any step runs."""
    store: ArtifactStore | None = None
    if url is not None:
        store = open_store(url, region=region, endpoint=endpoint)
    elif spec is not None:
        store = open_store(
            spec.model_copy(
                update={"region": region or spec.region, "endpoint": endpoint or spec.endpoint}
            )
        )
    if store is not None:
        store.check()
    return RunUploader(store, run, out)


def publish(uploader: RunUploader, report: RunReport) -> str:
    """``report.md`` (with its plots) next to ``report.json``, then everything not yet
    uploaded. Returns the run's URL."""
    from enduro.reports.summary import write_markdown_report

    write_markdown_report([report], uploader.out)
    uploader.finish()
    return uploader.url


def read_run_report(target: str, *, region: str | None = None) -> RunReport:
    """A run's report from ``s3://bucket/prefix/run`` or a local run directory."""
    if not is_s3_url(target):
        from enduro.reports.report import read_report

        return read_report(Path(target))
    store = open_store(target, region=region)
    data = store.get_bytes(REPORT_FILE)
    try:
        return RunReport.model_validate_json(data)
    except ValueError as exc:
        raise StorageError(f"{target}/{REPORT_FILE}: not a run report ({exc})") from None


@dataclass(frozen=True)
class ArtifactsOption:
    """``enduro run --artifacts s3://bucket/prefix [--artifacts-region R]
    [--artifacts-endpoint URL]``; without a URL the BenchmarkRun's ``artifacts.s3``."""

    url: str | None = None
    region: str | None = None
    endpoint: str | None = None

    def uploader(self, plan: RunPlan, out: Path) -> RunUploader:
        return run_uploader(
            plan.name,
            out,
            url=self.url,
            spec=plan.spec.artifacts.s3,
            region=self.region,
            endpoint=self.endpoint,
        )


def publish_or_fail(uploader: RunUploader, report: RunReport) -> int:
    """Publish; 0, or 1 with the reason on stderr (the local report is kept)."""
    if uploader.store is None:
        return 0
    try:
        url = publish(uploader, report)
    except StorageError as exc:
        print(f"error: the report could not be uploaded: {exc}", file=sys.stderr)
        return 1
    print(f"artifacts: {url}")
    return 0


def use_stored_set(plan: RunPlan, out: Path) -> str:
    """When the Benchmark names a stored set (``spec.source``), fetch and verify it into
    ``out/scenario_set`` and point every step at it (``ENDURO_SCENARIO_SET``, inherited by
    the step processes). Returns "" or the reason the run cannot start."""
    source = plan.benchmark.source
    if source is None:
        return ""
    from enduro.scenarios.generator import SCENARIO_SET_ENV
    from enduro.scenarios.sources import fetch_source
    from enduro.scenarios.store import StoreError

    try:
        config_map = plan.config_maps.get(source.config_map.name) if source.config_map else None
        path = fetch_source(
            source,
            plan.benchmark.require_generator(),
            out / "scenario_set",
            config_map=config_map,
        )
    except StoreError as exc:
        return f"Benchmark {plan.benchmark_name}: spec.source: {exc}"
    os.environ[SCENARIO_SET_ENV] = str(path)
    return ""
