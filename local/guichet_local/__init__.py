"""Guichet's local runtime: every service, its resources and its events on one machine, no AWS.

`python -m guichet_local` (`make run`) starts moto, each service's resources and worker, the
gateway on http://127.0.0.1:8000, routes events, fires schedules and loads demo data;
`python -m guichet_local.job` (`make job`) runs a scheduled job now on the running runtime.
`resources.deploy_service_resources` is also what service tests use to create their tables.
"""
