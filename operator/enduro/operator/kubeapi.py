"""The few Kubernetes API calls the handlers make themselves (create, patch, delete).

kopf watches and patches the objects it handles; creating children and patching a
status from a daemon are ours. This is a thin async client over aiohttp (kopf's own HTTP
library) using the connection kopf logged in with, so it works wherever kopf does.
"""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
import tempfile
import urllib.parse
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import kopf

from enduro import __version__

USER_AGENT = f"enduro-operator/{__version__}"
Obj = dict[str, Any]


RETRIES = 8
TRANSIENT = frozenset({429, 500, 502, 503, 504})
MAX_DELAY_SECONDS = 5.0


class ApiError(Exception):
    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.retry_after = retry_after


def _seconds(headers: Mapping[str, str]) -> float | None:
    """The Retry-After header in seconds, if it is a number."""
    try:
        return max(0.0, float(headers["Retry-After"]))
    except (KeyError, ValueError):
        return None


async def _answer(response: aiohttp.ClientResponse) -> Any:
    """An answer's JSON (None if it has no body), or its failure as an ApiError."""
    payload = await response.json(content_type=None) if response.content_length != 0 else None
    if response.status >= 400:
        message = payload.get("message", "") if isinstance(payload, dict) else str(payload)
        raise ApiError(response.status, message, _seconds(response.headers))
    return payload


def _backoff(attempt: int) -> float:
    return float(min(0.1 * 2**attempt, 2.0))


def resource_path(api_version: str, plural: str, namespace: str | None, name: str = "") -> str:
    base = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
    ns = f"/namespaces/{namespace}" if namespace else ""
    return f"{base}{ns}/{plural}" + (f"/{name}" if name else "")


def _ssl_context(info: kopf.ConnectionInfo) -> ssl.SSLContext | bool:
    if not info.server.startswith("https"):
        return False
    if info.insecure:
        return False
    context = ssl.create_default_context(
        cafile=str(info.ca_path) if info.ca_path else None,
        cadata=_text(info.ca_data) if info.ca_data else None,
    )
    if info.certificate_data and info.private_key_data:
        _load_cert_chain_data(context, info.certificate_data, info.private_key_data)
    elif info.certificate_path and info.private_key_path:
        context.load_cert_chain(str(info.certificate_path), str(info.private_key_path))
    return context


def _load_cert_chain_data(context: ssl.SSLContext, cert: str | bytes, key: str | bytes) -> None:
    """ssl reads a client certificate only from files: write them into a private folder,
    load them, and remove them at once, so no private key is left behind in /tmp."""
    with tempfile.TemporaryDirectory(prefix="enduro-tls-") as folder:  # mode 0700
        cert_file, key_file = Path(folder) / "cert.pem", Path(folder) / "key.pem"
        cert_file.write_text(_text(cert))
        key_file.touch(mode=0o600)
        key_file.write_text(_text(key))
        context.load_cert_chain(str(cert_file), str(key_file))


def _text(data: str | bytes) -> str:
    raw = data if isinstance(data, bytes) else data.encode()
    try:
        return base64.b64decode(raw, validate=True).decode()
    except ValueError:
        return raw.decode()


