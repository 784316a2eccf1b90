"""The fault-injection tier: Guichet's journeys while AWS fails under the services (harness.py)."""
