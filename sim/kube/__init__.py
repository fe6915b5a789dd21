"""The Kubernetes substrate: API server, informer caches and watches, work queue, controller manager."""
