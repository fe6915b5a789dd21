"""The rules of ``status.jobs[]`` (§8), EDA job ids (§10.2) and AAP status mapping (§11.3), case by case."""

from __future__ import annotations

import pytest

from models.jobs import (
    DEFAULT_MAX_JOB_HISTORY,
    EDA_JOB_ID_PREFIX,
    JobRecord,
    JobState,
    JobType,
    append_job,
    find_job_by_id,
    find_latest_job_by_type,
    generate_eda_job_id,
    is_eda_job_id,
    is_successful,
    is_terminal,
    map_aap_status,
    update_job,
)
from models.simtime import persist_time

P = JobType.PROVISION
D = JobType.DEPROVISION


def job(
    job_id: str,
    timestamp: float,
    job_type: JobType = P,
    state: JobState = JobState.RUNNING,
    message: str = "",
) -> JobRecord:
    return JobRecord(job_id=job_id, type=job_type, timestamp=timestamp, state=state, message=message)


# --- §8 FindLatestJobByType -------------------------------------------------------------------------

LATEST_CASES = [
    pytest.param([], P, None, id="s8-empty-array-has-no-latest"),
    pytest.param([job("1", 10, D)], P, None, id="s8-no-entry-of-the-type-has-no-latest"),
    pytest.param([job("1", 10), job("2", 20)], P, 1, id="s8-strictly-later-timestamp-wins"),
    pytest.param([job("2", 20), job("1", 10)], P, 0, id="s8-array-order-irrelevant-when-timestamps-differ"),
    pytest.param([job("a", 10), job("b", 10)], P, 0, id="s8-tie-resolves-to-first-in-array-order"),
    pytest.param(
        [job("x", 5), job("a", 10), job("b", 10), job("c", 10)], P, 1, id="s8-three-way-tie-keeps-first-tied"
    ),
    pytest.param([job("p", 10, P), job("d", 99, D)], P, 0, id="s8-later-entry-of-other-type-ignored"),
    pytest.param([job("p", 99, P), job("d", 10, D)], D, 1, id="s8-deprovision-lookup-ignores-provision"),
]


@pytest.mark.parametrize(("jobs", "job_type", "expected_index"), LATEST_CASES)
def test_s8_latest_job_by_type_is_the_strictly_latest_first_in_array_order(
    jobs: list[JobRecord], job_type: JobType, expected_index: int | None
) -> None:
    latest = find_latest_job_by_type(jobs, job_type)
    if expected_index is None:
        assert latest is None
    else:
        assert latest is jobs[expected_index]


def test_s8_latest_job_two_jobs_in_one_second_differ_in_memory_but_tie_once_persisted() -> None:
    first = job("eda-webhook-1", 100.2)
    second = job("eda-webhook-2", 100.9)
    in_memory = [first, second]
    assert find_latest_job_by_type(in_memory, P) is second

    persisted = [j.with_changes(timestamp=persist_time(j.timestamp)) for j in in_memory]
    assert persisted[0].timestamp == persisted[1].timestamp == 100.0
    latest = find_latest_job_by_type(persisted, P)
    assert latest is not None and latest.job_id == "eda-webhook-1"


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        pytest.param(0.0, 0.0, id="s1-persist-whole-second-unchanged"),
        pytest.param(5.999, 5.0, id="s1-persist-truncates-not-rounds"),
        pytest.param(7.0000001, 7.0, id="s1-persist-drops-tiny-fraction"),
    ],
)
def test_s1_persisted_time_has_one_second_resolution(t: float, expected: float) -> None:
    persisted = persist_time(t)
    assert persisted == expected
    assert isinstance(persisted, float)


# --- §8 findJobByID -----------------------------------------------------------------------------------

FIND_BY_ID_CASES = [
    pytest.param([job("1", 1), job("2", 2)], "2", 1, id="s8-find-by-id-returns-matching-entry"),
    pytest.param(
        [job("", 1, state=JobState.FAILED), job("", 2)], "", 0, id="s8-find-by-id-returns-first-dup"
    ),
    pytest.param([job("1", 1)], "9", None, id="s8-find-by-id-absent-is-none"),
    pytest.param([], "", None, id="s8-find-by-id-in-empty-array-is-none"),
]


