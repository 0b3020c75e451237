import os

from django.core.asgi import get_asgi_application

from zhengtong.core.masking import prepare_address_masking

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings.base")
application = get_asgi_application()

# What a worker would otherwise build on its first request, which would wait for it.
prepare_address_masking()
