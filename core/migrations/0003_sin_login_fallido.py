from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("core", "0002_esqueleto_username")]

    initial = False

    # Failed logins are counted by the rate-limit service (core/ratelimit.py) now.
    operations = [
        ops.DeleteModel(name="LoginFallido"),
    ]
