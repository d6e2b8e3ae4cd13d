"""A realistic Kubernetes API emulator: kmock's `KubernetesEmulator` with the semantics
the operator relies on.

kmock 0.8 stores objects as plain dicts and merges patches blindly. A real apiserver
does much more, and an operator that works against the plain emulator can still break on
a cluster. This subclass keeps its own store and implements what matters to us:

* `metadata.resourceVersion` bumped on every write (one global counter, like etcd's
  revision) and checked on conditional writes (409 Conflict on mismatch);
* `uid`, `creationTimestamp`, `generation` (bumped on spec changes only), namespace taken
  from the URL, `kind`/`apiVersion` filled in;
* 201 on create, 409 AlreadyExists on a duplicate name, `generateName`;
* the status subresource: writes to `/status` change only `status`, writes to the main
  resource never change `status`;
* merge-patch (RFC 7386) and replace (PUT);
* deletion with finalizers (deletionTimestamp first, gone when the finalizers are gone)
  and ownerReferences garbage collection (background, cascading);
* label and field selectors on list and watch; watches resume from a resourceVersion
  (no replay of the whole world on reconnect) and answer 410 Gone when it is too old;
* request counting by client (User-Agent), verb and resource, for the benchmarks;
* what kubectl needs (docs/operator.md lists it): discovery and `/openapi/v3`
  (`discovery.py`), Tables (`tables.py`), watch-list bookmarks, server-side apply and
  managedFields (`fieldmanagers.py`), validation, pruning, defaulting and CEL rules of
  custom resources against their CRD (`schema.py`), `pods/log`, orphan deletion.

Resources come from `self.resources`: seed it with `load_bundled()`; creating a CRD
object registers its kind (`register_crd`) and its schema.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import dataclasses
import datetime
import json
import pathlib
import re
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import aiohttp.web
import kmock
import orjson
import yaml
from kmock._internal import apps, parsing, rendering

from cluster import discovery, fieldmanagers, schema, tables

Obj = dict[str, Any]
ResKey = tuple[str, str, str]  # group, version, plural
ObjKey = tuple[ResKey, str | None, str]  # resource, namespace, name

UNSUPPORTED_PATCH = (
    "the body of the request was in an unknown format - accepted media types include: "
    "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
)
WATCH_HISTORY = 20_000  # events kept for watches that resume from a resourceVersion


@dataclasses.dataclass(frozen=True)
class WatchEvent:
    type: str  # ADDED | MODIFIED | DELETED
    resource: ResKey
    object: Obj
    at: float  # time.monotonic() when it happened
    line: bytes = b""  # the event as a line of a watch stream, once encoded


def _watch_line(type_: str, encoded: bytes) -> bytes:
    return b'{"type":"' + type_.encode() + b'","object":' + encoded + b"}\n"


def encode(obj: Any) -> bytes:
    """``obj`` as JSON: by orjson, about four times the standard library's speed on the
    documents every write copies and every watcher reads; by the standard library what
    orjson refuses (integers past 64 bits, keys that are not strings)."""
    try:
        return orjson.dumps(obj)
    except TypeError:
        return json.dumps(obj).encode()


def clone(obj: Any) -> Any:
    """A deep copy of a JSON document (many times faster than copy.deepcopy)."""
    return orjson.loads(encode(obj))


def now_iso() -> str:
    return datetime.datetime.now(tz=datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: dicts merge recursively, `null` deletes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return clone(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _error(status: int, reason: str, message: str) -> kmock.KubernetesError:
    return kmock.KubernetesError(status=status, reason=reason, message=message, details={})


def _invalid(kind: str, group: str, name: str, causes: list[schema.Cause]) -> kmock.KubernetesError:
    """The apiserver's 422: `<Kind>.<group> "<name>" is invalid: <field errors>`."""
    qualified = f"{kind}.{group}" if group else kind
    listed = str(causes[0]) if len(causes) == 1 else "[" + ", ".join(str(c) for c in causes) + "]"
    details: Obj = {
        "name": name,
        "kind": kind,
        "causes": [{"reason": c.reason, "message": c.message, "field": c.field} for c in causes],
    }
    if group:
        details["group"] = group
    return kmock.KubernetesError(
        status=422, reason="Invalid", message=f'{qualified} "{name}" is invalid: {listed}',
        details=details,
    )  # fmt: skip


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise _error(422, "Invalid", f"json-patch path {path!r} must start with '/'")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str]) -> Any:
    for part in parts:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def json_patch(target: Any, operations: list[Any]) -> Any:
    """RFC 6902 (add, remove, replace, move, copy, test); a failed `test` is a 422."""
    doc = clone(target)
    for op in operations:
        parts = _pointer(op["path"])
        try:
            if op["op"] == "test":
                if _walk(doc, parts) != op["value"]:
                    raise _error(422, "Invalid", f"json-patch test failed at {op['path']}")
                continue
            if op["op"] in ("move", "copy"):
                value = clone(_walk(doc, _pointer(op["from"])))
                if op["op"] == "move":
                    doc = json_patch(doc, [{"op": "remove", "path": op["from"]}])
                op = {"op": "add", "path": op["path"], "value": value}  # noqa: PLW2901
            if not parts:
                doc = clone(op.get("value"))
                continue
            parent = _walk(doc, parts[:-1])
            last = parts[-1]
            if op["op"] == "remove":
                del parent[int(last) if isinstance(parent, list) else last]
            elif isinstance(parent, list) and op["op"] == "add":
                parent.insert(len(parent) if last == "-" else int(last), op["value"])
            elif op["op"] in ("add", "replace"):
                if op["op"] == "replace" and not isinstance(parent, list) and last not in parent:
                    raise KeyError(last)
                parent[int(last) if isinstance(parent, list) else last] = op["value"]
            else:
                raise _error(422, "Invalid", f"unknown json-patch op {op['op']!r}")
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise _error(
                422, "Invalid", f"json-patch {op['op']} at {op['path']} failed: {exc!r}"
            ) from None
    return doc


