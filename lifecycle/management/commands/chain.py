"""`manage.py chain ...`: drive the embedded local chain (README, "The local chain"; docs/lifecycle.md §3.2).

Each subcommand is one parser (in `add_arguments`) and one handler (`do_<name>`, set as the parser's
`handler`) that changes the chain and returns what it changed, in words; the command prints those words
(on stderr), then the chain status as one JSON line (stdout: JSON lines only, for scripts; `safe` and
`stream`, in `octant/chain/wallet_commands.py`, print their object as a JSON line first). Start-up stays light: no system checks (they import the URLconf
and every API module) and the chain backend is imported only when a handler runs. The chain keeps its own
ledger; a handler that adds deposit events, streams or projects runs the apps' sync services right after
(`sync`), so what it wrote is visible to the API at once.
"""
import json

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("Drive the local simulated chain: schedule, clock, locks, proceeds, projects, passport scores; "
            "reset starts over.")
    requires_system_checks = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="print the chain state as JSON").set_defaults(handler=self.do_status)

        p = sub.add_parser("configure", help="set the epoch schedule")
        p.add_argument("--start", type=int, help="Unix time epoch 1 starts (only before the schedule starts)")
        p.add_argument("--duration", type=int, required=True, help="epoch length, seconds")
        p.add_argument("--decision-window", type=int, required=True, help="allocation window, seconds")
        p.set_defaults(handler=self.do_configure)

        p = sub.add_parser("time", help="move the chain clock forward")
        group = p.add_mutually_exclusive_group(required=True)
        group.add_argument("--advance", type=int, metavar="SEC")
        group.add_argument("--set", type=int, metavar="TS")
        p.set_defaults(handler=self.do_time)

        for name in ("lock", "unlock"):
            p = sub.add_parser(name, help=f"record a GLM {name} at the current chain time")
            p.add_argument("address")
            p.add_argument("amount", help="wei")
            p.set_defaults(handler=self.do_deposit)

        p = sub.add_parser("mint", help="the faucet: give an address GLM and ETH")
        p.add_argument("address")
        p.add_argument("--glm", default="0", help="wei")
        p.add_argument("--eth", default="0", help="wei")
        p.set_defaults(handler=self.do_mint)

        p = sub.add_parser("proceeds", help="set the staking proceeds of an epoch")
        p.add_argument("epoch", type=int)
        p.add_argument("amount", help="wei")
        p.set_defaults(handler=self.do_proceeds)

        p = sub.add_parser("project", help="manage projects")
        psub = p.add_subparsers(dest="project_action", required=True)
        add = psub.add_parser("add", help="register a project for an epoch (or rename it)")
        add.add_argument("epoch", type=int)
        add.add_argument("address")
        add.add_argument("--name", default="")
        add.set_defaults(handler=self.do_project_add)

        p = sub.add_parser("passport", help="set an address's Gitcoin Passport score")
        p.add_argument("address")
        p.add_argument("score")
        p.set_defaults(handler=self.do_passport)

        p = sub.add_parser("reset", help="delete the local chain and everything derived from it, to start over")
        p.add_argument("--yes", action="store_true", help="really delete (required when there is data)")
        p.set_defaults(handler=self.do_reset)

        from octant.chain.wallet_commands import add_subcommands  # `safe ...`, `stream ...`

        add_subcommands(sub)

    def handle(self, *args, handler=None, **options):
        from django.conf import settings

        if settings.CHAIN_BACKEND != "local" and options["action"] != "status":  # status works on both
            raise CommandError(f"`chain` drives the local chain; CHAIN_BACKEND is {settings.CHAIN_BACKEND!r}")
        from django.core.exceptions import ImproperlyConfigured

        # lazy, as every import of this command: it starts in well under a second (the chain backend is heavy)
        from octant.chain.backends import get_chain
        from octant.core.exceptions import ChainError

        try:
            chain = get_chain()
        except ImproperlyConfigured as exc:  # e.g. an ethereum backend missing a setting
            raise CommandError(str(exc))
        if handler is None:  # `safe`/`stream` (octant/chain/wallet_commands.py) print what changed as JSON
            from octant.chain.wallet_commands import HANDLERS  # lazy, as above

            def handler(chain, **options):
                HANDLERS[options["action"]](chain, options, self.stdout)
                sync(chain)  # a stream's actions
                return ""
        try:
            changed = handler(chain, **options)
            if changed:
                from octant.web.answers import bump  # lazily, as the others: the command stays fast

                bump()  # the servers' shared answers (octant.web.answers) may show the old chain
            if changed:  # for people, on stderr: stdout stays JSON lines for scripts
                self.stderr.write(changed, style_func=lambda text: text)
            self.stdout.write(json.dumps(chain.status()))
        except ChainError as exc:
            raise CommandError(exc.text)

    # --- handlers: change the chain, return what changed ("" for nothing)
    def do_status(self, chain, **options):
        return ""

    def do_configure(self, chain, *, start, duration, decision_window, **options):
        first = chain.configure(start=start, duration=duration, decision_window=decision_window)
        if start is not None:
            return (f"Schedule set: epoch 1 starts at {start}; {duration} s epochs with a {decision_window} s "
                    "allocation window.")
        return f"Timing changed from epoch {first}: {duration} s epochs with a {decision_window} s allocation window."

    def do_time(self, chain, *, advance, set, **options):
        if advance is not None:
            return f"Clock moved forward {advance} s, to {chain.set_time(advance=advance)}."
        before = chain.now()
        return f"Clock set to {chain.set_time(timestamp=set)} (it was {before})."

    def do_deposit(self, chain, *, action, address, amount, **options):
        event = (chain.lock if action == "lock" else chain.unlock)(address, amount)
        sync(chain)
        return (f"{action.capitalize()}ed {event.amount} wei GLM for {event.address}: "
                f"{event.before} -> {event.after} locked.")

    def do_mint(self, chain, *, address, glm, eth, **options):
        tx = chain.mint(address, glm=glm, eth=eth)
        return f"Minted {glm} wei GLM and {eth} wei ETH to {tx.to} (transaction {tx.hash})."

    def do_proceeds(self, chain, *, epoch, amount, **options):
        from projects.services import epoch_editable_check  # lazy: each `chain` command imports only what it uses

        before = chain.staking_proceeds(epoch)
        chain.set_proceeds(epoch, amount, check=epoch_editable_check)
        return f"Staking proceeds of epoch {epoch}: {before} -> {chain.staking_proceeds(epoch)} wei."

    def do_project_add(self, chain, *, epoch, address, name, **options):
        from projects.models import Project  # lazy: each `chain` command imports only what it uses (speed)
        from projects.services import epoch_editable_check  # lazy, as above

        old = None
        if _is_address(address):
            old = Project.objects.filter(epoch=epoch, address=_checksum(address)).values_list("name", flat=True)[:1]
            old = old[0] if old else None
        registered = chain.add_project(epoch, address, name=name, check=epoch_editable_check)
        sync(chain)
        project = Project.objects.get(epoch=epoch, address=registered.address)
        where = f"project {project.address} of epoch {epoch}"
        if old is None:
            return f"Registered {where} as {project.name!r}."
        if old != project.name:
            return f"Renamed {where} from {old!r} to {project.name!r}."
        return f"Unchanged: {where} is already registered as {project.name!r}."

    def do_passport(self, chain, *, address, score, **options):
        before = chain.passport_score(address) if _is_address(address) else None
        chain.set_passport(address, score)
        after = chain.passport_score(address)
        return f"Passport score of {_checksum(address)}: {'none' if before is None else before} -> {after}."

    def do_reset(self, chain, *, yes, **options):
        counts = chain.reset_counts()
        if counts and not yes:
            raise CommandError(f"This deletes the local chain and all data derived from it ({_rows(counts)}); "
                               "run `chain reset --yes` to do it.")
        counts = chain.reset()
        return (f"Reset the local chain: deleted {_rows(counts)}." if counts else
                "Reset the local chain: it held no data.") + " The clock is back on wall time."


def sync(chain) -> None:
    """Store what the local chain's ledger holds past the apps' cursors: deposit events, streams, projects."""
    from deposits.services import deposit_events_sync, sablier_streams_sync  # lazy: `chain` start-up speed
    from projects.services import projects_sync  # lazy, as above

    deposit_events_sync()
    sablier_streams_sync()
    projects_sync(current_epoch=chain.current_epoch())


def _rows(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    return f"{total} row{'s' * (total != 1)}: " + ", ".join(f"{label} {n}" for label, n in counts.items())


def _checksum(value: str) -> str:
    from octant.core.addresses import checksum

    return checksum(value)


def _is_address(value: str) -> bool:
    try:
        _checksum(value)
    except ValueError:
        return False
    return True
