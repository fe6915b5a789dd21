"""Properties of the jobs-array rules (§8, §10.2) checked over generated job histories."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from models.jobs import (
    DEFAULT_MAX_JOB_HISTORY,
    EDA_JOB_ID_PREFIX,
    JobRecord,
    JobState,
    JobType,
    append_job,
    find_latest_job_by_type,
    generate_eda_job_id,
)

_INT64_MAX = 2**63 - 1

# Ids of every shape the operator writes (AAP decimal, EDA, failed trigger "") plus malformed EDA ones.
job_ids = st.one_of(
    st.integers(min_value=0, max_value=10**6).map(str),
    st.integers(min_value=-50, max_value=10**6).map(lambda n: f"{EDA_JOB_ID_PREFIX}{n}"),
    st.integers(min_value=0, max_value=999).map(lambda n: f"{EDA_JOB_ID_PREFIX}+{n:03d}"),
    st.text(max_size=6).map(lambda s: f"{EDA_JOB_ID_PREFIX}{s}"),
    st.just(""),
)

job_records = st.builds(
    JobRecord,
    job_id=job_ids,
    type=st.sampled_from(JobType),
    # Whole seconds, few values: ties are common, as after a round trip through the API server.
    timestamp=st.integers(min_value=0, max_value=5).map(float),
    state=st.sampled_from(JobState),
    message=st.text(max_size=3),
    block_deletion_on_failure=st.booleans(),
)

job_lists = st.lists(job_records, max_size=25)


@given(jobs=job_lists, new_job=job_records, max_history=st.integers(min_value=1, max_value=15))
def test_s8_append_job_keeps_the_newest_entries_by_position(
    jobs: list[JobRecord], new_job: JobRecord, max_history: int
) -> None:
    result = append_job(jobs, new_job, max_history)
    assert len(result) <= max_history
    assert result == [*jobs, new_job][-max_history:]
    assert result[-1] is new_job


@given(jobs=job_lists, new_job=job_records, max_history=st.integers(max_value=0))
def test_s8_append_job_non_positive_history_behaves_as_default(
    jobs: list[JobRecord], new_job: JobRecord, max_history: int
) -> None:
    assert append_job(jobs, new_job, max_history) == append_job(jobs, new_job, DEFAULT_MAX_JOB_HISTORY)


def _atoi_suffixes(jobs: list[JobRecord]) -> list[int]:
    """Suffixes Go's strconv.Atoi would accept, computed independently of the module under test."""
    values = []
    for j in jobs:
        if j.job_id.startswith(EDA_JOB_ID_PREFIX):
            rest = j.job_id[len(EDA_JOB_ID_PREFIX) :]
            if re.fullmatch(r"[+-]?[0-9]+", rest, flags=re.ASCII) and abs(int(rest)) <= _INT64_MAX:
                values.append(int(rest))
    return values


@given(jobs=job_lists)
def test_s10_2_generated_eda_id_is_above_every_numeric_suffix_and_tight(jobs: list[JobRecord]) -> None:
    generated = generate_eda_job_id(jobs)
    match = re.fullmatch(r"eda-webhook-([1-9][0-9]*)", generated)
    assert match is not None, generated
    n = int(match.group(1))
    suffixes = _atoi_suffixes(jobs)
    assert all(n > s for s in suffixes)
    # Tight: N - 1 is either the starting 0 or a suffix actually present.
    assert n - 1 == 0 or n - 1 in suffixes
    assert generated not in {j.job_id for j in jobs}


@given(jobs=job_lists, job_type=st.sampled_from(JobType))
def test_s8_latest_job_has_the_max_timestamp_and_is_the_first_such(
    jobs: list[JobRecord], job_type: JobType
) -> None:
    latest = find_latest_job_by_type(jobs, job_type)
    of_type = [j for j in jobs if j.type == job_type]
    if not of_type:
        assert latest is None
        return
    newest = max(j.timestamp for j in of_type)
    first_newest = next(j for j in of_type if j.timestamp == newest)
    assert latest is first_newest
