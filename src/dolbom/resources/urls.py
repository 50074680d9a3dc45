from django.urls import path

from dolbom.resources.views import directory, donations, foodbank, receipts, volunteers

urlpatterns = [
    path("", directory.directory, name="resources_directory"),
    path("services/new/", directory.service_new, name="resources_service_new"),
    path("services/<int:service_id>/", directory.service_detail, name="resources_service"),
    path("services/<int:service_id>/edit/", directory.service_edit, name="resources_service_edit"),
    path("providers/new/", directory.organization_new, name="resources_organization_new"),
    path("agreements/", directory.agreements, name="resources_agreements"),
    path("agreements/new/", directory.agreement_new, name="resources_agreement_new"),
    path("hsds/", directory.hsds_exchange, name="resources_hsds"),
    path("hsds/export/", directory.hsds_export, name="resources_hsds_export"),
]

# The donations ledger (후원금품), per district.
urlpatterns += [
    path("donations/", donations.ledger, name="resources_ledger"),
    path("donations/new/", donations.donation_new, name="resources_donation_new"),
    path("donations/<int:donation_id>/correct/", donations.donation_reverse, name="resources_donation_reverse"),
    path("donations/<int:donation_id>/receipt/", receipts.donation_receipt, name="resources_donation_receipt"),
    path("donations/<int:donation_id>/receipt.pdf", receipts.receipt_pdf, name="resources_receipt_pdf"),
    path("donors/new/", donations.donor_new, name="resources_donor_new"),
    path("donors/<int:donor_id>/", receipts.donor_detail, name="resources_donor"),
    path("donors/<int:donor_id>/legal/", receipts.donor_legal, name="resources_donor_legal"),
    path("donors/<int:donor_id>/reveal/", receipts.donor_reveal, name="resources_donor_reveal"),
    path("allocations/new/", donations.allocation_new, name="resources_allocation_new"),
    path("allocations/<int:allocation_id>/correct/", donations.allocation_reverse, name="resources_allocation_reverse"),
    path("sponsorships/new/", donations.sponsorship_new, name="resources_sponsorship_new"),
    path("sponsorships/pay/", donations.sponsorships_pay, name="resources_sponsorships_pay"),
]

# The food bank and market (푸드뱅크·푸드마켓).
urlpatterns += [
    path("food-bank/", foodbank.food_bank, name="resources_food_bank"),
    path("food-bank/stock/", foodbank.stock_new, name="resources_stock_new"),
    path("food-bank/give/", foodbank.give, name="resources_give"),
    path(
        "food-bank/movements/<int:distribution_id>/correct/",
        foodbank.distribution_reverse,
        name="resources_distribution_reverse",
    ),
]

# Volunteers (자원봉사).
urlpatterns += [
    path("volunteers/", volunteers.volunteer_list, name="resources_volunteers"),
    path("volunteers/new/", volunteers.volunteer_new, name="resources_volunteer_new"),
    path("volunteers/<int:volunteer_id>/hours/", volunteers.hours_new, name="resources_volunteer_hours"),
    path("volunteers/export/", volunteers.portal_export, name="resources_volunteer_export"),
]
