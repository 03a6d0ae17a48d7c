"""The `taperline` command: one module per command group, each thin (parse, call one service,
render with Rich). `base` holds the root app and what every group shares; importing a group
registers its commands on the root app, in the order `taperline --help` lists them."""

# isort: off
from taperline.cli.base import app
from taperline.cli import server, people, checkins, safety, plans  # noqa: F401 - they register
from taperline.cli import schedule, export, accounts, progress, claims  # noqa: F401
from taperline.cli import outreach, circle, messages, rewards, backup  # noqa: F401
# isort: on

__all__ = ["app"]