@pytest.mark.parametrize(("jobs", "job_id", "expected_index"), FIND_BY_ID_CASES)
def test_s8_find_job_by_id_returns_the_first_entry_with_that_id(
    jobs: list[JobRecord], job_id: str, expected_index: int | None
) -> None:
    found = find_job_by_id(jobs, job_id)
    if expected_index is None:
        assert found is None
    else:
        assert found is jobs[expected_index]


# --- §8 appendJob -------------------------------------------------------------------------------------

NEW = job("new", 50)

APPEND_CASES = [
    pytest.param([], NEW, 3, ["new"], id="s8-append-to-empty"),
    pytest.param([job("a", 1), job("b", 2)], NEW, 3, ["a", "b", "new"], id="s8-append-at-end-under-limit"),
    pytest.param(
        [job("a", 1), job("b", 2), job("c", 3)],
        NEW,
        3,
        ["b", "c", "new"],
        id="s8-append-over-limit-drops-first",
    ),
    pytest.param(
        [job("newest-ts", 999), job("b", 2), job("c", 3)],
        NEW,
        3,
        ["b", "c", "new"],
        id="s8-trim-by-array-position-not-timestamp",
    ),
    pytest.param(
        [job("a", 1), job("b", 2), job("c", 3)],
        job("old-ts", 0),
        2,
        ["c", "old-ts"],
        id="s8-trim-keeps-appended-entry-even-if-oldest-timestamp",
    ),
    pytest.param([job("a", 1)], NEW, 1, ["new"], id="s8-history-of-one-keeps-only-the-new-job"),
]


@pytest.mark.parametrize(("jobs", "new_job", "max_history", "expected_ids"), APPEND_CASES)
def test_s8_append_job_appends_and_trims_by_array_position(
    jobs: list[JobRecord], new_job: JobRecord, max_history: int, expected_ids: list[str]
) -> None:
    before = list(jobs)
    result = append_job(jobs, new_job, max_history)
    assert [j.job_id for j in result] == expected_ids
    assert result[-1] is new_job
    assert jobs == before, "append_job must not mutate its input"


@pytest.mark.parametrize(
    "max_history",
    [
        pytest.param(0, id="s8-history-zero-maps-to-default"),
        pytest.param(-5, id="s8-history-negative-maps-to-default"),
    ],
)
def test_s8_append_job_non_positive_history_means_default_ten(max_history: int) -> None:
    jobs = [job(str(i), i) for i in range(15)]
    result = append_job(jobs, NEW, max_history)
    assert DEFAULT_MAX_JOB_HISTORY == 10
    assert len(result) == DEFAULT_MAX_JOB_HISTORY
    assert [j.job_id for j in result] == [str(i) for i in range(6, 15)] + ["new"]


# --- §8 updateJob -------------------------------------------------------------------------------------

FAILED_TRIGGER_1 = job("", 10, state=JobState.FAILED, message="trigger 1 failed")
FAILED_TRIGGER_2 = job("", 20, state=JobState.FAILED, message="trigger 2 failed")
FAILED_TRIGGER_3 = job("", 30, state=JobState.FAILED, message="trigger 3 failed")

UPDATE_CASES = [
    pytest.param(
        [job("9001", 1), job("9002", 2)],
        job("9002", 2, state=JobState.SUCCEEDED, message="successful"),
        1,
        id="s8-update-replaces-entry-with-same-id",
    ),
    pytest.param(
        [FAILED_TRIGGER_1, FAILED_TRIGGER_2, FAILED_TRIGGER_3],
        job("", 30, state=JobState.FAILED, message="updated"),
        0,
        id="s8-update-with-duplicated-empty-id-hits-first-failed-trigger",
    ),
    pytest.param(
        [job("eda-webhook-1", 10, P), job("eda-webhook-1", 20, D)],
        job("eda-webhook-1", 77, D, JobState.SUCCEEDED),
        0,
        id="s8-update-replaces-type-and-timestamp-too",
    ),
]


@pytest.mark.parametrize(("jobs", "replacement", "replaced_index"), UPDATE_CASES)
def test_s8_update_job_replaces_the_whole_first_entry_with_that_id(
    jobs: list[JobRecord], replacement: JobRecord, replaced_index: int
) -> None:
    before = list(jobs)
    result, found = update_job(jobs, replacement)
    assert found is True
    assert result[replaced_index] is replacement
    expected = list(before)
    expected[replaced_index] = replacement
    assert result == expected, "only the first matching entry changes"
    assert jobs == before, "update_job must not mutate its input"


