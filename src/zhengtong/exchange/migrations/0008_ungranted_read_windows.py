from django.db import migrations, models


class Migration(migrations.Migration):
    """Count every read that no grant counts, not only a provider's own, on one window."""

    dependencies = [("exchange", "0007_model_names_in_chinese")]

    operations = [
        migrations.RenameModel(old_name="OwnReadWindow", new_name="UngrantedReadWindow"),
        migrations.AlterModelOptions(
            name="ungrantedreadwindow",
            options={
                "verbose_name": "无授权调用计数窗口",
                "verbose_name_plural": "无授权调用计数窗口",
            },
        ),
        migrations.RemoveConstraint(
            model_name="ungrantedreadwindow", name="exchange_own_read_window_unique"
        ),
        migrations.AddConstraint(
            model_name="ungrantedreadwindow",
            constraint=models.UniqueConstraint(
                fields=("client", "resource"), name="exchange_ungranted_read_window_unique"
            ),
        ),
    ]
