"""The outside world the operator talks to: AAP controller, EDA rulebook, playbooks, KubeVirt and the cloud, tenants."""
