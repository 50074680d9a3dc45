"""The ten domains of need (docs/facts.md): the vocabulary that intake's assessment, a case plan's goals and the
resource directory share, kept in the kernel so that no domain has to import another's models to name one."""

from __future__ import annotations

from django.db import models
from django.utils.translation import pgettext_lazy


class NeedDomain(models.TextChoices):
    """The ten domains of the needs assessment, in their usual order."""

    SAFETY = "safety", pgettext_lazy("need domain", "Safety")
    HEALTH = "health", pgettext_lazy("need domain", "Health")
    DAILY_LIVING = "daily_living", pgettext_lazy("need domain", "Daily living")
    FAMILY = "family", pgettext_lazy("need domain", "Family relations")
    SOCIAL = "social", pgettext_lazy("need domain", "Social relations")
    ECONOMY = "economy", pgettext_lazy("need domain", "Economy")
    EDUCATION = "education", pgettext_lazy("need domain", "Education")
    EMPLOYMENT = "employment", pgettext_lazy("need domain", "Employment")
    LIVING_ENVIRONMENT = "living_environment", pgettext_lazy("need domain", "Living environment")
    RIGHTS = "rights", pgettext_lazy("need domain", "Rights and legal protection")
