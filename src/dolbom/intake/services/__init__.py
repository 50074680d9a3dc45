"""Every write of intake, one module per activity: referrals (file, answer, link a household), work (the worklist:
assign, record visits, close), consultations (the initial consultation, the needs assessment, the decision). Import
from the module, e.g. `services.work.record_visit`."""
