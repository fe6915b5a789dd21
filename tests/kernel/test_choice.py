"""The choice source: seeded streams are reproducible and independent, tapes replay exactly, domains hold."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.kernel.choice import (
    Choice,
    ChoiceSource,
    Dist,
    HypothesisChoiceSource,
    RecordedChoiceSource,
    SeededChoiceSource,
    TapeDivergence,
)
from sim.kernel.errors import SimError

EXP = Dist("exponential", 30.0, 300.0)
DELIVERIES = ("lost", "once", "twice")


def draw_some(src: ChoiceSource) -> list[object]:
    """A mixed run: every kind of draw, over three streams, in a fixed order."""
    return [
        src.uniform("kube", "watch/lag_s", 0.1, 0.5),
        src.integer("aap", "job/id", 9000, 9009),
        src.chance("aap", "job/9000/fails", 0.3),
        src.duration("aap", "job/9000/running_s", EXP),
        src.duration("aap", "job/9000/pending_s", Dist.uniform(1.0, 2.0)),
        src.pick("eda", "delivery", DELIVERIES),
        src.permutation("kube", "same_instant", 4),
        src.uniform("kube", "watch/lag_s", 0.1, 0.5),
    ]


def kube_lags(src: ChoiceSource, *, aap_draws_between: int) -> list[float]:
    lags = []
    for i in range(5):
        lags.append(src.uniform("kube", f"watch/{i}/lag_s", 0.0, 1.0))
        for j in range(aap_draws_between):
            src.chance("aap", f"job/{i}/{j}/fails", 0.5)
    return lags


# --- seeded ---------------------------------------------------------------------------------------------

def test_the_same_seed_gives_the_same_draws_and_the_same_tape() -> None:
    first, second = SeededChoiceSource(42), SeededChoiceSource(42)
    assert draw_some(first) == draw_some(second)
    assert first.tape == second.tape


def test_a_different_seed_gives_different_draws() -> None:
    assert draw_some(SeededChoiceSource(42)) != draw_some(SeededChoiceSource(43))


def test_adding_draws_to_the_aap_stream_leaves_the_kube_stream_unchanged() -> None:
    alone = kube_lags(SeededChoiceSource(5), aap_draws_between=0)
    interleaved = kube_lags(SeededChoiceSource(5), aap_draws_between=3)
    assert alone == interleaved


def test_degenerate_domains_draw_nothing_and_record_nothing() -> None:
    src = SeededChoiceSource(9)
    assert src.uniform("aap", "fixed_s", 2.5, 2.5) == 2.5
    assert src.integer("aap", "only", 3, 3) == 3
    assert src.chance("aap", "never", 0.0) is False
    assert src.chance("aap", "always", 1.0) is True
    assert src.pick("aap", "one", ["only"]) == "only"
    assert src.permutation("aap", "single", 1) == [0]
    assert src.permutation("aap", "none", 0) == []
    assert src.duration("aap", "fixed", Dist.fixed(4.0)) == 4.0
    assert src.tape == []
    # the stream did not move either: its next draw is the first draw of a fresh source
    assert src.uniform("aap", "x", 0.0, 1.0) == SeededChoiceSource(9).uniform("aap", "x", 0.0, 1.0)


def test_integer_reaches_both_ends_of_its_range() -> None:
    src = SeededChoiceSource(1)
    seen = {src.integer("aap", f"n/{i}", 1, 4) for i in range(2000)}
    assert seen == {1, 2, 3, 4}


def test_uniform_and_durations_stay_in_their_domains() -> None:
    src = SeededChoiceSource(3)
    for i in range(2000):
        assert 0.25 <= src.uniform("kube", f"u/{i}", 0.25, 0.75) <= 0.75
        assert 0.0 <= src.duration("aap", f"e/{i}", EXP) <= 300.0
        assert 1.0 <= src.duration("aap", f"d/{i}", Dist.uniform(1.0, 2.0)) <= 2.0


def test_the_tape_records_stream_name_and_value_of_every_draw() -> None:
    src = SeededChoiceSource(11)
    lag = src.uniform("kube", "watch/lag_s", 0.1, 0.5)
    job = src.integer("aap", "job/id", 9000, 9009)
    fails = src.chance("aap", "job/9000/fails", 0.3)
    assert src.tape == [
        Choice("kube", "watch/lag_s", lag),
        Choice("aap", "job/id", job),
        Choice("aap", "job/9000/fails", fails),
    ]
    assert [Choice.from_list(c.to_list()) for c in src.tape] == src.tape


def test_a_source_that_does_not_record_keeps_an_empty_tape() -> None:
    src = SeededChoiceSource(11, record=False)
    draw_some(src)
    assert src.tape == []


def test_a_permutation_is_a_permutation() -> None:
    src = SeededChoiceSource(2)
    for n in range(9):
        assert sorted(src.permutation("kube", f"order/{n}", n)) == list(range(n))


def test_permutations_reach_every_order_of_three() -> None:
    orders = {tuple(SeededChoiceSource(seed).permutation("kube", "order", 3)) for seed in range(200)}
    assert orders == set(itertools.permutations(range(3)))


# --- recorded -------------------------------------------------------------------------------------------

def test_a_strict_replay_of_a_seeded_tape_gives_the_same_values() -> None:
    seeded = SeededChoiceSource(42)
    values = draw_some(seeded)
    recorded = RecordedChoiceSource(seeded.tape)
    assert draw_some(recorded) == values
    assert recorded.tape == seeded.tape
    assert recorded.remaining() == 0
    assert recorded.diverged == []


def test_a_strict_replay_names_the_choice_when_the_run_asks_for_another_name() -> None:
    seeded = SeededChoiceSource(42)
    seeded.integer("aap", "job/id", 9000, 9009)
    recorded = RecordedChoiceSource(seeded.tape)
    with pytest.raises(TapeDivergence, match="aap/job/serial") as info:
        recorded.integer("aap", "job/serial", 9000, 9009)
    assert "job/id" in str(info.value)
    assert isinstance(info.value, SimError)


def test_a_strict_replay_refuses_a_recorded_value_outside_the_domain() -> None:
    recorded = RecordedChoiceSource([Choice("aap", "job/id", 9005)])
    with pytest.raises(TapeDivergence, match="aap/job/id"):
        recorded.integer("aap", "job/id", 0, 3)


def test_a_strict_replay_raises_when_the_tape_runs_out() -> None:
    seeded = SeededChoiceSource(42)
    seeded.chance("aap", "job/1/fails", 0.5)
    recorded = RecordedChoiceSource(seeded.tape)
    recorded.chance("aap", "job/1/fails", 0.5)
    with pytest.raises(TapeDivergence, match=r"aap/job/2/fails(.|\n)*no more choices"):
        recorded.chance("aap", "job/2/fails", 0.5)


def test_a_lenient_replay_falls_back_and_lists_the_diverged_stream() -> None:
    seeded = SeededChoiceSource(42)
    kube = [seeded.uniform("kube", f"watch/{i}/lag_s", 0.0, 1.0) for i in range(3)]
    seeded.integer("aap", "job/id", 9000, 9009)
    seeded.integer("aap", "job/again", 9000, 9009)

    lenient = RecordedChoiceSource(seeded.tape, strict=False)
    renamed = lenient.integer("aap", "job/serial", 9000, 9009)
    # once a stream diverged, even a matching name comes from the fallback, never from the tape
    lenient.integer("aap", "job/again", 9000, 9009)
    assert [lenient.uniform("kube", f"watch/{i}/lag_s", 0.0, 1.0) for i in range(3)] == kube
    extra = lenient.chance("eda", "lost", 0.5)

    assert 9000 <= renamed <= 9009
    assert isinstance(extra, bool)
    assert lenient.diverged == ["aap", "eda"]
    assert [c.name for c in lenient.tape] == [
        "job/serial", "job/again", "watch/0/lag_s", "watch/1/lag_s", "watch/2/lag_s", "lost"]


def test_a_lenient_replay_of_a_damaged_tape_is_still_deterministic() -> None:
    seeded = SeededChoiceSource(42)
    draw_some(seeded)
    tape = seeded.tape[1:]  # the first kube choice is lost: the kube stream diverges at once
    first = RecordedChoiceSource(tape, strict=False)
    second = RecordedChoiceSource(tape, strict=False)
    assert draw_some(first) == draw_some(second)
    assert first.diverged == ["kube"]


# --- hypothesis -----------------------------------------------------------------------------------------

@given(st.data())
def test_hypothesis_choices_stay_in_their_domains_and_replay_strictly(data: st.DataObject) -> None:
    src = HypothesisChoiceSource(data)
    values = draw_some(src)
    lag, job, fails, running, pending, delivery, order, lag_again = values
    assert isinstance(lag, float) and 0.1 <= lag <= 0.5
    assert isinstance(job, int) and 9000 <= job <= 9009
    assert isinstance(fails, bool)
    assert isinstance(running, float) and 0.0 <= running <= 300.0
    assert isinstance(pending, float) and 1.0 <= pending <= 2.0
    assert delivery in DELIVERIES
    assert isinstance(order, list) and sorted(order) == [0, 1, 2, 3]
    assert isinstance(lag_again, float) and 0.1 <= lag_again <= 0.5

    replayed = RecordedChoiceSource(src.tape)
    assert draw_some(replayed) == values
    assert replayed.tape == src.tape
    assert replayed.remaining() == 0


# --- distributions --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "make",
    [lambda: Dist.fixed(-1.0), lambda: Dist.uniform(-1.0, 2.0), lambda: Dist("exponential", 30.0, -5.0)],
    ids=["fixed", "uniform-lower", "exponential-cap"],
)
def test_a_distribution_with_a_negative_duration_is_refused(make: Callable[[], Dist]) -> None:
    with pytest.raises(SimError, match=">= 0 seconds"):
        make()


def test_a_uniform_distribution_with_reversed_bounds_is_refused_with_the_fix() -> None:
    with pytest.raises(SimError, match="upper bound") as info:
        Dist.uniform(5.0, 2.0)
    assert "write [2.0, 5.0]" in str(info.value)


def test_distributions_describe_themselves_in_seconds() -> None:
    assert Dist.fixed(4.0).describe() == "4 s"
    assert Dist.uniform(1.0, 2.5).describe() == "U[1, 2.5] s"
    assert EXP.describe() == "Exp(mean 30 s, max 300 s)"
