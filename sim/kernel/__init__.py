"""The kernel: simulated time, the event log and its files, projections and replay, the choice source, effects."""

from sim.kernel.choice import (
    Choice,
    ChoiceSource,
    Dist,
    Domain,
    HypothesisChoiceSource,
    RecordedChoiceSource,
    SeededChoiceSource,
    TapeDivergence,
)
from sim.kernel.errors import SimError
from sim.kernel.kernel import Kernel
from sim.kernel.log import EventLog
from sim.kernel.logfile import LogFileError, LogHeader, LogWriter, SavedLog, digest_of, read_log, write_log
from sim.kernel.projection import Projection, Replayed, fold, register_projection, replay

__all__ = [
    "Choice", "ChoiceSource", "Dist", "Domain", "EventLog", "HypothesisChoiceSource", "Kernel", "LogFileError",
    "LogHeader", "LogWriter", "Projection", "RecordedChoiceSource", "Replayed", "SavedLog", "SeededChoiceSource",
    "SimError", "TapeDivergence", "digest_of", "fold", "read_log", "register_projection", "replay", "write_log",
]
