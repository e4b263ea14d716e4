"""`manage.py chain ...`: drive the embedded local chain (spec README, "The local chain")."""
import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from octant.chain.backends import get_chain
from octant.core.exceptions import ChainError


class Command(BaseCommand):
    help = "Drive the local simulated chain: schedule, clock, locks, proceeds, projects, passport scores."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="print the chain state as JSON")

        p = sub.add_parser("configure", help="set the epoch schedule")
        p.add_argument("--start", type=int, help="Unix time epoch 1 starts (only before the schedule starts)")
        p.add_argument("--duration", type=int, required=True, help="epoch length, seconds")
        p.add_argument("--decision-window", type=int, required=True, help="allocation window, seconds")

        p = sub.add_parser("time", help="move the chain clock forward")
        group = p.add_mutually_exclusive_group(required=True)
        group.add_argument("--advance", type=int, metavar="SEC")
        group.add_argument("--set", type=int, metavar="TS")

        for name in ("lock", "unlock"):
            p = sub.add_parser(name, help=f"record a GLM {name} at the current chain time")
            p.add_argument("address")
            p.add_argument("amount", help="wei")

        p = sub.add_parser("proceeds", help="set the staking proceeds of an epoch")
        p.add_argument("epoch", type=int)
        p.add_argument("amount", help="wei")

        p = sub.add_parser("project", help="manage projects")
        psub = p.add_subparsers(dest="project_action", required=True)
        add = psub.add_parser("add", help="register a project for an epoch")
        add.add_argument("epoch", type=int)
        add.add_argument("address")
        add.add_argument("--name", default="")

        p = sub.add_parser("passport", help="set an address's Gitcoin Passport score")
        p.add_argument("address")
        p.add_argument("score")

        from octant.chain.wallet_commands import add_subcommands

        add_subcommands(sub)

    def handle(self, *args, action, **options):
        if settings.CHAIN_BACKEND != "local" and action != "status":
            raise CommandError(f"`chain` drives the local chain; CHAIN_BACKEND is {settings.CHAIN_BACKEND!r}")
        chain = get_chain()
        try:
            if action == "status":
                pass
            elif action == "configure":
                chain.configure(start=options["start"], duration=options["duration"],
                                decision_window=options["decision_window"])
            elif action == "time":
                chain.set_time(timestamp=options["set"], advance=options["advance"])
            elif action == "lock":
                chain.lock(options["address"], options["amount"])
            elif action == "unlock":
                chain.unlock(options["address"], options["amount"])
            elif action == "proceeds":
                chain.set_proceeds(options["epoch"], options["amount"])
            elif action == "project":
                chain.add_project(options["epoch"], options["address"], name=options["name"])
            elif action == "passport":
                chain.set_passport(options["address"], options["score"])
            else:
                from octant.chain.wallet_commands import HANDLERS

                HANDLERS[action](chain, options, self.stdout)
        except ChainError as exc:
            raise CommandError(exc.text)
        self.stdout.write(json.dumps(chain.status()))
