"""Every write of discovery, one module per activity: outreach (assign, record outcome), signals (import),
rounds (screening), learning (train the model). Import from the module, e.g. `services.outreach.assign_visit`."""
