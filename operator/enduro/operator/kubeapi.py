"""The few Kubernetes API calls the handlers make themselves (create, patch, delete).

kopf watches and patches the objects it handles; creating children and patching a
status from a daemon are ours. This is a thin async client over aiohttp (kopf's own HTTP
library) using the connection kopf logged in with, so it works wherever kopf does.
"""

from __future__ import annotations

import base64
import ssl
import tempfile
from typing import Any

import aiohttp
import kopf

from enduro import __version__

USER_AGENT = f"enduro-operator/{__version__}"
Obj = dict[str, Any]


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


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
    cert, key = info.certificate_path, info.private_key_path
    if info.certificate_data and info.private_key_data:
        cert, key = _to_file(info.certificate_data), _to_file(info.private_key_data)
    if cert and key:
        context.load_cert_chain(str(cert), str(key))
    return context


def _text(data: str | bytes) -> str:
    raw = data if isinstance(data, bytes) else data.encode()
    try:
        return base64.b64decode(raw, validate=True).decode()
    except ValueError:
        return raw.decode()


def _to_file(data: str | bytes) -> str:
    with tempfile.NamedTemporaryFile("w", delete=False, suffix=".pem") as handle:
        handle.write(_text(data))
        return handle.name


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

    async def _request(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(ssl=_ssl_context(self.info), limit=50)
            self._session = aiohttp.ClientSession(
                base_url=self.info.server.rstrip("/") + "/",
                connector=connector,
                headers=self._headers(),
                timeout=aiohttp.ClientTimeout(total=60),
            )
        async with self._session.request(
            method, path.lstrip("/"), json=body, headers=headers
        ) as response:
            payload = (
                await response.json(content_type=None) if response.content_length != 0 else None
            )
            if response.status >= 400:
                message = payload.get("message", "") if isinstance(payload, dict) else str(payload)
                raise ApiError(response.status, message)
            return payload

    async def create(self, plural: str, obj: Obj) -> Obj | None:
        """Create `obj`; None if an object of that name already exists (it is ours: names
        are deterministic)."""
        meta = obj["metadata"]
        path = resource_path(obj["apiVersion"], plural, meta.get("namespace"))
        try:
            created: Obj = await self._request("POST", path, obj)
        except ApiError as error:
            if error.status == 409:
                return None
            raise
        return created

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

    async def patch(
        self,
        api_version: str,
        plural: str,
        namespace: str | None,
        name: str,
        patch: Obj,
        *,
        status: bool = False,
    ) -> Obj:
        path = resource_path(api_version, plural, namespace, name) + ("/status" if status else "")
        result: Obj = await self._request(
            "PATCH", path, patch, **{"Content-Type": "application/merge-patch+json"}
        )
        return result

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
