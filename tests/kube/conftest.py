"""Fixtures for the Kubernetes substrate stories: a kernel with a seeded choice source, an API server, fault rates."""

from __future__ import annotations

import pytest

from sim.kernel.choice import SeededChoiceSource
from sim.kernel.kernel import Kernel
from sim.kube.apiserver import ApiServer
from sim.kube.client import ApiFaults


@pytest.fixture
def kernel() -> Kernel:
    return Kernel(SeededChoiceSource(7))


@pytest.fixture
def server(kernel: Kernel) -> ApiServer:
    return ApiServer(kernel)


@pytest.fixture
def faults() -> ApiFaults:
    return ApiFaults()
