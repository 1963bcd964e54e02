"""The readiness check (issue 19): what a plant lacks for the metrics before an assessor
comes, per metric, with the owner, effort and endangered certificate renewals of each gap."""

from thermaudit.readiness.check import SCHEMA, readiness

__all__ = ["SCHEMA", "readiness"]
