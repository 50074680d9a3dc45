"""What discovery tells the domains downstream of it, without importing them: a domain that works on discovery's
results (intake's worklist) connects a receiver in its AppConfig.ready(). Receivers run inside the transaction of
the change, so that the change and what it sets off land together or not at all."""

from django.dispatch import Signal

# A round wrote its lists: `round_id`. Sent inside the transaction that writes the items.
round_listed = Signal()