_SELECTOR_TERM = re.compile(
    r"^\s*(?P<neg>!)?\s*(?P<key>[A-Za-z0-9_./-]+)\s*"
    r"(?:(?P<op>==|=|!=)\s*(?P<value>[A-Za-z0-9_.-]*)"
    r"|\s+(?P<setop>in|notin)\s*\((?P<values>[^)]*)\))?\s*$"
)


def parse_selector(text: str) -> list[Callable[[dict[str, str]], bool]]:
    """A label selector (`a=b,c!=d,e in (x,y),!f,g`) as a list of predicates (all must hold)."""
    terms = re.split(r",(?![^()]*\))", text) if text.strip() else []
    predicates: list[Callable[[dict[str, str]], bool]] = []
    for term in terms:
        match = _SELECTOR_TERM.match(term)
        if match is None:
            raise kmock.KubernetesError(
                status=400, reason="BadRequest", message=f"unable to parse requirement: {term!r}"
            )
        key, neg, op, value = match["key"], match["neg"], match["op"], match["value"]
        setop, values = match["setop"], match["values"]
        if op in ("=", "=="):
            predicates.append(lambda labels, k=key, v=value: labels.get(k) == v)
        elif op == "!=":
            predicates.append(lambda labels, k=key, v=value: labels.get(k) != v)
        elif setop:
            options = {v.strip() for v in values.split(",") if v.strip()}
            inside = setop == "in"
            predicates.append(
                lambda labels, k=key, o=options, i=inside: (
                    (labels.get(k) in o) == i and (k in labels or not i)
                )
            )
        elif neg:
            predicates.append(lambda labels, k=key: k not in labels)
        else:
            predicates.append(lambda labels, k=key: k in labels)
    return predicates


def field_value(obj: Obj, path: str) -> str | None:
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return None if node is None else str(node)


def parse_field_selector(text: str) -> list[Callable[[Obj], bool]]:
    predicates: list[Callable[[Obj], bool]] = []
    for term in filter(None, (t.strip() for t in text.split(","))):
        negate = "!=" in term
        path, _, value = term.partition("!=") if negate else term.replace("==", "=").partition("=")
        path, value = path.strip(), value.strip()
        predicates.append(lambda obj, p=path, v=value, n=negate: (field_value(obj, p) == v) != n)
    return predicates


_kmock_parse_path = parsing.parse_path


def _parse_path(path: str) -> parsing.ParsedPath:
    """kmock 0.8 cannot parse the Namespace resource itself (/api/v1/namespaces[/name])."""
    parts = path.strip("/").split("/")
    if parts[:3] == ["api", "v1", "namespaces"] and (
        len(parts) <= 4 or (len(parts) == 5 and parts[4] in ("status", "finalize"))
    ):
        name = parts[3] if len(parts) > 3 else None
        sub = parts[4] if len(parts) > 4 else None
        return parsing.ParsedPath("", "v1", "namespaces", None, name, sub)
    return _kmock_parse_path(path)


parsing.parse_path = _parse_path


class Conflict(kmock.KubernetesError):
    pass


