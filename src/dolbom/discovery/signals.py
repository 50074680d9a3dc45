"""What discovery tells the domains downstream of it, without importing them: a domain that works on discovery's
results (intake's worklist) connects a receiver in its AppConfig.ready(). Receivers run inside the transaction of
the change, so that the change and what it sets off land together or not at all."""

from django.dispatch import Signal

# A round wrote its lists: `round_id`. Sent inside the transaction that writes the items.
round_listed = Signal()

# A round was withdrawn before any visit was assigned from it: `round_id`. Its listings are on no list any more.
round_withdrawn = Signal()

# A round screened with the learned model asks which households of its district have an open referral:
# `district_code`. Each receiver answers with household ids only (nothing else of the referral): the round marks
# them as candidates for its reserved share (screening.reserve).
referred_households = Signal()

# A round asks which households another domain has in care (an open integrated case): `district_code`. Each
# receiver answers with household ids only, of any district (the round keeps those of its own): the round leaves them
# out of its lists, as it does households whose visit from an earlier round is assigned and open.
cared_for_households = Signal()
