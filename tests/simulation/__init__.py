"""The year simulation (issue 8, point 4) and what it stands on: the local runtime under a
controlled clock, with events delivered when the harness asks."""
