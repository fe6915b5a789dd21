"""The names the reference operator uses on the wire: API group, labels, annotations, finalizers, env vars (§2, §12)."""

from __future__ import annotations

from typing import Final

API_GROUP: Final = "cloudkit.openshift.io"
API_VERSION: Final = f"{API_GROUP}/v1alpha1"

# Kinds held by the simulated API server.
KIND_COMPUTE_INSTANCE: Final = "ComputeInstance"
KIND_TENANT: Final = "Tenant"
KIND_NAMESPACE: Final = "Namespace"
KIND_VIRTUAL_MACHINE: Final = "VirtualMachine"
KIND_VIRTUAL_MACHINE_INSTANCE: Final = "VirtualMachineInstance"
KIND_USER_DEFINED_NETWORK: Final = "UserDefinedNetwork"

# Finalizers (§2.5).
FINALIZER_COMPUTE_INSTANCE: Final = f"{API_GROUP}/computeinstance"  # base finalizer, CI controller
FINALIZER_COMPUTE_INSTANCE_AAP: Final = f"{API_GROUP}/computeinstance-aap"  # playbooks
FINALIZER_TENANT: Final = f"{API_GROUP}/tenant"  # tenant controller

# Labels (§2.7).
LABEL_COMPUTE_INSTANCE: Final = f"{API_GROUP}/computeinstance"  # on VMs: <ci-name>
LABEL_COMPUTE_INSTANCE_UUID: Final = f"{API_GROUP}/computeinstance-uuid"  # on the CI
LABEL_APP_NAME: Final = "app.kubernetes.io/name"  # on Tenant CRs: cloudkit-operator
APP_NAME: Final = "cloudkit-operator"

# Annotations on the CI (§2.6, §2.7, §2.8).
ANNOTATION_TENANT: Final = f"{API_GROUP}/tenant"
ANNOTATION_MANAGEMENT_STATE: Final = f"{API_GROUP}/management-state"
ANNOTATION_RECONCILED_CONFIG_VERSION: Final = f"{API_GROUP}/reconciled-config-version"
ANNOTATION_FLOATING_IP: Final = f"{API_GROUP}/floating-ip-address"

MANAGEMENT_STATE_MANUAL: Final = "manual"
MANAGEMENT_STATE_UNMANAGED: Final = "unmanaged"

# Environment variables read by the reference operator (§12).
ENV_PROVISIONING_PROVIDER: Final = "CLOUDKIT_PROVISIONING_PROVIDER"
ENV_PROVISION_WEBHOOK: Final = "CLOUDKIT_COMPUTE_INSTANCE_PROVISION_WEBHOOK"
ENV_DEPROVISION_WEBHOOK: Final = "CLOUDKIT_COMPUTE_INSTANCE_DEPROVISION_WEBHOOK"
ENV_MINIMUM_REQUEST_INTERVAL: Final = "CLOUDKIT_MINIMUM_REQUEST_INTERVAL"
ENV_AAP_URL: Final = "CLOUDKIT_AAP_URL"
ENV_AAP_TOKEN: Final = "CLOUDKIT_AAP_TOKEN"
ENV_AAP_PROVISION_TEMPLATE: Final = "CLOUDKIT_AAP_PROVISION_TEMPLATE"
ENV_AAP_DEPROVISION_TEMPLATE: Final = "CLOUDKIT_AAP_DEPROVISION_TEMPLATE"
ENV_AAP_STATUS_POLL_INTERVAL: Final = "CLOUDKIT_AAP_STATUS_POLL_INTERVAL"
ENV_MAX_JOB_HISTORY: Final = "CLOUDKIT_MAX_JOB_HISTORY"
ENV_COMPUTE_INSTANCE_NAMESPACE: Final = "CLOUDKIT_COMPUTE_INSTANCE_NAMESPACE"

DEFAULT_COMPUTE_INSTANCE_NAMESPACE: Final = "cloudkit-computeinstance"

# Condition types on the CI (§2.2).
CONDITION_ACCEPTED: Final = "Accepted"
CONDITION_PROGRESSING: Final = "Progressing"
CONDITION_AVAILABLE: Final = "Available"
CONDITION_DELETING: Final = "Deleting"
CONDITION_RESTART_IN_PROGRESS: Final = "RestartInProgress"
CONDITION_RESTART_FAILED: Final = "RestartFailed"
