"""Seeds the guest and timeout lists with the reference's (v2 constants): both empty on mainnet; a few
addresses on the other chains. Staff edit them in the admin afterwards."""
from django.db import migrations

GUEST_NOT_MAINNET = [
    "0xfe8076f61ffe6a01035919a20e8c8afe3dae6d6c", "0x80f9e65b8a4b896993c2f306f56743c7d5cfc214",
    "0x9b479432155c96c664a9f40fcb3a4ae0abc20920", "0x825c523c9e4269f4d671aeb4f7ff7fc3f8545aae",
    "0x4e36e39779d539388a5db1b0044d9e7e2a650318", "0x4abbec7c97cf0bd86b820fa969ce3d9b3c114e63",
    "0x3d32cedc106b727a9de5adf83dbb26a77962b667", "0xc879b314fdae292ce863135393bb34519ad3dbf5",
    "0x33d05a2a1777edc22ba1fe7d9f031b5515893499", "0xf02c943f9c22604bedbb9b6f4312b25d7c03fca4",
    "0xc4501ef6a12c9c218f1816358300bb41b5bf3032", "0x9f872dcdf45fddf000239bd1d1287de691769b68",
    "0x38bdc76739ab5c2deeaa190c9bbd3a57555108df", "0x5ee66522e9f7d527e666402a5c82cd1e8eac4a53",
    "0x8a650e57f7b82bc4479a40a19c011b740fa17e15", "0xb761325ab3a33c4b08f8cc97d6cb9df62fd00c30",
]
TIMEOUT_NOT_MAINNET = [
    "0xdf486eec7b89c390569194834a2f7a71da05ee13", "0x689f1a51c177cce66e3afdca4b1ded7721f531f9",
    "0x018d43ac91432d00c4ad1531c98b6ccd2b352538",
]


def seed(apps, schema_editor):
    entry = apps.get_model("antisybil", "PassportListEntry")
    entry.objects.bulk_create([entry(kind="guest", address=a, mainnet=False) for a in GUEST_NOT_MAINNET]
                              + [entry(kind="timeout", address=a, mainnet=False) for a in TIMEOUT_NOT_MAINNET],
                              ignore_conflicts=True)


def unseed(apps, schema_editor):
    apps.get_model("antisybil", "PassportListEntry").objects.filter(
        mainnet=False, address__in=GUEST_NOT_MAINNET + TIMEOUT_NOT_MAINNET).delete()


class Migration(migrations.Migration):
    dependencies = [("antisybil", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
