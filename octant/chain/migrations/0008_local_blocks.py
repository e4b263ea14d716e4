"""The local chain's blocks, transactions and their logs, ETH and GLM balances, allowances and Vault withdrawals
(octant/chain/blocks.py, ledger.py). An existing clock's block 0 is put no later than the earliest event the
chain holds; the ledger rows written before have no transaction (they are not in any block)."""

import django.db.models.deletion
import octant.core.fields
from django.db import migrations, models


def genesis(apps, schema_editor):
    ChainClock = apps.get_model("chain", "ChainClock")
    times = [apps.get_model("chain", name).objects.aggregate(first=models.Min(field))["first"]
             for name, field in (("LocalDepositEvent", "timestamp"), ("LocalVaultRoot", "set_at"))]
    for clock in ChainClock.objects.all():
        clock.genesis = min([clock.base, *(t for t in times if t is not None)])
        clock.save(update_fields=["genesis"])


class Migration(migrations.Migration):

    dependencies = [
        ('chain', '0007_local_safe_messages'),
    ]

    operations = [
        migrations.AddField(
            model_name='chainclock',
            name='genesis',
            field=models.BigIntegerField(default=0, help_text='chain time of block 0'),
            preserve_default=False,
        ),
        migrations.RunPython(genesis, migrations.RunPython.noop),
        migrations.CreateModel(
            name='LocalAllowance',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('owner', models.CharField(max_length=42)),
                ('spender', models.CharField(max_length=42)),
                ('amount', octant.core.fields.WeiField(default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('owner', 'spender'), name='local_allowance_unique')],
            },
        ),
        migrations.CreateModel(
            name='LocalBalance',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('asset', models.CharField(choices=[('ETH', 'ETH'), ('GLM', 'GLM')], max_length=3)),
                ('address', models.CharField(max_length=42)),
                ('amount', octant.core.fields.WeiField(default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('asset', 'address'), name='local_balance_unique')],
            },
        ),
        migrations.CreateModel(
            name='LocalTransaction',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('block', models.BigIntegerField(unique=True)),
                ('timestamp', models.BigIntegerField(help_text='chain time')),
                ('hash', models.CharField(max_length=66, unique=True)),
                ('sender', models.CharField(max_length=42)),
                ('to', models.CharField(blank=True, default='', max_length=42)),
                ('nonce', models.PositiveBigIntegerField(blank=True, null=True)),
                ('value', octant.core.fields.WeiField(default=0)),
                ('input', models.TextField(default='0x', help_text='calldata, hex')),
                ('gas', models.PositiveBigIntegerField(default=0, help_text='gas limit')),
                ('gas_used', models.PositiveBigIntegerField(default=0)),
                ('gas_price', octant.core.fields.WeiField(default=0, help_text='effective gas price')),
                ('raw', models.TextField(blank=True, default='', help_text='the signed transaction, hex')),
            ],
            options={
                'ordering': ['block'],
                'constraints': [models.UniqueConstraint(fields=('sender', 'nonce'), name='local_tx_unique_nonce')],
            },
        ),
        migrations.AddField(
            model_name='localdepositevent',
            name='transaction',
            field=models.ForeignKey(blank=True, help_text="the Deposits transaction (none for a stream's action)", null=True, on_delete=django.db.models.deletion.CASCADE, to='chain.localtransaction'),
        ),
        migrations.AddField(
            model_name='localvaultroot',
            name='transaction',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, to='chain.localtransaction'),
        ),
        migrations.CreateModel(
            name='LocalWithdrawal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('address', models.CharField(db_index=True, max_length=42)),
                ('amount', octant.core.fields.WeiField()),
                ('epoch', models.PositiveIntegerField()),
                ('transaction', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, to='chain.localtransaction')),
            ],
            options={
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='LocalLog',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('index', models.PositiveIntegerField(help_text='log index in the block')),
                ('address', models.CharField(max_length=42)),
                ('topic0', models.CharField(db_index=True, max_length=66)),
                ('topics', models.JSONField(default=list, help_text='every topic, topic0 first, hex')),
                ('data', models.TextField(default='0x')),
                ('transaction', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='logs', to='chain.localtransaction')),
            ],
            options={
                'ordering': ['transaction__block', 'index'],
                'constraints': [models.UniqueConstraint(fields=('transaction', 'index'), name='local_log_unique_index')],
            },
        ),
    ]
