"""A local chain that ran before the chain kept its own ledger wrote its events, streams and projects straight
into the apps' tables: copy them into the ledger (and put the apps' cursors past them), so its balances, streams
and projects carry on. Nothing to do on a new database or an ethereum deployment."""
from django.conf import settings
from django.db import migrations


def copy(apps, schema_editor):
    if settings.CHAIN_BACKEND != "local":
        return
    DepositEvent = apps.get_model("deposits", "DepositEvent")
    SablierStream = apps.get_model("deposits", "SablierStream")
    Project = apps.get_model("projects", "Project")
    LocalDepositEvent = apps.get_model("chain", "LocalDepositEvent")
    LocalSablierStream = apps.get_model("chain", "LocalSablierStream")
    LocalProject = apps.get_model("chain", "LocalProject")
    IndexCursor = apps.get_model("chain", "IndexCursor")
    if LocalDepositEvent.objects.exists() or LocalProject.objects.exists():
        return
    streams, refunds = {}, {}
    for s in SablierStream.objects.filter(stream_id__startswith="local-").order_by("id"):
        streams[s.stream_id] = LocalSablierStream.objects.create(
            stream_id=s.stream_id, recipient=s.recipient, deposit_amount=s.deposit_amount,
            withdrawn_amount=s.withdrawn_amount, intact_amount=s.intact_amount, start_time=s.start_time,
            end_time=s.end_time, cancelled=s.cancelled)
        if s.cancelled:
            refunds[s.stream_id] = s.deposit_amount - s.withdrawn_amount - s.intact_amount
    events = DepositEvent.objects.filter(key__startswith="local:") | DepositEvent.objects.filter(
        key__startswith="sablier:local-")
    last_refund = {}
    rows = []
    for e in events.order_by("timestamp", "id"):
        stream, action = None, ""
        if e.key.startswith("sablier:"):
            stream = streams.get(e.key.split(":")[1])
            if stream is None:
                continue
            action = "Create" if e.type == "lock" else "Withdraw"
            if e.type == "unlock" and refunds.get(stream.stream_id) == e.amount:
                last_refund[stream.stream_id] = len(rows)
        rows.append(LocalDepositEvent(address=e.address, type=e.type, amount=e.amount, before=e.before, after=e.after,
                                      timestamp=e.timestamp, stream=stream, action=action))
    for index in last_refund.values():
        rows[index].action = "Cancel"
    LocalDepositEvent.objects.bulk_create(rows)
    projects = [LocalProject(epoch=p.epoch, address=p.address, name=p.name, revision=i, name_revision=i)
                for i, p in enumerate(Project.objects.order_by("id"), start=1)]
    LocalProject.objects.bulk_create(projects)
    last_event = LocalDepositEvent.objects.order_by("-id").values_list("id", flat=True).first()
    for entity, block in (("local:deposits", last_event), ("local:sablier", last_event),
                          ("local:projects", len(projects))):
        if block:
            IndexCursor.objects.update_or_create(entity=entity, defaults={"block": block})


class Migration(migrations.Migration):

    dependencies = [
        ("chain", "0005_local_ledger"),
        ("deposits", "0003_sablierstream"),
        ("projects", "0002_project_address_checksummed"),
    ]

    operations = [migrations.RunPython(copy, migrations.RunPython.noop)]
