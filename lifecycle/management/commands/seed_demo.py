"""Seed a demo local chain when the database is empty: a short epoch schedule that runs on the wall clock,
staking proceeds, a few projects, lockers (each also holding GLM and ETH) and passport scores. Does nothing if a
schedule exists."""
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from lifecycle.management.commands.chain import sync
from octant.chain.backends import get_chain
from octant.chain.models import LocalEpochProps
from projects.services import projects_describe

ETH = GLM = 10**18
PROJECTS = [
    ("0x1111111111111111111111111111111111111111", "Open Source Tooling"),
    ("0x2222222222222222222222222222222222222222", "Climate Data Commons"),
    ("0x3333333333333333333333333333333333333333", "Public Goods Research"),
    ("0x4444444444444444444444444444444444444444", "Privacy Education"),
    ("0x5555555555555555555555555555555555555555", "Community Translations"),
]
# what staff would enter in the project admin (docs/lifecycle.md §8.2), for the web client's pages
DESCRIPTIONS = {
    "Open Source Tooling": "Maintainers of the libraries every wallet and dapp depends on.",
    "Climate Data Commons": "Open climate datasets, cleaned, versioned and free to reuse.",
    "Public Goods Research": "Studies of how communities fund what everyone uses.",
    "Privacy Education": "Guides and workshops on keeping your keys and your data your own.",
    "Community Translations": "Volunteers bringing Ethereum's documentation to thirty languages.",
}
WALLET_GLM, WALLET_ETH = 100_000 * GLM, 10 * ETH  # what each demo wallet holds besides its lock
LOCKERS = [
    ("0xaAaAaAaaAaAaAaaAaAAAAAAAAaaaAaAaAaaAaaAa", 500_000 * GLM, "25"),
    ("0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB", 120_000 * GLM, "3"),
    ("0xcCCCCCCcCCCCCCCcCCCCCCCcCcCCCCCcCCCcccCc", 40_000 * GLM, "18"),
]


class Command(BaseCommand):
    help = "Seed a demo local chain (only when no epoch schedule exists)."
    requires_system_checks = []  # run.sh runs it right after `migrate`, which has checked

    def add_arguments(self, parser):
        parser.add_argument("--duration", type=int, default=600, help="epoch length, seconds")
        parser.add_argument("--decision-window", type=int, default=300, help="allocation window, seconds")
        parser.add_argument("--epochs", type=int, default=24, help="epochs to give proceeds and projects")

    def handle(self, *args, duration, decision_window, epochs, **options):
        if settings.CHAIN_BACKEND != "local" or LocalEpochProps.objects.exists():
            self.stdout.write("seed_demo: nothing to do (a schedule exists or the chain is not local)")
            return
        chain = get_chain()
        now = int(time.time())
        chain.set_time(timestamp=max(now, chain.now()))
        chain.configure(start=chain.now(), duration=duration, decision_window=decision_window)
        for epoch in range(1, epochs + 1):
            chain.set_proceeds(epoch, 50 * ETH * duration // 600)
            for address, name in PROJECTS:
                chain.add_project(epoch, address, name=name)
        for address, amount, score in LOCKERS:
            chain.lock(address, amount)
            chain.set_passport(address, score)
            chain.mint(address, glm=WALLET_GLM, eth=WALLET_ETH)  # to lock more, and pay gas, through `/rpc`
        sync(chain)
        for address, name in PROJECTS:
            projects_describe(address=address, intro_description=DESCRIPTIONS[name],
                              description=f"{DESCRIPTIONS[name]}\n\nA demo project of the local chain.",
                              website=f"https://{name.lower().replace(' ', '-')}.example", website_label=name)
        self.stdout.write(
            f"seed_demo: epoch 1 started now; {duration}s epochs, {decision_window}s allocation windows, "
            f"{len(PROJECTS)} projects and {len(LOCKERS)} lockers"
        )
