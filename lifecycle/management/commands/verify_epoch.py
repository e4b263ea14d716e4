"""`manage.py verify_epoch N [N ...]`: verify finalized epochs by themselves (docs/lifecycle.md §1.9) and store
their reports, replacing earlier ones (an acknowledgement goes with the report it acknowledged)."""
from django.core.management.base import BaseCommand, CommandError

from octant.core.exceptions import OctantError

from lifecycle.verification import epoch_verify


class Command(BaseCommand):
    help = ("Recompute finalized epochs from their stored inputs, check them against their snapshots, the merkle "
            "tree and the Vault, store and print each report; fails if a report fails.")

    def add_arguments(self, parser):
        parser.add_argument("epochs", nargs="+", type=int, help="finalized epoch numbers")

    def handle(self, *args, epochs, **options):
        failed = []
        for epoch in epochs:
            try:
                report = epoch_verify(epoch=epoch)
            except OctantError as exc:
                raise CommandError(f"epoch {epoch}: {exc}")
            for check in report.checks:
                mark = "ok  " if check["passed"] else "FAIL"
                margin = f" (margin {check['margin']})" if check["margin"] != "0" else ""
                self.stdout.write(f"{mark} {check['name']}: expected {check['expected']}, actual "
                                  f"{check['actual']}{margin}" + (f"; {check['detail']}" if check["detail"] else ""))
            self.stdout.write(f"epoch {epoch}: {'passed' if report.passed else 'FAILED'}, {len(report.checks)} checks"
                              + (", exact mode" if report.exact else ""))
            if not report.passed:
                failed.append(epoch)
        if failed:
            raise CommandError(f"verification failed for epochs {failed}: the Vault waits for staff to acknowledge "
                               "it on the finalized snapshot's admin page")
