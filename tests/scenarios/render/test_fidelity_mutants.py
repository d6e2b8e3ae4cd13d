"""Issue #16: single behaviour changes of the ground truth that the spec states and an
earlier suite let through. Each mutant edits the generated ``app.py`` text of one
schema; the suite of that schema must fail against it, and pass the ground truth."""

from __future__ import annotations

import pytest
from suite_runs import failed_names, run_suites

from enduro.scenarios.render.server import render_server
from enduro.scenarios.render.suite import render_suite
from enduro.scenarios.schema import (
    Action,
    AggregateOp,
    Analytics,
    CompareOp,
    Condition,
    Entity,
    FieldGuard,
    FieldSpec,
    FieldType,
    FilterOp,
    ListFilter,
    Listing,
    OnDelete,
    Pagination,
    Schema,
)
from enduro.scenarios.validate import SuiteRun, TurnPair

S = FieldType


def fidelity() -> Schema:
    """Owners own projects (cascade), projects own tasks (cascade) and are reviewed
    (restrict); a unique code guards an action with an ordering comparison; analytics
    with a condition on another field, on the title, grouped by an enum, and a count."""
    owner = Entity(
        name="owner",
        plural="owners",
        title_field="name",
        fields=[
            FieldSpec(name="name", type=S.STRING, required=True),
            FieldSpec(name="region", type=S.STRING),
            FieldSpec(
                name="tier", type=S.ENUM, choices=["silver", "gold", "bronze"], default="silver"
            ),
        ],
        listing=Listing(sort_fields=["tier"]),
    )
    project = Entity(
        name="project",
        plural="projects",
        title_field="title",
        fields=[
            FieldSpec(name="title", type=S.STRING, required=True),
            FieldSpec(
                name="owner_id",
                type=S.REFERENCE,
                required=True,
                target="owner",
                on_delete=OnDelete.CASCADE,
            ),
            FieldSpec(name="budget", type=S.INTEGER, minimum=0, default=0),
            FieldSpec(name="code", type=S.INTEGER, unique=True, minimum=1),
            FieldSpec(
                name="priority", type=S.ENUM, choices=["high", "low", "normal"], default="low"
            ),
            FieldSpec(name="due", type=S.DATETIME),
            FieldSpec(
                name="status",
                type=S.ENUM,
                read_only=True,
                default="open",
                choices=["open", "approved", "closed"],
            ),
        ],
        listing=Listing(
            filters=[
                ListFilter(field="budget", op=FilterOp.GTE),
                ListFilter(field="code"),
                ListFilter(field="due", op=FilterOp.LTE),
            ],
            sort_fields=["due"],
            pagination=Pagination(default_limit=3, max_limit=5),
        ),
        actions=[
            Action(
                name="approve",
                field="status",
                from_states=["open"],
                to_state="approved",
                guards=[FieldGuard(field="code", op=CompareOp.LTE, value=100)],
            ),
            Action(name="close", field="status", from_states=["approved"], to_state="closed"),
        ],
    )
    task = Entity(
        name="task",
        plural="tasks",
        title_field="title",
        fields=[
            FieldSpec(name="title", type=S.STRING),
            FieldSpec(
                name="project_id",
                type=S.REFERENCE,
                required=True,
                target="project",
                on_delete=OnDelete.CASCADE,
            ),
        ],
    )
    review = Entity(
        name="review",
        plural="reviews",
        title_field="summary",
        fields=[
            FieldSpec(name="summary", type=S.STRING, required=True),
            FieldSpec(
                name="project_id",
                type=S.REFERENCE,
                target="project",
                on_delete=OnDelete.RESTRICT,
            ),
        ],
    )
    analytics = [
        Analytics(
            name="top_high_budget",
            entity="project",
            op=AggregateOp.MAX,
            field="budget",
            where=[Condition(field="priority", op=CompareOp.EQ, value="high")],
        ),
        Analytics(
            name="budget_by_priority",
            entity="project",
            op=AggregateOp.SUM,
            field="budget",
            group_by="priority",
        ),
        Analytics(name="project_count", entity="project", op=AggregateOp.COUNT),
        Analytics(
            name="titled_tasks",
            entity="task",
            op=AggregateOp.COUNT,
            where=[Condition(field="title", op=CompareOp.IS_SET)],
        ),
    ]
    return Schema(
        domain="portfolio", entities=[owner, project, task, review], analytics=analytics
    )  # fmt: skip