def test_s8_update_job_not_found_changes_nothing_and_reports_false() -> None:
    jobs = [job("9001", 1), job("", 2)]
    result, found = update_job(jobs, job("9999", 3, state=JobState.SUCCEEDED))
    assert found is False
    assert result == jobs
    assert result is not jobs, "a copy is returned even when nothing matched"


# --- §10.2 EDA job ids --------------------------------------------------------------------------------

EDA_ID_CASES = [
    pytest.param([], "eda-webhook-1", id="s10.2-no-entries-gives-1"),
    pytest.param([("9176", P), ("", P)], "eda-webhook-1", id="s10.2-decimal-aap-ids-ignored"),
    pytest.param([("eda-webhook-3", P)], "eda-webhook-4", id="s10.2-one-above-the-suffix"),
    pytest.param(
        [("eda-webhook-5", P), ("eda-webhook-2", P)], "eda-webhook-6", id="s10.2-max-suffix-not-last-entry"
    ),
    pytest.param(
        [("eda-webhook-2", P), ("eda-webhook-7", D)],
        "eda-webhook-8",
        id="s10.2-provision-and-deprovision-share",
    ),
    pytest.param(
        [("eda-webhook-abc", P), ("eda-webhook-3", P)], "eda-webhook-4", id="s10.2-non-numeric-suffix-ignored"
    ),
    pytest.param([("eda-webhook-", P)], "eda-webhook-1", id="s10.2-empty-suffix-ignored"),
    pytest.param([("eda-webhook-2.5", P)], "eda-webhook-1", id="s10.2-decimal-fraction-suffix-ignored"),
    pytest.param([("eda-webhook-12x", P)], "eda-webhook-1", id="s10.2-trailing-garbage-ignored"),
    pytest.param([("eda-webhook- 5", P)], "eda-webhook-1", id="s10.2-atoi-rejects-spaces"),
    pytest.param([("eda-webhook-1_0", P)], "eda-webhook-1", id="s10.2-atoi-rejects-underscores"),
    pytest.param([("eda-webhook-\u0663", P)], "eda-webhook-1", id="s10.2-atoi-rejects-non-ascii-digits"),
    pytest.param([("eda-webhook-+5", P)], "eda-webhook-6", id="s10.2-atoi-accepts-plus-sign"),
    pytest.param([("eda-webhook-007", P)], "eda-webhook-8", id="s10.2-atoi-accepts-leading-zeros"),
    pytest.param([("eda-webhook--3", P)], "eda-webhook-1", id="s10.2-negative-suffix-never-lowers-below-1"),
    pytest.param(
        [("eda-webhook-99999999999999999999", P), ("eda-webhook-4", P)],
        "eda-webhook-5",
        id="s10.2-suffix-beyond-int64-is-an-atoi-error-and-ignored",
    ),
    pytest.param([("webhook-9", P), ("EDA-WEBHOOK-9", P)], "eda-webhook-1", id="s10.2-prefix-case-sensitive"),
]


@pytest.mark.parametrize(("entries", "expected"), EDA_ID_CASES)
def test_s10_2_eda_job_id_is_one_above_the_largest_numeric_suffix(
    entries: list[tuple[str, JobType]], expected: str
) -> None:
    jobs = [job(job_id, i, job_type) for i, (job_id, job_type) in enumerate(entries)]
    assert generate_eda_job_id(jobs) == expected


def test_s10_2_eda_job_id_counts_only_entries_still_present_after_trimming() -> None:
    jobs: list[JobRecord] = []
    for n in range(1, 5):
        jobs = append_job(jobs, job(generate_eda_job_id(jobs), n), max_history=3)
    assert [j.job_id for j in jobs] == ["eda-webhook-2", "eda-webhook-3", "eda-webhook-4"]
    # The highest id survives trimming, so the counter keeps going; drop it and the counter goes back.
    assert generate_eda_job_id(jobs) == "eda-webhook-5"
    assert generate_eda_job_id(jobs[:1]) == "eda-webhook-3"


