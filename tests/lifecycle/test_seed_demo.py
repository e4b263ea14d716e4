"""`manage.py seed_demo`: the demo chain's projects come with the metadata the web client shows."""
from django.core.management import call_command

from lifecycle.management.commands.seed_demo import PROJECTS
from projects.models import Project


def test_the_demo_projects_are_described(api, chain, settings):
    call_command("seed_demo", epochs=2)
    address, name = PROJECTS[1]
    cid = api.get("/projects/epoch/1").json()["projectsCid"]
    document = api.get(f"/ipfs/{cid}/{address}").json()
    assert document["name"] == name and document["introDescription"].startswith("Open climate datasets")
    assert document["website"] == {"label": name, "url": "https://climate-data-commons.example"}
    assert Project.objects.filter(address=address, epoch=2, intro_description__startswith="Open climate").exists()
