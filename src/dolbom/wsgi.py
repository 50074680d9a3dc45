import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dolbom.settings")
application = get_wsgi_application()

# Refuse to serve with a malformed key or data under a key that is not configured (core.rekey): every reveal would
# be an error, and searches by number would miss people. Checked once here, for every server that loads the app.
from dolbom.core.rekey import refuse_unusable_keys  # noqa: E402  (needs the application, hence Django, set up)

refuse_unusable_keys()
