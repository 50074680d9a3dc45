from django.urls import path

from dolbom.discovery.views import agreements, imports, learning, outreach, rounds, settings

urlpatterns = [
    path("", outreach.home, name="discovery_home"),
    path("outreach/", outreach.outreach_list, name="outreach_list"),
    path("signals/", imports.signal_files, name="signal_files"),
    path("signals/upload/", imports.upload, name="signal_upload"),
    path("signals/jobs/<int:job_id>/confirm-period/", imports.confirm_period, name="signal_import_confirm"),
    path("signals/<int:file_id>/withdraw/", imports.withdraw, name="signal_withdraw"),
    path("rounds/", rounds.round_list, name="round_list"),
    path("rounds/new/", rounds.new_round, name="round_new"),
    path("rounds/<int:round_id>/", rounds.round_detail, name="round_detail"),
    path("rounds/<int:round_id>/withdraw/", rounds.withdraw, name="round_withdraw"),
    path("models/", learning.model_list, name="model_list"),
    path("models/train/", learning.train, name="model_train"),
    path("models/train-pooled/", learning.train_pooled, name="model_train_pooled"),
    path("models/<int:model_id>/choose/", learning.choose, name="model_choose"),
    path("models/stop-using/", learning.stop_using, name="model_stop_using"),
    path("models/agreements/", agreements.agreement_list, name="agreement_list"),
    path("models/agreements/<int:agreement_id>/end/", agreements.end, name="agreement_end"),
    path("settings/", settings.screening_settings, name="screening_settings"),
]
