from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("threads", "0005_flags"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="thread",
            index=models.Index(
                fields=["id"], include=("group", "hidden", "last_post_number", "last_activity_at"), name="thread_unread_check"
            ),
        ),
    ]
