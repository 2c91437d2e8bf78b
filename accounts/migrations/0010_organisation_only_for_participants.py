"""Only participant accounts belong to an organisation (issue 7 point 3, §10.1, §10.4).

A migration of its own: on PostgreSQL the rows 0009 changed must be committed before the table
is altered."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_detach_non_participants"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='user',
            constraint=models.CheckConstraint(condition=models.Q(('organisation__isnull', True), ('kind', 'participant'), _connector='OR'), name='user_organisation_only_for_participants', violation_error_message='Only participant accounts belong to an organisation: clear the organisation to make this a desk or integration account.'),
        ),
    ]