@pytest.mark.parametrize(
    ("job_id", "expected"),
    [
        pytest.param("eda-webhook-1", True, id="s10.2-numbered-eda-id"),
        pytest.param("eda-webhook-abc", True, id="s10.2-any-suffix-is-still-eda"),
        pytest.param("eda-webhook-", True, id="s10.2-bare-prefix-is-eda"),
        pytest.param("9176", False, id="s10.2-aap-id-is-not-eda"),
        pytest.param("", False, id="s10.2-failed-trigger-id-is-not-eda"),
        pytest.param("eda-webhook", False, id="s10.2-prefix-without-dash-is-not-eda"),
        pytest.param("x-eda-webhook-1", False, id="s10.2-prefix-must-be-at-start"),
    ],
)
def test_s10_2_is_eda_job_id_means_starts_with_prefix(job_id: str, expected: bool) -> None:
    assert EDA_JOB_ID_PREFIX == "eda-webhook-"
    assert is_eda_job_id(job_id) is expected


# --- §11.3 AAP status mapping ------------------------------------------------------------------------

AAP_STATUS_CASES = [
    pytest.param("successful", JobState.SUCCEEDED, id="s11.3-successful-is-succeeded"),
    pytest.param("failed", JobState.FAILED, id="s11.3-failed-is-failed"),
    pytest.param("error", JobState.FAILED, id="s11.3-error-is-failed"),
    pytest.param("canceled", JobState.CANCELED, id="s11.3-canceled-is-canceled"),
    pytest.param("pending", JobState.PENDING, id="s11.3-pending-is-pending"),
    pytest.param("waiting", JobState.WAITING, id="s11.3-waiting-is-waiting"),
    pytest.param("running", JobState.RUNNING, id="s11.3-running-is-running"),
    pytest.param("new", JobState.UNKNOWN, id="s11.3-new-is-unknown"),
    pytest.param("", JobState.UNKNOWN, id="s11.3-empty-is-unknown"),
    pytest.param("unknown_status", JobState.UNKNOWN, id="s11.3-unknown-status-is-unknown"),
    pytest.param("cancelled", JobState.UNKNOWN, id="s11.3-british-spelling-is-unknown"),
    pytest.param("Successful", JobState.UNKNOWN, id="s11.3-mapping-is-case-sensitive"),
    pytest.param("RUNNING", JobState.UNKNOWN, id="s11.3-upper-case-is-unknown"),
    pytest.param(" running", JobState.UNKNOWN, id="s11.3-no-whitespace-trimming"),
]


@pytest.mark.parametrize(("status", "expected"), AAP_STATUS_CASES)
def test_s11_3_aap_status_maps_to_job_state(status: str, expected: JobState) -> None:
    assert map_aap_status(status) is expected


def test_s11_3_unlisted_aap_status_maps_to_a_non_terminal_state() -> None:
    assert not map_aap_status("new").is_terminal


# --- §8 IsTerminal / IsSuccessful ---------------------------------------------------------------------

STATE_CASES = [
    pytest.param(JobState.PENDING, False, False, id="s8-pending-non-terminal"),
    pytest.param(JobState.WAITING, False, False, id="s8-waiting-non-terminal"),
    pytest.param(JobState.RUNNING, False, False, id="s8-running-non-terminal"),
    pytest.param(JobState.UNKNOWN, False, False, id="s8-unknown-non-terminal"),
    pytest.param(JobState.SUCCEEDED, True, True, id="s8-succeeded-terminal-and-successful"),
    pytest.param(JobState.FAILED, True, False, id="s8-failed-terminal-not-successful"),
    pytest.param(JobState.CANCELED, True, False, id="s8-canceled-terminal-not-successful"),
]


@pytest.mark.parametrize(("state", "terminal", "successful"), STATE_CASES)
def test_s8_terminal_and_successful_states(state: JobState, terminal: bool, successful: bool) -> None:
    assert state.is_terminal is terminal
    assert is_terminal(state) is terminal
    assert state.is_successful is successful
    assert is_successful(state) is successful


def test_s8_state_table_covers_every_job_state() -> None:
    covered = {case.values[0] for case in STATE_CASES}
    assert covered == set(JobState)


def test_s8_enum_values_are_the_crd_strings() -> None:
    assert [t.value for t in JobType] == ["provision", "deprovision"]
    assert [s.value for s in JobState] == [
        "Pending",
        "Waiting",
        "Running",
        "Succeeded",
        "Failed",
        "Canceled",
        "Unknown",
    ]


