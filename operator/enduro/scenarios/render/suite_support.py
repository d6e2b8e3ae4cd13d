"""The fixed part of the generated suite's ``conftest.py``: the HTTP client the tests
drive the server with, unique tokens and fresh values, and the checks every module
shares (error bodies, sort order, aggregates). ``render/suite.py`` appends the
schema-specific part: one body builder per entity and the fresh-value table."""

from pathlib import Path


def _client_section() -> str:
    """``http_client.py`` as conftest code: its imports and definitions, introduced by a
    comment naming where it comes from."""
    source = Path(__file__).with_name("http_client.py").read_text()
    body = source.split("from __future__ import annotations\n", 1)[1]
    return "\n# The HTTP client (enduro/scenarios/render/http_client.py)." + body


CONFTEST_HEAD = '''
from __future__ import annotations

import itertools
import os
import random
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
{client}
BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
SESSION = Session()
SHARED: dict = {}
RUN = uuid.uuid4().hex[:6]  # keeps tokens unique across runs against one server
COUNTER = itertools.count(1)
START = random.randrange(1_000_000)
MISSING_ID = 999_999_999


def token() -> str:
    """A lower-case word no other test uses: scopes a test's data by its title."""
    return f"t{RUN}{next(COUNTER)}"


def fresh_text(low: int, high: int) -> str:
    text = f"u{RUN}{next(COUNTER)}".ljust(low, "x")
    return text[-high:]


def fresh_email(high: int) -> str:
    text = f"u{RUN}{next(COUNTER)}@example.com"
    return text[-high:] if len(text) > high else text


FIELD_COUNTERS: dict = {}


def next_for(name: str) -> int:
    """Counts per unique field, so a small range is used up in order, not at random."""
    return next(FIELD_COUNTERS.setdefault(name, itertools.count(START)))


def fresh_integer(name: str, low: int, high: int) -> int:
    return low + next_for(name) % (high - low + 1)


def fresh_number(name: str, low: float, high: float) -> float:
    """Numbers strictly inside (low, high), a millionth of the range apart."""
    step = (high - low) / 1_000_001
    return round(low + (next_for(name) % 1_000_000 + 1) * step, 9)


def fresh_date(name: str) -> str:
    return (date(2000, 1, 1) + timedelta(days=next_for(name) % 30000)).isoformat()


def fresh_datetime(name: str) -> str:
    moment = datetime(2000, 1, 1) + timedelta(seconds=next_for(name) % 10**9)
    return moment.isoformat()


def fresh_from(name: str, pool: tuple) -> str:
    """The next unused value of a pool of pattern-matching strings."""
    return pool[next_for(name) % len(pool)]


def instant(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def query_text(value: object) -> str:
    """How a value is written in a query string."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def holds(value: object, op: str, other: object) -> bool:
    if op == "is_set":
        return value is not None
    if op == "is_null":
        return value is None
    if op == "eq":
        return value == other
    if op == "ne":
        return value != other
    if value is None or other is None:
        return False
    return {
        "gt": value > other,
        "gte": value >= other,
        "lt": value < other,
        "lte": value <= other,
    }[op]


def same(value: object, other: object) -> bool:
    """Equality as an equality filter sees it (null only equals null)."""
    if value is None or other is None:
        return value is None and other is None
    return value == other


def aggregate(op: str, rows: list, field: str | None) -> object:
    if op == "count":
        return len(rows)
    values = [row[field] for row in rows if row[field] is not None]
    if op == "sum":
        return sum(values)
    if not values:
        return None
    if op == "avg":
        return sum(values) / len(values)
    return min(values) if op == "min" else max(values)


def group_text(key: object) -> str:
    return query_text(key)


def grouped(op: str, rows: list, field: str | None, by: str) -> list:
    groups: dict = {}
    for row in rows:
        if row[by] is not None:
            groups.setdefault(row[by], []).append(row)
    return [
        {"key": key, "value": aggregate(op, groups[key], field)}
        for key in sorted(groups, key=group_text)
    ]


def close(actual: object, expected: object) -> bool:
    """Equality, with floats compared at a relative tolerance of 1e-6."""
    if isinstance(expected, float) or isinstance(actual, float):
        if isinstance(actual, bool) or isinstance(expected, bool):
            return False
        if not isinstance(actual, (int, float)) or not isinstance(expected, (int, float)):
            return False
        return actual == pytest.approx(expected, rel=1e-6)
    if isinstance(expected, dict) and isinstance(actual, dict):
        return actual.keys() == expected.keys() and all(
            close(actual[key], expected[key]) for key in expected
        )
    if isinstance(expected, list) and isinstance(actual, list):
        return len(actual) == len(expected) and all(
            close(a, e) for a, e in zip(actual, expected)
        )
    return actual == expected and isinstance(actual, bool) == isinstance(expected, bool)


class Api:
    """The server under test, as the tests see it."""

    token = staticmethod(token)
    instant = staticmethod(instant)
    query_text = staticmethod(query_text)
    holds = staticmethod(holds)
    same = staticmethod(same)
    aggregate = staticmethod(aggregate)
    grouped = staticmethod(grouped)
    close = staticmethod(close)
    MISSING_ID = MISSING_ID

    def request(self, method: str, path: str, **kwargs) -> Response:
        response = SESSION.request(method, BASE_URL + path, timeout=30, **kwargs)
        if method == "POST" and response.status_code == 201 and path.count("/") == 1:
            self.remember(path[1:], response.json())
        return response

    def remember(self, plural: str, item: dict) -> None:
        """Notes a created object (and the scarce unique values it holds)."""
        self.created.append((plural, item))
        if isinstance(item.get("id"), int):
            LOWEST_IDS[plural] = min(LOWEST_IDS.get(plural, item["id"]), item["id"])
        for field, name in SCARCE.get(plural, ()):
            ALIVE.setdefault(name, set()).add(item.get(field))

    def lowest_id(self, plural: str) -> int:
        """The smallest id a create of ``plural`` answered during this run."""
        return LOWEST_IDS[plural]

    def empty_at_start(self, plural: str) -> bool:
        """Whether ``GET /<plural>`` answered an empty list before the first test: the
        server started fresh, so the run's first create of ``plural`` has id 1."""
        return EMPTY_AT_START.get(plural, False)

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs) -> Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs) -> Response:
        return self.request("DELETE", path, **kwargs)

    def body(self, plural: str, **fields) -> dict:
        """A valid POST body with only the required fields, plus ``fields``."""
        body = MINIMAL[plural](self)
        body.update(fields)
        return body

    def full_body(self, plural: str, **fields) -> dict:
        """A valid POST body with every writable field set, plus ``fields``."""
        body = FULL[plural](self)
        body.update(fields)
        return body

    def new(self, plural: str, **fields) -> dict:
        return self.create(plural, self.body(plural, **fields))

    def new_full(self, plural: str, **fields) -> dict:
        return self.create(plural, self.full_body(plural, **fields))

    def __init__(self) -> None:
        self.created: list = []  # (plural, object) this test created, in order
        self.releasing = False

    def create(self, plural: str, body: dict) -> dict:
        response = self.post(f"/{plural}", json=body)
        assert response.status_code == 201, (
            f"POST /{plural} {body} answered {response.status_code}: {response.text}"
        )
        return response.json()

    def release_after(self) -> None:
        """Deletes everything this test creates once it ends (it holds fixed values of
        unique fields that later tests may need)."""
        self.releasing = True

    def pick(self, plural: str, field: str, values: tuple) -> object:
        """The first of ``values`` that no ``plural`` object holds in ``field``."""
        held = {item.get(field) for item in self.list_all(plural)}
        return next((value for value in values if value not in held), values[0])

    def cleanup(self) -> None:
        """Deletes what the test created when it holds a value from a small unique
        range or picked values (children first), so later tests find free values."""
        if not self.releasing and not any(plural in SCARCE for plural, _ in self.created):
            return
        for plural, item in reversed(self.created):
            try:
                response = self.delete(f"/{plural}/{item['id']}")
            except ClientError:
                return
            if response.status_code == 204:
                for field, name in SCARCE.get(plural, ()):
                    ALIVE.get(name, set()).discard(item.get(field))

    def act(self, plural: str, item_id: int, action: str) -> dict:
        response = self.post(f"/{plural}/{item_id}/{action}")
        assert response.status_code == 200, (
            f"POST /{plural}/{item_id}/{action} answered {response.status_code}: {response.text}"
        )
        return response.json()

    def shared(self, plural: str) -> int:
        """The id of one object of ``plural`` that many tests point at and none deletes."""
        if plural not in SHARED:
            SHARED[plural] = self.new(plural)["id"]
            self.created.pop()  # shared objects outlive the test that made them
        return SHARED[plural]

    def fresh(self, name: str) -> object:
        """A valid value of a unique field that no other object holds."""
        alive = ALIVE.get(name, set())
        value = FRESH[name]()
        for _ in range(100_000):
            if value not in alive:
                break
            value = FRESH[name]()
        return value

    def list_all(self, plural: str, **params) -> list:
        """Every object of a list query, walking the pages where there are pages."""
        size = PAGE_SIZE.get(plural)
        if size is None:
            response = self.get(f"/{plural}", params=params)
            assert response.status_code == 200, response.text
            return response.json()
        items: list = []
        seen: set = set()
        while True:
            page_params = {**params, "limit": size, "offset": len(items)}
            response = self.get(f"/{plural}", params=page_params)
            assert response.status_code == 200, response.text
            page = response.json()
            assert isinstance(page, list) and len(page) <= size, (
                f"GET /{plural} with limit={size} must answer at most {size} objects"
            )
            ids = {obj.get("id") for obj in page if isinstance(obj, dict)}
            # A server that ignores offset answers the same page forever: fail, don't loop.
            assert not ids & seen, (
                f"GET /{plural}?offset={len(items)} repeats objects of earlier pages"
            )
            seen |= ids
            items.extend(page)
            if len(page) < size:
                return items

    def expect(self, response: Response, status: int, field: str | None = None) -> None:
        """The response is an error with this status (and names this field)."""
        assert response.status_code == status, (
            f"expected {status}, got {response.status_code}: {response.text}"
        )
        body = response.json()
        assert isinstance(body, dict) and isinstance(body.get("error"), str), (
            f"an error body is {{\\"error\\": ...}}, got {response.text}"
        )
        if field is not None:
            assert body.get("field") == field, f"expected field {field!r}: {response.text}"
        if status in (400, 404):
            assert "field" not in body, f"a {status} names no field: {response.text}"

    def check_sorted(self, items: list, field: str, descending: bool, key=None) -> None:
        """Nulls last, the rest in order, ties by ascending id."""
        key = key or (lambda value: value)
        present = [item for item in items if item[field] is not None]
        missing = [item for item in items if item[field] is None]
        assert items == present + missing, f"nulls must sort last by {field}"
        for first, second in zip(present, present[1:]):
            a, b = key(first[field]), key(second[field])
            if a == b:
                assert first["id"] < second["id"], f"ties on {field} go by ascending id"
            elif descending:
                assert a > b, f"{first[field]!r} before {second[field]!r} in -{field}"
            else:
                assert a < b, f"{first[field]!r} before {second[field]!r} in {field}"
        ids = [item["id"] for item in missing]
        assert ids == sorted(ids), "objects without a value keep ascending id order"


ALIVE: dict = {}  # values of scarce unique fields that objects hold right now
LOWEST_IDS: dict = {}  # plural -> the smallest id any create answered in this run


EMPTY_AT_START: dict = {}  # plural -> whether the collection was empty before any test


@pytest.fixture(scope="session", autouse=True)
def collections_at_start():
    """Notes which collections are empty before the first test runs."""
    for plural in MINIMAL:
        try:
            response = SESSION.get(f"{BASE_URL}/{plural}", timeout=30)
            EMPTY_AT_START[plural] = response.status_code == 200 and response.json() == []
        except (ClientError, ValueError):
            EMPTY_AT_START[plural] = False
    yield


@pytest.fixture
def api():
    client = Api()
    yield client
    client.cleanup()
'''.replace("{client}", _client_section())
