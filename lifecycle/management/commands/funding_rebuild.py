"""`manage.py funding_rebuild [EPOCH ...]`: every aggregate of an epoch recomputed from its live allocations
(allocations.funding.epoch_funding_rebuild), for allocations loaded in bulk."""
import json

from django.core.management.base import BaseCommand

from allocations import funding
from allocations.models import Allocation


class Command(BaseCommand):
    help = ("Rebuild every allocation aggregate of the given epochs (default: every epoch with allocations) from "
            "their live allocations: each project's, each donor's and the epoch's totals. Run it after loading "
            "allocations in bulk; allocations wait while an epoch is rebuilt. Prints the counts, one JSON line.")

    def add_arguments(self, parser):
        parser.add_argument("epochs", nargs="*", type=int, help="epoch numbers (default: every epoch with allocations)")

    def handle(self, *args, epochs=(), **options):
        epochs = epochs or sorted(set(Allocation.objects.order_by().values_list("epoch", flat=True).distinct()))
        result = {}
        for epoch in epochs:
            result[str(epoch)] = funding.epoch_funding_rebuild(epoch=epoch)
            self.stderr.write(f"Epoch {epoch}: {result[str(epoch)]['projects']} projects and "
                              f"{result[str(epoch)]['donors']} donors rebuilt.")
        self.stdout.write(json.dumps(result))