class RealisticEmulator(kmock.KubernetesEmulator):  # type: ignore[misc]
    """See the module docstring. All state lives in (and is mutated from) the server's loop."""

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.store: dict[ObjKey, Obj] = {}
        # For the garbage collector, kept in step with the store (``_track``): the
        # (namespace, uid) of every object, and the objects each (namespace, owner uid) owns.
        self.uids: set[tuple[str | None, str]] = set()
        self.dependents: dict[tuple[str | None, str], set[ObjKey]] = collections.defaultdict(set)
        self.revision = 0
        # (resourceVersion, type, resource, watch line, when) of the latest events.
        self.history: collections.deque[tuple[int, str, ResKey, bytes, float]] = collections.deque(
            maxlen=WATCH_HISTORY
        )
        self.watchers: dict[ResKey, set[asyncio.Queue[WatchEvent | None]]] = (
            collections.defaultdict(set)
        )
        self.listeners: list[Callable[[WatchEvent], None]] = []
        self.counts: collections.Counter[tuple[str, str, str]] = collections.Counter()
        self.crds: dict[tuple[str, str], Obj] = {}  # (group, plural) -> CRD
        # The write being served: its field manager, validation directive and warnings.
        self.manager = ""
        self.field_validation = "Warn"
        self.warnings: list[str] = []
        self.admission = True  # False: store custom resources as given (an older, laxer CRD)
        self.bookmark_seconds = 60.0  # quiet watches that allow bookmarks get one this often
        # Where `pods/log` reads a container's output: (namespace, pod, container) -> path.
        self.log_files: Callable[[str, str, str], pathlib.Path | None] | None = None
        # Mutating admission webhooks: called with (resource, object) before each create.
        self.mutators: list[Callable[[ResKey, Obj], None]] = []

    # -- discovery ---------------------------------------------------------------------

    def register_crd(self, crd: Obj) -> None:
        spec = crd["spec"]
        names = spec["names"]
        self.crds[(spec["group"], names["plural"])] = crd
        for version in spec["versions"]:
            info = self.resources[f"{spec['group']}/{version['name']}/{names['plural']}"]
            info.kind = names["kind"]
            info.singular = names.get("singular", names["kind"].lower())
            info.namespaced = spec.get("scope", "Namespaced") == "Namespaced"
            info.verbs = {
                "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"
            }  # fmt: skip
            info.shortnames = set(names.get("shortNames", []))
            info.categories = set(names.get("categories", []))
            info.subresources = set(version.get("subresources", {}))

    def _info(self, res: ResKey) -> Any:
        key = f"{res[0]}/{res[1]}/{res[2]}" if res[0] else f"{res[1]}/{res[2]}"
        if key not in self.resources:
            raise _error(404, "NotFound", "the server could not find the requested resource")
        return self.resources[key]

    def crd_version(self, res: ResKey) -> Obj | None:
        """The CRD's entry for this version of a custom resource (None for built-ins)."""
        crd = self.crds.get((res[0], res[2]))
        if crd is None:
            return None
        return next((v for v in crd["spec"]["versions"] if v["name"] == res[1]), None)

    def _document(self, request: rendering.Request) -> Obj | None:
        """Discovery and OpenAPI documents (None: not such a path)."""
        if str(request.method.value).upper() != "GET":
            return None
        parts = request.url.path.strip("/").split("/")
        if parts == ["api"]:
            return discovery.api_versions(request.url.host or "127.0.0.1")
        if parts == ["apis"]:
            return discovery.api_groups(self.resources)
        if len(parts) == 2 and parts[0] == "api":
            found = discovery.resource_list(self.resources, "", parts[1])
        elif len(parts) == 3 and parts[0] == "apis":
            found = discovery.resource_list(self.resources, parts[1], parts[2])
        elif parts == ["openapi", "v3"]:
            return discovery.openapi_index(self.resources)
        elif parts[:2] == ["openapi", "v3"] and len(parts) in (4, 5):
            group, version = ("", parts[3]) if len(parts) == 4 else (parts[3], parts[4])
            found = discovery.openapi_group_version(
                self.resources, list(self.crds.values()), group, version
            )
        elif parts[:2] == ["openapi", "v2"]:
            raise _error(404, "NotFound", "the server could not find the requested resource")
        else:
            return None
        if found is None:
            raise _error(404, "NotFound", "the server could not find the requested resource")
        return found

    # -- request routing ---------------------------------------------------------------

    async def _handle(self, request: rendering.Request) -> aiohttp.web.StreamResponse:
        document = self._document(request)
        if document is not None:
            return aiohttp.web.json_response(document)
        res = request.resource
        if res is None or not res.plural or res.group is None or res.version is None:
            # Anything else that is not an object request: kmock's scaffold.
            return await apps.RawHandler._handle(self, request)
        key: ResKey = (res.group, res.version, res.plural)
        method = str(request.method.value).upper()
        verb = {
            ("GET", True): "watch" if request.params.get("watch") in ("true", "1") else "get",
            ("GET", False): "watch" if request.params.get("watch") in ("true", "1") else "list",
            ("POST", False): "create",
            ("PATCH", True): "patch",
            ("PUT", True): "update",
            ("DELETE", True): "delete",
        }.get((method, request.name is not None))
        if verb is None:
            raise _error(405, "MethodNotAllowed", f"{method} is not supported on this path")
        agent = request.headers.get("User-Agent", "unknown").split("/")[0].split(" ")[0]
        client = agent
        plural = key[2] + (f"/{request.subresource}" if request.subresource else "")
        self.counts[(client, verb, plural)] += 1
        info = self._info(key)
        if request.subresource == "log" and key == ("", "v1", "pods") and verb == "get":
            return self._log(request.namespace or "", request.name or "", request.params)
        if request.subresource not in (None, "status"):
            raise _error(404, "NotFound", f"subresource {request.subresource} is not emulated")
        if request.subresource == "status" and "status" not in info.subresources:
            raise _error(404, "NotFound", f"{plural} has no status subresource")
        namespace = request.namespace if info.namespaced else None
        accept = request.headers.get("Accept", "")
        if verb == "watch":
            return await self._watch(request, key, namespace)
        if verb == "list":
            listed = self.list(key, namespace, request.params)
            if tables.wants_table(accept):
                return aiohttp.web.json_response(self._table(key, listed["items"], request))
            return aiohttp.web.json_response(listed)
        assert request.name is not None or verb == "create"
        if verb == "get":
            got = self.get(key, namespace, request.name or "")
            if tables.wants_table(accept):
                return aiohttp.web.json_response(self._table(key, [got], request))
            return aiohttp.web.json_response(got)
        manager = request.params.get("fieldManager") or agent
        self.warnings = []
        self.field_validation = request.params.get("fieldValidation") or "Warn"
        self.manager = manager
        try:
            if verb == "create":
                created = self.create(key, namespace, request.data)
                return self._respond(created, 201)
            if verb == "delete":
                options = request.data if isinstance(request.data, dict) else {}
                policy = options.get("propagationPolicy") or request.params.get("propagationPolicy")
                if policy == "Orphan" or options.get("orphanDependents") is True:
                    self.orphan(key, namespace, request.name or "")
                return aiohttp.web.json_response(self.delete(key, namespace, request.name or ""))
            content_type = request.headers.get("Content-Type", "application/json").split(";")[0]
            if verb == "patch" and content_type == "application/apply-patch+yaml":
                body = request.data if isinstance(request.data, dict) else _yaml(request.text)
                force = request.params.get("force") in ("true", "1")
                applied, status = self.apply(key, namespace, request.name or "", body, force=force)
                return self._respond(applied, status)
            if verb == "patch" and content_type not in (
                "application/merge-patch+json",
                "application/strategic-merge-patch+json",
                "application/json-patch+json",
            ):
                raise _error(415, "UnsupportedMediaType", UNSUPPORTED_PATCH)
            if (
                content_type == "application/strategic-merge-patch+json"
                and self.crd_version(key) is not None
            ):
                raise _error(415, "UnsupportedMediaType", UNSUPPORTED_PATCH)
            updated = self.write(
                key,
                namespace,
                request.name or "",
                request.data,
                status=request.subresource == "status",
                replace=verb == "update",
                as_json_patch=content_type == "application/json-patch+json",
            )
            return self._respond(updated, 200)
        finally:
            self.manager = ""
            self.field_validation = "Warn"

    def _log(self, namespace: str, name: str, params: Any) -> aiohttp.web.Response:
        """`kubectl logs`: a container's output so far (`tailLines` honoured, no follow)."""
        pod = self._fetch(("", "v1", "pods"), namespace, name)
        names = [c["name"] for c in pod["spec"].get("containers", [])]
        names += [c["name"] for c in pod["spec"].get("initContainers", [])]
        container = params.get("container") or (names[0] if len(names) == 1 else None)
        if container is None:
            raise _error(
                400, "BadRequest",
                f"a container name must be specified for pod {name}, choose one of: "
                f"[{' '.join(names)}]",
            )  # fmt: skip
        if container not in names:
            raise _error(
                400, "BadRequest", f"container {container} is not valid for pod {name}"
            )  # fmt: skip
        path = self.log_files(namespace, name, container) if self.log_files else None
        if path is None or not path.exists():
            raise _error(
                400, "BadRequest",
                f'container "{container}" in pod "{name}" is waiting to start: '
                "ContainerCreating",
            )  # fmt: skip
        text = path.read_text(errors="replace")
        if params.get("tailLines"):
            lines = text.splitlines(keepends=True)
            text = "".join(lines[-int(params["tailLines"]) :]) if int(params["tailLines"]) else ""
        return aiohttp.web.Response(text=text, content_type="text/plain")

    def _respond(self, obj: Obj, status: int) -> aiohttp.web.Response:
        headers = {"Warning": ", ".join(f'299 - "{w}"' for w in self.warnings)}
        self.warnings = []
        return aiohttp.web.json_response(
            obj,
            status=status,
            headers=headers if headers["Warning"] else None,
            dumps=lambda doc: encode(doc).decode(),
        )

    def _table(self, res: ResKey, objects: list[Obj], request: rendering.Request) -> Obj:
        return tables.table(
            objects,
            plural=res[2],
            crd_version=self.crd_version(res),
            resource_version=str(self.revision),
            include_object=request.params.get("includeObject", "Metadata"),
        )

    # -- the store (synchronous: every mutation is atomic within the loop) --------------

    def _bump(self) -> str:
        self.revision += 1
        return str(self.revision)

    def _emit(self, type_: str, res: ResKey, obj: Obj) -> None:
        # Encoded once: every watcher writes the same line. The history keeps only the
        # line: thousands of events held as objects made the cycle collector a quarter
        # of the server's time.
        encoded = encode(obj)
        event = WatchEvent(
            type_, res, orjson.loads(encoded), time.monotonic(), _watch_line(type_, encoded)
        )
        rv = int(obj["metadata"]["resourceVersion"])
        self.history.append((rv, type_, res, event.line, event.at))
        for queue in list(self.watchers[res]):
            queue.put_nowait(event)
        for listener in list(self.listeners):
            listener(event)

    def _fetch(self, res: ResKey, namespace: str | None, name: str) -> Obj:
        try:
            return self.store[(res, namespace, name)]
        except KeyError:
            raise _error(404, "NotFound", f'{res[2]} "{name}" not found') from None

    def get(self, res: ResKey, namespace: str | None, name: str) -> Obj:
        return clone(self._fetch(res, namespace, name))

    def objects(self, res: ResKey, namespace: str | None = None) -> list[Obj]:
        """In the order a real API server lists them: by namespace, then name (etcd's key
        order), never by creation."""
        return [
            clone(obj)
            for (r, ns, _), obj in sorted(
                self.store.items(), key=lambda item: (item[0][1] or "", item[0][2])
            )
            if r == res and (namespace is None or ns == namespace)
        ]

    def _selected(self, params: dict[str, str]) -> Callable[[Obj], bool]:
        labels = parse_selector(params.get("labelSelector", ""))
        fields = parse_field_selector(params.get("fieldSelector", ""))

        def check(obj: Obj) -> bool:
            obj_labels = obj["metadata"].get("labels") or {}
            return all(p(obj_labels) for p in labels) and all(p(obj) for p in fields)

        return check

    def list(self, res: ResKey, namespace: str | None, params: dict[str, str]) -> Obj:
        selected = self._selected(params)
        kind = self._info(res).kind or res[2].capitalize()
        items = [obj for obj in self.objects(res, namespace) if selected(obj)]
        metadata: Obj = {"resourceVersion": str(self.revision)}
        if params.get("limit") or params.get("continue"):
            # Chunked lists as the apiserver serves them: in key order, `continue` is an
            # opaque token naming where the next chunk starts.
            def key(obj: Obj) -> str:
                return f"{obj['metadata'].get('namespace', '')}/{obj['metadata']['name']}"

            items.sort(key=key)
            after = params.get("continue") or ""
            if after:
                after = base64.urlsafe_b64decode(after.encode()).decode()
                items = [obj for obj in items if key(obj) > after]
            limit = int(params.get("limit") or 0)
            if limit and len(items) > limit:
                items = items[:limit]
                metadata["continue"] = base64.urlsafe_b64encode(key(items[-1]).encode()).decode()
        return {
            "apiVersion": f"{res[0]}/{res[1]}" if res[0] else res[1],
            "kind": f"{kind}List",
            "metadata": metadata,
            "items": items,
        }

    def create(
        self,
        res: ResKey,
        namespace: str | None,
        body: Any,
        managed_fields: list[Obj] | None = None,
    ) -> Obj:
        if not isinstance(body, dict):
            raise _error(400, "BadRequest", "the request body must be a JSON object")
        info = self._info(res)
        obj = clone(body)
        meta = obj.setdefault("metadata", {})
        if info.namespaced:
            if namespace is None:
                raise _error(404, "NotFound", f"{res[2]} is namespaced: POST to a namespace")
            if meta.get("namespace", namespace) != namespace:
                raise _error(
                    400,
                    "BadRequest",
                    "the namespace of the provided object does not match the namespace "
                    "sent on the request",
                )
            meta["namespace"] = namespace
        if not meta.get("name"):
            if not meta.get("generateName"):
                raise _error(422, "Invalid", "metadata.name: Required value: name or generateName")
            meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
        name = meta["name"]
        if (res, namespace, name) in self.store:
            raise _error(409, "AlreadyExists", f'{res[2]} "{name}" already exists')
        if "resourceVersion" in meta:
            raise _error(422, "Invalid", "metadata.resourceVersion: must be unset on create")
        obj["apiVersion"] = f"{res[0]}/{res[1]}" if res[0] else res[1]
        obj["kind"] = info.kind or res[2].capitalize()
        meta.update(
            uid=str(uuid.uuid4()),
            creationTimestamp=now_iso(),
            generation=1,
            resourceVersion=self._bump(),
        )
        meta.pop("deletionTimestamp", None)
        if "status" in info.subresources:
            obj.pop("status", None)
        if res == ("", "v1", "pods"):
            obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
        for mutate in self.mutators:
            mutate(res, obj)
        self._admit(res, obj, None)
        if managed_fields is not None:
            meta["managedFields"] = managed_fields
        elif self.manager:
            meta.pop("managedFields", None)
            fieldmanagers.record_update(None, obj, self.manager)
        if res == ("apiextensions.k8s.io", "v1", "customresourcedefinitions"):
            self.register_crd(obj)
        key = (res, namespace, name)
        self.store[key] = obj
        self._track(key, None, obj)
        self._emit("ADDED", res, obj)
        self._collect_garbage([key])  # created with owners that are all gone
        return clone(obj)

    def write(
        self,
        res: ResKey,
        namespace: str | None,
        name: str,
        body: Any,
        *,
        status: bool = False,
        replace: bool = False,
        as_json_patch: bool = False,
        managed_fields: list[Obj] | None = None,
    ) -> Obj:
        """PATCH (merge or json-patch) or PUT (replace), on the main resource or its status."""
        old = self._fetch(res, namespace, name)
        if as_json_patch:
            if not isinstance(body, list):
                raise _error(400, "BadRequest", "a json-patch body must be a JSON array")
            body = json_patch(old, body)
            wanted_rv = None
        elif not isinstance(body, dict):
            raise _error(400, "BadRequest", "the request body must be a JSON object")
        else:
            wanted_rv = (body.get("metadata") or {}).get("resourceVersion")
        if wanted_rv is not None and str(wanted_rv) != old["metadata"]["resourceVersion"]:
            raise _error(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {res[2]} "{name}": the object has been '
                "modified; please apply your changes to the latest version and try again",
            )
        candidate = clone(body) if replace or as_json_patch else merge_patch(old, body)
        new = clone(old)
        has_status = "status" in self._info(res).subresources
        if status:
            if "status" in candidate:
                new["status"] = candidate["status"]
            else:
                new.pop("status", None)
        else:
            old_meta = old["metadata"]
            meta = dict(candidate.get("metadata") or {})
            for frozen in ("uid", "name", "namespace", "creationTimestamp", "generation"):
                meta[frozen] = old_meta.get(frozen)
            for server_owned in ("deletionTimestamp", "deletionGracePeriodSeconds"):
                if server_owned in old_meta:
                    meta[server_owned] = old_meta[server_owned]
                else:
                    meta.pop(server_owned, None)
            added = set(meta.get("finalizers") or []) - set(old_meta.get("finalizers") or [])
            if "deletionTimestamp" in old_meta and added:
                raise _error(
                    422,
                    "Invalid",
                    "metadata.finalizers: Forbidden: no new finalizers can be added if the "
                    "object is being deleted",
                )
            new = {k: v for k, v in candidate.items() if k != "status" or not has_status}
            new["metadata"] = {k: v for k, v in meta.items() if v is not None}
            new["apiVersion"], new["kind"] = old["apiVersion"], old["kind"]
            if has_status and "status" in old:
                new["status"] = old["status"]
            spec_of = lambda o: {k: v for k, v in o.items() if k not in ("metadata", "status")}  # noqa: E731
            if spec_of(new) != spec_of(old):
                new["metadata"]["generation"] = old_meta.get("generation", 1) + 1
        new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
        self._admit(res, new, old)
        if managed_fields is not None:
            new["metadata"]["managedFields"] = managed_fields
        if _unmanaged(new) == _unmanaged(old):
            return clone(old)  # a no-op write does not bump the resourceVersion
        if managed_fields is None and self.manager:
            fieldmanagers.record_update(old, new, self.manager, "status" if status else None)
        new["metadata"]["resourceVersion"] = self._bump()
        key = (res, namespace, name)
        self.store[key] = new
        owners_changed = new["metadata"].get("ownerReferences") != old["metadata"].get(
            "ownerReferences"
        )
        if owners_changed:
            self._track(key, old, new)
        if "deletionTimestamp" in new["metadata"] and not new["metadata"].get("finalizers"):
            self._remove(res, namespace, name)
        else:
            self._emit("MODIFIED", res, new)
            if owners_changed:
                self._collect_garbage([key])  # all of its new owners may be gone
        return clone(new)

    def apply(
        self, res: ResKey, namespace: str | None, name: str, body: Any, *, force: bool
    ) -> tuple[Obj, int]:
        """Server-side apply: create or merge the configuration, owned by `self.manager`."""
        if not isinstance(body, dict):
            raise _error(400, "BadRequest", "the request body must be an object")
        if not self.manager:
            raise _error(
                422, "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: "
                "Required value: is required for apply patch"
            )  # fmt: skip
        if (body.get("metadata") or {}).get("name", name) != name:
            raise _error(
                400, "BadRequest",
                f"the name of the object ({body['metadata']['name']}) does not match the name "
                f"on the URL ({name})",
            )  # fmt: skip
        old = self.store.get((res, namespace, name))
        try:
            merged = fieldmanagers.apply(old, body, self.manager, force=force)
        except fieldmanagers.ApplyConflictError as exc:
            causes = [
                {"reason": "FieldManagerConflict", "message": f'conflict with "{who}"',
                 "field": "." + ".".join(path)}
                for who, path in exc.conflicts
            ]  # fmt: skip
            raise kmock.KubernetesError(
                status=409, reason="Conflict", message=str(exc), details={"causes": causes}
            ) from None
        managed = merged["metadata"].pop("managedFields")
        if old is None:
            merged["metadata"]["name"] = name
            merged["metadata"].pop("resourceVersion", None)
            return self.create(res, namespace, merged, managed_fields=managed), 201
        return self.write(
            res, namespace, name, merged, replace=True, managed_fields=managed
        ), 200  # fmt: skip

    def _admit(self, res: ResKey, obj: Obj, old: Obj | None) -> None:
        """Validate, prune and default `obj` in place, as the apiserver does before storing."""
        info = self._info(res)
        kind = info.kind or res[2].capitalize()
        meta = obj["metadata"]
        causes = schema.validate_metadata(meta, dns_label_name=res == ("", "v1", "namespaces"))
        version = self.crd_version(res) if self.admission else None
        openapi = ((version or {}).get("schema") or {}).get("openAPIV3Schema")
        if openapi:
            body = schema.body_schema(openapi)
            unknown = list(schema.prune(obj, body))
            listed = ", ".join(f'unknown field "{path}"' for path in unknown)
            if unknown and self.field_validation == "Strict":
                raise _error(
                    400, "BadRequest",
                    f'{kind} in version "{res[1]}" cannot be handled as a {kind}: strict decoding '
                    f"error: {listed}",
                )  # fmt: skip
            if unknown and self.field_validation == "Warn":
                self.warnings += [f'unknown field \\"{path}\\"' for path in unknown]
            schema.apply_defaults(obj, body)
            # The apiserver defaults what it reads from storage too: compare like with like.
            stored = None if old is None else schema.apply_defaults(clone(old), body)
            causes += schema.ratchet(schema.validate(obj, body, "", stored), obj, stored)
        if causes:
            raise _invalid(kind, res[0], meta.get("name", ""), causes)

    def delete(self, res: ResKey, namespace: str | None, name: str) -> Obj:
        obj = self._fetch(res, namespace, name)
        meta = obj["metadata"]
        if meta.get("finalizers"):
            if "deletionTimestamp" not in meta:
                meta["deletionTimestamp"] = now_iso()
                meta["deletionGracePeriodSeconds"] = 0
                meta["resourceVersion"] = self._bump()
                self._emit("MODIFIED", res, obj)
            return clone(obj)
        return self._remove(res, namespace, name)

    def orphan(self, res: ResKey, namespace: str | None, name: str) -> None:
        """`--cascade=orphan`: dependents lose their ownerReference to the object and stay."""
        uid = self._fetch(res, namespace, name)["metadata"]["uid"]
        for (r, ns, n), obj in list(self.store.items()):
            refs = obj["metadata"].get("ownerReferences") or []
            kept = [ref for ref in refs if ref.get("uid") != uid]
            if len(kept) != len(refs):
                self.write(r, ns, n, {"metadata": {"ownerReferences": kept or None}})

    def _remove(self, res: ResKey, namespace: str | None, name: str) -> Obj:
        key = (res, namespace, name)
        obj = self.store.pop(key)
        self._track(key, obj, None)
        obj["metadata"]["resourceVersion"] = self._bump()
        self._emit("DELETED", res, obj)
        self._collect_garbage(self.dependents.get((namespace, obj["metadata"]["uid"]), ()))
        return clone(obj)

    def _track(self, key: ObjKey, old: Obj | None, new: Obj | None) -> None:
        """Keep the uids and the owner index in step with a change of the store."""
        namespace = key[1]
        if old is not None:
            self.uids.discard((namespace, old["metadata"]["uid"]))
            for ref in old["metadata"].get("ownerReferences") or []:
                owner = (namespace, ref.get("uid"))
                self.dependents[owner].discard(key)
                if not self.dependents[owner]:
                    del self.dependents[owner]
        if new is not None:
            self.uids.add((namespace, new["metadata"]["uid"]))
            for ref in new["metadata"].get("ownerReferences") or []:
                self.dependents[(namespace, ref.get("uid"))].add(key)

    def _collect_garbage(self, candidates: Iterable[ObjKey]) -> None:
        """Background cascading deletion: of ``candidates`` (an object just created or
        given new owners, or the dependents of one just deleted), those whose owners are
        all gone go too, and theirs after them. An index of owners, not a scan of the
        store: a scan per write made the emulator's cost grow with every object kept."""
        for key in sorted(candidates, key=lambda k: (k[0], k[2])):
            obj = self.store.get(key)
            if obj is None or "deletionTimestamp" in obj["metadata"]:
                continue
            owners = obj["metadata"].get("ownerReferences")
            if owners and not any((key[1], ref.get("uid")) in self.uids for ref in owners):
                self.delete(*key)

    # -- watching ----------------------------------------------------------------------

    def subscribe(
        self, res: ResKey, since: str | None = None
    ) -> tuple[list[WatchEvent], asyncio.Queue[WatchEvent | None]]:
        """Events to replay (all objects as ADDED, or history after `since`) and a live queue."""
        queue: asyncio.Queue[WatchEvent | None] = asyncio.Queue()
        if since in (None, "", "0"):
            replay = [WatchEvent("ADDED", res, obj, time.monotonic()) for obj in self.objects(res)]
        else:
            assert since is not None
            oldest = self.history[0][0] if self.history else self.revision + 1
            if int(since) + 1 < oldest and int(since) < self.revision:
                raise Conflict(status=410, reason="Expired", message="too old resource version")
            replay = [
                WatchEvent(type_, res, orjson.loads(line)["object"], at, line)
                for rv, type_, resource, line, at in self.history
                if rv > int(since) and resource == res
            ]
        self.watchers[res].add(queue)
        return replay, queue

    def unsubscribe(self, res: ResKey, queue: asyncio.Queue[WatchEvent | None]) -> None:
        self.watchers[res].discard(queue)

    def close_watches(self) -> None:
        """End every watch stream, as an apiserver restart (or its watch timeout) would."""
        for queues in self.watchers.values():
            for queue in queues:
                queue.put_nowait(None)

    async def _watch(
        self, request: rendering.Request, res: ResKey, namespace: str | None
    ) -> aiohttp.web.StreamResponse:
        selected = self._selected(request.params)
        timeout = float(request.params.get("timeoutSeconds") or 0) or None
        deadline = None if timeout is None else time.monotonic() + timeout
        response = aiohttp.web.StreamResponse(headers={"Content-Type": "application/json"})
        assert request._raw_request is not None
        await response.prepare(request._raw_request)

        def wanted(event: WatchEvent) -> bool:
            ns = event.object["metadata"].get("namespace")
            return (namespace is None or ns == namespace) and selected(event.object)

        # Watch-list (kubectl 1.37's `wait`, client-go's reflectors): the current state as
        # ADDED events, then a bookmark that marks the end of the initial events.
        initial = request.params.get("sendInitialEvents") in ("true", "1")
        since = None if initial else request.params.get("resourceVersion")
        try:
            replay, queue = self.subscribe(res, since)
        except Conflict as exc:
            gone = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": exc.status}
            await response.write(encode({"type": "ERROR", "object": gone}) + b"\n")
            return response
        as_table = tables.wants_table(request.headers.get("Accept", ""))
        first = True

        def line(event: WatchEvent) -> bytes:
            # `kubectl get -w`: each event's object is a Table of one row; the columns
            # come with the first event only, as the apiserver sends them.
            nonlocal first
            if not as_table:
                return _line(event)
            rendered = self._table(res, [event.object], request)
            if not first:
                rendered["columnDefinitions"] = []
            first = False
            return encode({"type": event.type, "object": rendered}) + b"\n"

        try:
            for event in replay:
                if wanted(event):
                    await response.write(line(event))
            if initial:
                await response.write(self._initial_events_end(res))
            bookmarks = request.params.get("allowWatchBookmarks") in ("true", "1")
            while True:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                wait = remaining
                if bookmarks:
                    wait = (
                        self.bookmark_seconds if wait is None else min(wait, self.bookmark_seconds)
                    )
                try:
                    event = await asyncio.wait_for(queue.get(), wait)
                except TimeoutError:
                    if bookmarks and (deadline is None or time.monotonic() < deadline):
                        await response.write(self._bookmark(res, {}))
                        continue
                    break
                if event is None:
                    break
                if wanted(event):
                    await response.write(line(event))
        except (ConnectionResetError, aiohttp.ClientConnectionResetError):
            pass
        finally:
            self.unsubscribe(res, queue)
        return response

    def _initial_events_end(self, res: ResKey) -> bytes:
        return self._bookmark(res, {"k8s.io/initial-events-end": "true"})

    def _bookmark(self, res: ResKey, annotations: dict[str, str]) -> bytes:
        """A BOOKMARK: only the kind and the current resourceVersion (to resume from)."""
        meta: Obj = {"resourceVersion": str(self.revision)}
        if annotations:
            meta["annotations"] = annotations
        bookmark = {
            "kind": self._info(res).kind or res[2].capitalize(),
            "apiVersion": f"{res[0]}/{res[1]}" if res[0] else res[1],
            "metadata": meta,
        }
        return encode({"type": "BOOKMARK", "object": bookmark}) + b"\n"

    # -- figures -------------------------------------------------------------------------

    def requests_by(self, client: str, verbs: Iterable[str] | None = None) -> int:
        chosen = set(verbs) if verbs is not None else None
        return sum(
            n
            for (c, verb, _), n in self.counts.items()
            if c == client and (chosen is None or verb in chosen)
        )


def _unmanaged(obj: Obj) -> Obj:
    """The object without its managedFields (their timestamps alone are no change)."""
    return {**obj, "metadata": {k: v for k, v in obj["metadata"].items() if k != "managedFields"}}


def _yaml(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _error(400, "BadRequest", f"error decoding YAML: {exc}") from None


def _line(event: WatchEvent) -> bytes:
    return event.line or _watch_line(event.type, encode(event.object))
