"""`chain safe ...` and `chain stream ...`: contract wallets and Sablier streams on the local chain. Each
subcommand is a small handler; the chain backend is imported only when one runs."""
import json


def add_subcommands(sub) -> None:
    p = sub.add_parser("safe", help="manage Safe contract wallets")
    psub = p.add_subparsers(dest="safe_action", required=True)
    add = psub.add_parser("add", help="deploy a Safe at ADDRESS with its owners and threshold")
    add.add_argument("address")
    add.add_argument("--owners", nargs="+", required=True, help="owner addresses (space or comma separated)")
    add.add_argument("--threshold", type=int, required=True)

    p = sub.add_parser("stream", help="manage Sablier GLM streams")
    psub = p.add_subparsers(dest="stream_action", required=True)
    create = psub.add_parser("create", help="stream AMOUNT wei of GLM to RECIPIENT from now over --duration")
    create.add_argument("recipient")
    create.add_argument("amount", help="wei")
    create.add_argument("--duration", type=int, required=True, help="seconds")
    withdraw = psub.add_parser("withdraw", help="the recipient withdraws AMOUNT wei of what has streamed")
    withdraw.add_argument("stream_id")
    withdraw.add_argument("amount", help="wei")
    cancel = psub.add_parser("cancel", help="the sender cancels the stream (unstreamed GLM goes back)")
    cancel.add_argument("stream_id")


def _safe(chain, options, out) -> None:
    owners = [o for value in options["owners"] for o in value.split(",") if o]
    safe = chain.add_safe(options["address"], owners=owners, threshold=options["threshold"])
    out.write(json.dumps({"safe": safe.address, "owners": safe.owners, "threshold": safe.threshold}))


def _stream(chain, options, out) -> None:
    action = options["stream_action"]
    if action == "create":
        stream = chain.stream_create(options["recipient"], options["amount"], duration=options["duration"])
    elif action == "withdraw":
        stream = chain.stream_withdraw(options["stream_id"], options["amount"])
    else:
        stream = chain.stream_cancel(options["stream_id"])
    out.write(json.dumps({"streamId": stream.stream_id, "recipient": stream.recipient,
                          "depositAmount": str(stream.deposit_amount), "intactAmount": str(stream.intact_amount),
                          "endTime": stream.end_time, "cancelled": stream.cancelled}))


HANDLERS = {"safe": _safe, "stream": _stream}