class KubeApi:
    """Created from kopf's ConnectionInfo at login; the session opens on first use."""

    def __init__(self, info: kopf.ConnectionInfo) -> None:
        self.info = info
        self._session: aiohttp.ClientSession | None = None

    def _headers(self) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if self.info.token:
            headers["Authorization"] = f"{self.info.scheme or 'Bearer'} {self.info.token}"
        elif self.info.username and self.info.password:
            raw = f"{self.info.username}:{self.info.password}".encode()
            headers["Authorization"] = f"Basic {base64.b64encode(raw).decode()}"
        return headers

    async def _request(
        self, method: str, path: str, body: Any = None, *, parse: bool = True, **headers: str
    ) -> Any:
        """One call, retried while the API server is busy or briefly failing (429 with its
        Retry-After, 5xx, a dropped connection, a conflicting write under a merge patch,
        which carries no resourceVersion and can simply be sent again). Without `parse`,
        a successful answer is read but not decoded (None)."""
        for attempt in range(RETRIES + 1):
            try:
                return await self._request_once(method, path, body, headers, parse)
            except ApiError as error:
                transient = error.status in TRANSIENT or (error.status == 409 and method == "PATCH")
                if not transient or attempt == RETRIES:
                    raise
                delay = error.retry_after if error.retry_after is not None else _backoff(attempt)
            except (aiohttp.ClientError, TimeoutError):
                if attempt == RETRIES:
                    raise
                delay = _backoff(attempt)
            await asyncio.sleep(min(delay, MAX_DELAY_SECONDS))
        raise AssertionError("unreachable")

    def _opened(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(ssl=_ssl_context(self.info), limit=50)
            self._session = aiohttp.ClientSession(
                base_url=self.info.server.rstrip("/") + "/",
                connector=connector,
                headers=self._headers(),
                timeout=aiohttp.ClientTimeout(total=60),
            )
        return self._session

    async def _request_once(
        self, method: str, path: str, body: Any, headers: dict[str, str], parse: bool
    ) -> Any:
        async with self._opened().request(
            method, path.lstrip("/"), json=body, headers=headers
        ) as response:
            if response.status < 400 and not parse:
                await response.read()  # the connection is reused once the answer is read
                return None
            return await _answer(response)

    async def create(self, plural: str, obj: Obj) -> bool:
        """Create `obj`; False if an object of that name already exists (it is ours: names
        are deterministic). The created object is not decoded: no caller reads it."""
        meta = obj["metadata"]
        path = resource_path(obj["apiVersion"], plural, meta.get("namespace"))
        try:
            await self._request("POST", path, obj, parse=False)
        except ApiError as error:
            if error.status == 409:
                return False
            raise
        return True

    async def get(
        self, api_version: str, plural: str, namespace: str | None, name: str
    ) -> Obj | None:
        """The object, or None if it (or its kind) does not exist."""
        try:
            found: Obj = await self._request(
                "GET", resource_path(api_version, plural, namespace, name)
            )
        except ApiError as error:
            if error.status == 404:
                return None
            raise
        return found

    async def list_objects(
        self, api_version: str, plural: str, namespace: str | None, label_selector: str
    ) -> Obj:
        """The list of the objects with these labels (its `metadata.resourceVersion` is where
        a watch of them resumes)."""
        query = urllib.parse.urlencode({"labelSelector": label_selector})
        found: Obj = await self._request(
            "GET", f"{resource_path(api_version, plural, namespace)}?{query}"
        )
        return found

    async def watch(
        self,
        api_version: str,
        plural: str,
        namespace: str | None,
        label_selector: str,
        *,
        resource_version: str,
        seconds: int,
    ) -> AsyncIterator[Obj]:
        """The events of one watch request (with bookmarks) from `resource_version`, decoded,
        until the server ends it (after about `seconds`). Not retried: the caller resumes
        from the last resourceVersion it saw, or lists again."""
        params = {
            "watch": "true",
            "labelSelector": label_selector,
            "resourceVersion": resource_version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": str(seconds),
        }
        path = resource_path(api_version, plural, namespace).lstrip("/")
        # No total time limit, only one for silence: the stream lasts `seconds` by design.
        timeout = aiohttp.ClientTimeout(total=None, sock_read=seconds + 30)
        async with self._opened().get(path, params=params, timeout=timeout) as response:
            if response.status >= 400:
                await _answer(response)  # raises the API server's reason
            pending = b""
            # One JSON object per line; a line may arrive in several chunks, and one chunk
            # may hold several lines.
            async for chunk in response.content.iter_any():
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    if line.strip():
                        yield json.loads(line)

    async def patch(
        self,
        api_version: str,
        plural: str,
        namespace: str | None,
        name: str,
        patch: Obj,
        *,
        status: bool = False,
    ) -> None:
        """A merge patch; the patched object is not decoded (a ScenarioRun's whole status
        came back with every step's patch, and no caller reads it)."""
        path = resource_path(api_version, plural, namespace, name) + ("/status" if status else "")
        await self._request(
            "PATCH", path, patch, parse=False, **{"Content-Type": "application/merge-patch+json"}
        )

    async def delete(self, api_version: str, plural: str, namespace: str | None, name: str) -> None:
        """Delete, in the background (dependents are garbage-collected); gone already is fine."""
        path = resource_path(api_version, plural, namespace, name)
        try:
            await self._request("DELETE", path, {"propagationPolicy": "Background"})
        except ApiError as error:
            if error.status != 404:
                raise

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