# --- §8 entry fields: to_dict / from_dict -------------------------------------------------------------

ROUND_TRIP_CASES = [
    pytest.param(job("9176", 12.0, P, JobState.PENDING, "Provisioning job triggered"), id="s8-aap-provision"),
    pytest.param(job("", 3.0, P, JobState.FAILED, "failed to get template: boom"), id="s8-failed-trigger"),
    pytest.param(
        JobRecord("9200", D, 40.0, JobState.CANCELED, "canceled", block_deletion_on_failure=True),
        id="s8-aap-deprovision-blocking",
    ),
    pytest.param(job("eda-webhook-3", 7.5, D, JobState.UNKNOWN), id="s8-eda-fractional-in-memory-timestamp"),
]


@pytest.mark.parametrize("record", ROUND_TRIP_CASES)
def test_s8_job_record_round_trips_through_crd_json_keys(record: JobRecord) -> None:
    data = record.to_dict()
    assert list(data) == ["jobID", "type", "timestamp", "state", "message", "blockDeletionOnFailure"]
    assert data["type"] == record.type.value and type(data["type"]) is str
    assert data["state"] == record.state.value and type(data["state"]) is str
    assert isinstance(data["timestamp"], float)
    assert JobRecord.from_dict(data) == record


def test_s8_job_record_to_dict_exact_shape() -> None:
    record = JobRecord("9176", P, 5.0, JobState.RUNNING, "running", True)
    assert record.to_dict() == {
        "jobID": "9176",
        "type": "provision",
        "timestamp": 5.0,
        "state": "Running",
        "message": "running",
        "blockDeletionOnFailure": True,
    }


def test_s8_job_record_from_dict_optional_fields_default() -> None:
    record = JobRecord.from_dict({"jobID": "", "type": "provision", "timestamp": 4, "state": "Failed"})
    assert record == JobRecord("", P, 4.0, JobState.FAILED, "", False)
    assert isinstance(record.timestamp, float)


_GOOD: dict[str, object] = {"jobID": "1", "type": "provision", "timestamp": 1.0, "state": "Running"}

BAD_DICT_CASES = [
    pytest.param({**_GOOD, "type": "Provision"}, "type", id="s8-crd-enum-type-is-case-sensitive"),
    pytest.param({**_GOOD, "type": "create"}, "type", id="s8-unknown-type-rejected"),
    pytest.param({**_GOOD, "type": 1}, "type", id="s8-non-string-type-rejected"),
    pytest.param({**_GOOD, "state": "running"}, "state", id="s8-aap-status-is-not-a-job-state"),
    pytest.param({**_GOOD, "state": None}, "state", id="s8-null-state-rejected"),
    pytest.param({k: v for k, v in _GOOD.items() if k != "jobID"}, "jobID", id="s8-jobid-required"),
    pytest.param({**_GOOD, "jobID": None}, "jobID", id="s8-jobid-must-be-string"),
    pytest.param(
        {**_GOOD, "timestamp": "2026-02-16T00:00:01Z"}, "timestamp", id="s8-timestamp-is-sim-seconds"
    ),
    pytest.param({**_GOOD, "timestamp": True}, "timestamp", id="s8-bool-timestamp-rejected"),
    pytest.param({**_GOOD, "timestamp": float("nan")}, "timestamp", id="s8-nan-timestamp-rejected"),
    pytest.param({**_GOOD, "message": 3}, "message", id="s8-message-must-be-string"),
    pytest.param(
        {**_GOOD, "blockDeletionOnFailure": "true"}, "blockDeletionOnFailure", id="s8-block-must-be-bool"
    ),
]


@pytest.mark.parametrize(("data", "bad_key"), BAD_DICT_CASES)
def test_s8_job_record_from_dict_rejects_bad_values_naming_the_key(
    data: dict[str, object], bad_key: str
) -> None:
    with pytest.raises(ValueError, match=bad_key):
        JobRecord.from_dict(data)


def test_s8_with_changes_returns_a_new_record_leaving_the_original() -> None:
    original = job("9176", 5, state=JobState.RUNNING)
    changed = original.with_changes(state=JobState.SUCCEEDED, message="successful")
    assert changed == JobRecord("9176", P, 5, JobState.SUCCEEDED, "successful")
    assert original.state is JobState.RUNNING
