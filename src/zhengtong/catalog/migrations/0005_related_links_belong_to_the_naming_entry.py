"""Related-resource links belong to the entry that names them.

The links were symmetric: both directions were stored for each link. The
table stays as it is, and so do its rows: which side named a link stored
before cannot be told, so each keeps listing the other as before, and each
side's officers may now take it out of their own entry.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_model_names_in_chinese"),
    ]

    operations = [
        migrations.AlterField(
            model_name="resource",
            name="related",
            field=models.ManyToManyField(
                blank=True, related_name="referenced_by", to="catalog.resource"
            ),
        ),
    ]
