"""The suite renderer: the ground truth passes it, broken servers fail it."""

from __future__ import annotations

import ast

import pytest
from library import library
from suite_runs import failed_names, run_suites

from enduro.scenarios.render.server import render_server
from enduro.scenarios.render.suite import render_suite
from enduro.scenarios.validate import SuiteRun, TurnPair

# (test id, text in the generated app.py, its broken replacement, -k selection,
#  the suite test that must catch it)
MUTATIONS = [
    ("created_is_200", "return book_view(item), 201", "return book_view(item), 200",
     "test_book and create", "test_create_answers_201_with_every_field"),
    ("maximum_ignored", "    if value > 5000:\n", "    if value > 50000:\n",
     "pages", "test_post_with_pages_above_maximum_is_422"),
    ("no_cascade", "        if other['author_id'] == item_id:\n            doom_book",
     "        if False:\n            doom_book", "deleting",
     "test_deleting_the_author_deletes_by_author_id"),
    ("no_restrict", "            return 'book_id'  # copy.book_id: restrict", "            pass",
     "deleting", "test_deleting_the_book_is_restricted_by_book_id"),
    ("no_set_null", "            other['shelf_id'] = None", "            pass",
     "deleting", "test_deleting_the_shelf_clears_shelf_id"),
    ("nulls_first", "    return present + missing", "    return missing + present",
     "sorting", "test_sorting_by_price"),
    ("guard_ignored", "        if not holds(view['pages'], 'gte', 10):\n",
     "        if False:\n", "submit", "test_submit_refused_when_guard_1_pages_gte_fails"),
    ("related_guard_ignored", "other['state'] in ('available',))\n        if not holds(",
     "other['state'] in ('available',))\n        if False and holds(", "publish",
     "test_publish_refused_when_guard_1_copy_count_gte_1_fails"),
    ("wrong_state_allowed", "        if item['status'] not in ('review',):\n",
     "        if False:\n", "publish", "test_publish_in_state_draft_is_409"),
    ("avg_floored", "        return sum(values) / len(values)",
     "        return sum(values) // len(values)", "average",
     "test_average_price_aggregates_the_matching_objects"),
    ("keys_sorted", "app.json.sort_keys = False", "app.json.sort_keys = True",
     "create", "test_create_answers_201_with_every_field"),
    ("ids_reused",
     "    NEXT_IDS[plural] = NEXT_IDS.get(plural, 0) + 1\n    return NEXT_IDS[plural]",
     "    return len(STORES[plural]) + 1", "ids",
     "test_ids_count_up_by_one_and_are_never_reused"),
    ("pattern_searched", "re.fullmatch('97[89]-\\\\d{6}', value)",
     "re.search('97[89]-\\\\d{6}', value)", "isbn",
     "test_post_with_isbn_not_matching_the_pattern_is_422"),
    ("unique_ignored", "if value is not None and any(o['isbn'] == value for o in others):",
     "if False:", "isbn", "test_post_with_a_taken_isbn_is_409"),
    ("contains_case_sensitive", "needle in str(item[name]).lower()",
     "needle in str(item[name])", "contains", "test_filter_title_contains_ignores_case"),
    ("default_page_size", 'limit = query_int(args, "limit", 5, 1, 10)',
     'limit = query_int(args, "limit", 10, 1, 10)', "default",
     "test_list_pages_default_to_5_objects"),
    ("offset_ignored", "    items = items[offset : offset + limit]", "    items = items[:limit]",
     "offset", "test_limit_and_offset_slice_the_list"),
    ("pages_ignored", "    items = items[offset : offset + limit]", "    items = items[:]",
     "test_author", "test_list_pages_default_to_5_objects"),
]  # fmt: skip


@pytest.fixture(scope="module")
def rendered() -> tuple[str, dict[str, str]]:
    schema = library()
    return render_server(schema)["app.py"], render_suite(TurnPair(schema=schema, previous=None))


@pytest.fixture(scope="module")
def mutated_runs(rendered: tuple[str, dict[str, str]]) -> dict[str, SuiteRun]:
    source, suite = rendered
    cases = []
    for _, old, new, keyword, _ in MUTATIONS:
        assert source.count(old) >= 1, old
        cases.append((source.replace(old, new), suite, keyword))
    return {m[0]: run for m, run in zip(MUTATIONS, run_suites(cases), strict=True)}


def test_suite_text_is_deterministic_and_valid_python(
    rendered: tuple[str, dict[str, str]],
) -> None:
    _, suite = rendered
    again = render_suite(TurnPair(schema=library(), previous=None))
    assert suite == again
    assert set(suite) == {
        "tests/conftest.py", "tests/test_author.py", "tests/test_book.py",
        "tests/test_shelf.py", "tests/test_copy.py", "tests/test_analytics.py",
        "tests/test_paths.py",
    }  # fmt: skip
    for path, text in suite.items():
        ast.parse(text, path)
    assert 'BASE_URL = os.environ.get("BASE_URL"' in suite["tests/conftest.py"]


@pytest.mark.slow
def test_the_ground_truth_passes_its_whole_suite(rendered: tuple[str, dict[str, str]]) -> None:
    [run] = run_suites([(*rendered, None)])
    assert run.error is None
    assert run.tests > 300
    assert run.passed == run.tests, run.failures[:5]


@pytest.mark.slow
@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_a_broken_server_fails_the_test_that_covers_it(
    mutation: tuple[str, ...], mutated_runs: dict[str, SuiteRun]
) -> None:
    name, _, _, _, expected = mutation
    run = mutated_runs[name]
    assert run.error is None and run.tests > 0
    assert expected in failed_names(run), run.failures[:3]