GUARD = "        if not holds(view['code'], 'lte', 100):\n"
# (gap, text in app.py, its replacement, a suite test that must fail)
MUTANTS = [
    ("unique_guard_lte_to_lt", GUARD, GUARD.replace("'lte'", "'lt'"),
     "test_approve_from_open_succeeds"),
    ("unique_guard_always_refuses", GUARD, "        if True:\n",
     "test_approve_from_open_succeeds"),
    ("unique_guard_wrong_target", "        item['status'] = 'approved'",
     "        item['status'] = 'closed'", "test_approve_from_open_succeeds"),
    ("unique_guard_wrong_source", "        if item['status'] not in ('open',):",
     "        if item['status'] not in ('open', 'approved'):",
     "test_approve_in_state_approved_is_409"),
    ("cascade_not_recursive", '            doom_project(other["id"], doomed)',
     '            doomed.add(("projects", other["id"]))',
     "test_deleting_the_owner_through_owner_id_deletes_tasks_by_project_id"),
    ("restrict_only_on_the_target",
     "        for plural, doomed_id in order:\n            field = BLOCKERS",
     "        for plural, doomed_id in [first]:\n            field = BLOCKERS",
     "test_deleting_the_owner_through_owner_id_is_restricted_by_reviews_project_id"),
    ("condition_dropped",
     "    rows = [row for row in rows if holds(row['priority'], 'eq', 'high')]\n", "",
     "test_top_high_budget_aggregates_the_matching_objects"),
    ("condition_on_the_title_dropped",
     "    rows = [row for row in rows if holds(row['title'], 'is_set', None)]\n", "",
     "test_titled_tasks_aggregates_the_matching_objects"),
    ("groups_in_insertion_order", "    keys = sorted(groups, key=group_text)",
     "    keys = list(groups)", "test_budget_by_priority_aggregates_the_matching_objects"),
    ("deleted_objects_counted",
     "rows = [project_view(item) for item in PROJECTS.values()]",
     "rows = [project_view(item) for item in EVER_PROJECTS]",
     "test_project_count_aggregates_the_matching_objects"),
    ("default_offset_1", 'offset = query_int(args, "offset", 0, 0, None)',
     'offset = query_int(args, "offset", 1, 0, None)', "test_list_pages_default_to_3_objects"),
    ("catch_all_route", '@app.get("/health")',
     '@app.get("/<path:anything>")\ndef anything(anything):\n    return {}\n\n\n'
     '@app.get("/health")', "test_an_unknown_path_is_404"),
    ("html_404_body", "@app.errorhandler(HTTPException)\n", "",
     "test_an_unknown_path_is_404"),
    ("unparsable_filter_matches_null",
     '        raise ApiError(422, f"{name} must be an integer", name)\n    return int(text)',
     "        return None\n    return int(text)",
     "test_filter_code_rejects_a_value_that_does_not_parse"),
    ("null_bound_ignored", '        raise ApiError(422, f"{param} needs a value", param)',
     "        return items", "test_filter_budget_min_rejects_a_value_that_does_not_parse"),
    ("offsets_ignored", "moment = moment.astimezone(timezone.utc).replace(tzinfo=None)",
     "moment = moment.replace(tzinfo=None)",
     "test_filter_due_max_compares_instants_with_offsets"),
    ("datetimes_sorted_as_text", '"due": instant_key', '"due": plain_key',
     "test_sorting_by_due"),
    ("enums_sorted_by_choice_order", '"tier": plain_key',
     "\"tier\": ('silver', 'gold', 'bronze').index", "test_sorting_by_tier"),
    ("first_bad_key_by_name", "    for key in body:\n        if key not in writable:",
     "    for key in sorted(body):\n        if key not in writable:",
     "test_several_unknown_keys_name_the_first_listed"),
    ("errors_name_a_field_by_default", "message: str, field: str | None = None)",
     "message: str, field: str | None = 0)", "test_get_of_an_unknown_id_is_404"),
    ("null_passes_ordering_guards", "    if value is None or other is None:\n        return False",
     "    if value is None and other is None:\n        return False",
     "test_approve_refused_when_code_is_null"),
    ("analytics_filter_ignored", '    rows = filter_equal(rows, "code", parse_integer, args)\n',
     "", "test_project_count_aggregates_the_matching_objects"),
    ("ids_start_at_2", "NEXT_IDS.get(plural, 0) + 1", "NEXT_IDS.get(plural, 1) + 1",
     "test_ids_start_at_1"),
    ("limit_1_refused", 'query_int(args, "limit", 3, 1, 5)', 'query_int(args, "limit", 3, 2, 5)',
     "test_limit_1_is_accepted"),
    ("ids_start_at_0", "NEXT_IDS.get(plural, 0) + 1", "NEXT_IDS.get(plural, -1) + 1",
     "test_ids_start_at_1"),
]  # fmt: skip
EVER = (
    "PROJECTS: dict[int, dict] = {}\n",
    "PROJECTS: dict[int, dict] = {}\nEVER_PROJECTS: list = []\n",
    '        PROJECTS[item["id"]] = item\n',
    '        PROJECTS[item["id"]] = item\n        EVER_PROJECTS.append(item)\n',
)


def mutate(source: str, name: str, old: str, new: str) -> str:
    assert old in source, (name, old)
    mutant = source.replace(old, new)
    if name == "deleted_objects_counted":
        for before, after in (EVER[:2], EVER[2:]):
            assert before in mutant
            mutant = mutant.replace(before, after)
    return mutant


@pytest.fixture(scope="module")
def runs() -> tuple[SuiteRun, dict[str, SuiteRun]]:
    schema = fidelity()
    assert schema.check() == []
    source = render_server(schema)["app.py"]
    suite = render_suite(TurnPair(schema=schema, previous=None))
    cases = [(source, suite, None)]
    cases += [(mutate(source, name, old, new), suite, None) for name, old, new, _ in MUTANTS]
    truth, *mutants = run_suites(cases)
    return truth, {m[0]: run for m, run in zip(MUTANTS, mutants, strict=True)}


@pytest.mark.slow
def test_the_ground_truth_passes_every_test(runs: tuple[SuiteRun, dict[str, SuiteRun]]) -> None:
    truth, _ = runs
    assert truth.error is None and truth.tests > 50
    assert truth.passed == truth.tests, truth.failures[:3]


@pytest.mark.slow
@pytest.mark.parametrize("mutant", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_the_suite_kills_the_mutant(
    mutant: tuple[str, str, str, str], runs: tuple[SuiteRun, dict[str, SuiteRun]]
) -> None:
    name, _, _, expected = mutant
    run = runs[1][name]
    assert run.error is None and run.tests > 0, run.error
    assert expected in failed_names(run), sorted(failed_names(run))[:8]
