import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from eth_utils import to_checksum_address

from octant.chain.models import LocalPassportScore
from octant.core.fields import AddressFormField, address_checksum, checksum_stored_addresses
from projects.models import Project

LOWER = "0xa1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
CHECKSUM = to_checksum_address(LOWER)


@pytest.mark.parametrize("value", [LOWER, LOWER.upper().replace("0X", "0x"), CHECKSUM, f"  {LOWER} "])
def test_any_case_becomes_the_checksum(value):
    assert address_checksum(value) == CHECKSUM


@pytest.mark.parametrize("value", ["0xnothex", "0x123", LOWER[2:], "", None, 5, LOWER + "00", "0x" + "g" * 40])
def test_invalid_addresses_are_refused(value):
    with pytest.raises(ValidationError, match="Enter an Ethereum address"):
        address_checksum(value)


def test_a_wrong_mixed_case_checksum_is_refused_with_its_own_message():
    wrong = CHECKSUM[:2] + CHECKSUM[2:].swapcase()
    with pytest.raises(ValidationError, match="not its EIP-55 checksum"):
        address_checksum(wrong)


def test_form_field_cleans_to_the_checksum():
    assert AddressFormField().clean(LOWER) == CHECKSUM
    with pytest.raises(ValidationError):
        AddressFormField().clean("0xnothex")


@pytest.mark.django_db
def test_save_stores_the_checksum_and_refuses_an_invalid_address():
    project = Project.objects.create(epoch=1, address=LOWER)
    assert project.address == CHECKSUM and Project.objects.get().address == CHECKSUM
    with pytest.raises(ValidationError):
        Project.objects.create(epoch=2, address="0xnothex")
    project.address = "0xnothex"
    with pytest.raises(ValidationError):
        project.save()
    assert list(Project.objects.values_list("address", flat=True)) == [CHECKSUM]


@pytest.mark.django_db
def test_bulk_paths_and_update_are_checked_too():
    Project.objects.bulk_create([Project(epoch=1, address=LOWER)])
    assert Project.objects.get().address == CHECKSUM
    with pytest.raises(ValidationError), transaction.atomic():
        Project.objects.bulk_create([Project(epoch=2, address="0xnothex")])
    with pytest.raises(ValidationError), transaction.atomic():
        Project.objects.update(address="nothex")
    project = Project.objects.get()
    project.address = "0x12"
    with pytest.raises(ValidationError), transaction.atomic():
        Project.objects.bulk_update([project], ["address"])
    Project.objects.update(address=LOWER.upper().replace("0X", "0x"))
    assert Project.objects.get().address == CHECKSUM
    LocalPassportScore.objects.create(address=LOWER, score="1")
    assert LocalPassportScore.objects.get().address == CHECKSUM


@pytest.mark.django_db
def test_full_clean_reports_the_address_field():
    with pytest.raises(ValidationError) as error:
        Project(epoch=1, address="0xnothex").full_clean()
    assert "address" in error.value.message_dict


@pytest.mark.django_db
def test_lookups_with_a_bad_value_match_nothing():
    Project.objects.create(epoch=1, address=LOWER)
    assert not Project.objects.filter(address="0xnothex").exists()


@pytest.mark.django_db
def test_the_data_migration_checksums_rows_stored_before_it():
    with connection.cursor() as cursor:  # rows written before the field checked them
        for epoch, address, name in [(1, LOWER, "lower"), (2, CHECKSUM, "kept"), (2, LOWER, "twin"),
                                     (3, "0xnothex", "bad")]:
            cursor.execute("INSERT INTO projects_project (epoch, address, name, intro_description, description, "
                           "website, website_label, profile_image, created_at) "
                           "VALUES (%s, %s, %s, '', '', '', '', '', CURRENT_TIMESTAMP)", [epoch, address, name])
    checksum_stored_addresses(Project, scope=("epoch",))
    assert sorted(Project.objects.values_list("epoch", "address", "name")) == [
        (1, CHECKSUM, "lower"), (2, CHECKSUM, "kept"), (3, "0xnothex", "bad")]
