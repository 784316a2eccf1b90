"""The year simulation (issue 8, point 4): every service together, a population of customers of
every demo profile, a year day by day, and the lifecycle's invariants checked after every day.

    world.py       the local runtime under a controlled clock, as the customers and operators see it
    mails.py       the mails the services send, told apart by their (French) subjects
    readings.py    the homes' half-hour consumption and production, and the meter files that carry it
    population.py  the customers: who they are, what they bought, how they pay, their sessions
    scenarios.py   the catalogue: each thing a customer or an operator does, one small unit
    invariants.py  the rules checked after every simulated day
    year.py        the day loop and its report

`make simulate CUSTOMERS=… DAYS=… SEED=…` runs it from the command line (`python -m simulation`).
"""
