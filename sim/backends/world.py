"""The outside world wired together: AAP and EDA on the network, the playbooks, KubeVirt, the tenant controller."""

from __future__ import annotations

from dataclasses import dataclass

from sim.backends.aap import FakeAap
from sim.backends.config import BackendConfig, TemplateSpec, healed
from sim.backends.eda import FakeEda
from sim.backends.kubevirt import KubeVirt
from sim.backends.playbooks import Playbooks
from sim.backends.tenants import TenantController
from sim.kernel.http import HttpNetwork
from sim.kernel.kernel import Kernel
from sim.kube.apiserver import ApiServer
from sim.kube.client import ApiFaults

__all__ = ["BackendConfig", "Backends", "TemplateSpec", "build_backends"]


@dataclass
class Backends:
    """Every outside actor of one run; `aap.jobs` and `kubevirt.ledger` are the ground-truth projections."""

    config: BackendConfig  # the options in force now (`heal` zeroes their fault rates)
    aap: FakeAap
    eda: FakeEda
    playbooks: Playbooks
    kubevirt: KubeVirt
    tenants: TenantController

    def heal(self) -> None:
        """Turn every injected outside-world fault off from now on; armed `fail_next` commands stay armed."""
        self.config = healed(self.config)
        for actor in (self.aap, self.eda, self.playbooks, self.kubevirt, self.tenants):
            actor.config = self.config


def build_backends(kernel: Kernel, server: ApiServer, faults: ApiFaults, network: HttpNetwork,
                   config: BackendConfig | None = None) -> Backends:
    """Create the outside actors, subscribe them to the log and register AAP and EDA on the network."""
    config = config if config is not None else BackendConfig()
    playbooks = Playbooks(kernel, server, faults, config)
    aap = FakeAap(kernel, config, playbooks)
    network.register(aap.base_url, aap.handle)
    eda = FakeEda(kernel, config, aap)
    eda.register(network)
    kubevirt = KubeVirt(kernel, server, faults, config)
    tenants = TenantController(kernel, server, faults, config)
    return Backends(config, aap, eda, playbooks, kubevirt, tenants)
