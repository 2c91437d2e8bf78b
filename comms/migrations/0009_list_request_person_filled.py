"""Every membership request made so far was the requester's own: they are its person."""

from django.db import migrations
from django.db.models import F


def forwards(apps, schema_editor):
    ListMembershipRequest = apps.get_model("comms", "ListMembershipRequest")
    ListMembershipRequest.objects.filter(person__isnull=True).update(person=F("requester"))


class Migration(migrations.Migration):
    dependencies = [("comms", "0008_list_messages_and_requests_for_others")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
