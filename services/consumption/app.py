"""The consumption service: meters, readings in day buckets, monthly totals, virtual battery,
surplus resale and telecom allowances."""

from aws_lambda_powertools import Logger
from chalice import Chalice
from chalicelib.api import api
from chalicelib.events import handlers
from chalicelib.operator_api import operator_api
from guichet_contracts import observability, web

app = Chalice(app_name="guichet-consumption")
logger = Logger(service="consumption")
web.install(app, logger)
observability.install(app, logger)
app.register_blueprint(api)
app.register_blueprint(operator_api)
app.register_blueprint(handlers)
