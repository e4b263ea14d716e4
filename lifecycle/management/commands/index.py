"""`manage.py index`: one indexing pass of the chain backend (the beat job does the same every tick)."""
import json

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from octant.chain.backends import get_chain
from octant.core.exceptions import OctantError

from deposits.services import deposit_events_sync, sablier_streams_sync
from projects.services import projects_sync


class Command(BaseCommand):
    help = ("Index new deposit events, vault withdrawals, merkle roots and projects from the subgraph and the "
            "contracts, and Sablier GLM streams from the Sablier subgraph, from where the last pass stopped, with a "
            "progress bar per entity; prints the counts.")

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args, no_progress=False, **options):
        chain = get_chain()
        bars = {}

        def progress(entity, done, block, since, pinned):
            bar = bars.get(entity)
            if bar is None:
                bar = bars[entity] = tqdm(total=pinned - since, desc=entity, unit="block", file=self.stderr,
                                          disable=no_progress, dynamic_ncols=True)
            bar.set_postfix(rows=done, refresh=False)
            bar.update(block - since - bar.n)

        try:
            result = {"depositEvents": deposit_events_sync(progress=progress), **chain.index(progress=progress)}
            result["projects"] = projects_sync(current_epoch=chain.current_epoch())
            result["sablierEvents"] = sablier_streams_sync()
        except OctantError as exc:
            raise CommandError(str(exc))
        finally:
            for bar in bars.values():
                bar.close()
        self.stdout.write(json.dumps(result))
