"""The system under test: a port of the reference osac-operator ComputeInstance reconciler and its providers."""
