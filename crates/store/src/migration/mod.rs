//! Schema migrations, in order. They run on `vereda serve` and `vereda migrate`.
//!
//! A migration never changes once released: a later change is a new migration.

use sea_orm_migration::prelude::*;

mod columns;
mod m20261121_000001_foundation;
mod m20261121_000002_reference_data;
mod m20261121_000003_append_only_audit;
mod m20261121_000004_screening;
mod m20261121_000005_formulations;
mod m20261121_000006_monitoring;
mod m20261121_000007_targeting;
mod m20261121_000008_verification;
mod m20261121_000009_committee;
mod m20261121_000010_parcels;
mod m20261121_000011_correspondence;
mod m20261205_000012_award_amounts;
mod m20261205_000013_award_opens_project;
mod m20261205_000014_login_throttle;
mod m20261205_000015_audit_chain;
mod m20261205_000016_account_protection;
mod m20261205_000017_award_obligations;
mod m20261206_000018_api_tokens;
mod m20261207_000019_petitions;
mod m20261207_000020_acts;
mod m20261207_000021_investment_ledger;
mod m20261208_000022_followup;
mod m20261208_000023_durable_jobs;
mod m20261209_000024_verification_acts;
mod m20261209_000025_project_summaries;
mod m20261209_000026_project_language_and_funders;
mod m20261209_000027_letter_facts;
mod m20261210_000028_inbox;
mod m20261210_000030_one_appeal_table;
mod m20261211_000032_household_search;
mod m20261212_000033_list_indexes;
mod m20261213_000034_project_expenditures;
mod m20261213_000035_more_list_indexes;
mod m20261213_000036_bulk_decisions;
mod m20261214_000037_document_and_committee_lists;
mod m20261215_000038_document_receipt_day;
mod m20261215_000039_call_household_counts;
mod m20261216_000040_summary_money;
mod m20261217_000041_result_run_key;
mod m20261218_000042_reason_statistics;
mod m20261218_000043_verification_call;
mod m20261219_000044_household_verification_status;
mod m20261219_000045_document_municipality;
mod m20261220_000046_result_place_by_household;
mod m20261221_000047_person_document_unindexed;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_foundation::Migration),
            Box::new(m20261121_000002_reference_data::Migration),
            Box::new(m20261121_000003_append_only_audit::Migration),
            Box::new(m20261121_000004_screening::Migration),
            Box::new(m20261121_000005_formulations::Migration),
            Box::new(m20261121_000006_monitoring::Migration),
            Box::new(m20261121_000007_targeting::Migration),
            Box::new(m20261121_000008_verification::Migration),
            Box::new(m20261121_000009_committee::Migration),
            Box::new(m20261121_000010_parcels::Migration),
            Box::new(m20261121_000011_correspondence::Migration),
            Box::new(m20261205_000012_award_amounts::Migration),
            Box::new(m20261205_000013_award_opens_project::Migration),
            Box::new(m20261205_000014_login_throttle::Migration),
            Box::new(m20261205_000015_audit_chain::Migration),
            Box::new(m20261205_000016_account_protection::Migration),
            Box::new(m20261205_000017_award_obligations::Migration),
            Box::new(m20261206_000018_api_tokens::Migration),
            Box::new(m20261207_000019_petitions::Migration),
            Box::new(m20261207_000020_acts::Migration),
            Box::new(m20261207_000021_investment_ledger::Migration),
            Box::new(m20261208_000022_followup::Migration),
            Box::new(m20261208_000023_durable_jobs::Migration),
            Box::new(m20261209_000024_verification_acts::Migration),
            Box::new(m20261209_000025_project_summaries::Migration),
            Box::new(m20261209_000026_project_language_and_funders::Migration),
            Box::new(m20261209_000027_letter_facts::Migration),
            Box::new(m20261210_000028_inbox::Migration),
            Box::new(m20261210_000030_one_appeal_table::Migration),
            Box::new(m20261211_000032_household_search::Migration),
            Box::new(m20261212_000033_list_indexes::Migration),
            Box::new(m20261213_000034_project_expenditures::Migration),
            Box::new(m20261213_000035_more_list_indexes::Migration),
            Box::new(m20261213_000036_bulk_decisions::Migration),
            Box::new(m20261214_000037_document_and_committee_lists::Migration),
            Box::new(m20261215_000038_document_receipt_day::Migration),
            Box::new(m20261215_000039_call_household_counts::Migration),
            Box::new(m20261216_000040_summary_money::Migration),
            Box::new(m20261217_000041_result_run_key::Migration),
            Box::new(m20261218_000042_reason_statistics::Migration),
            Box::new(m20261218_000043_verification_call::Migration),
            Box::new(m20261219_000044_household_verification_status::Migration),
            Box::new(m20261219_000045_document_municipality::Migration),
            Box::new(m20261220_000046_result_place_by_household::Migration),
            Box::new(m20261221_000047_person_document_unindexed::Migration),
        ]
    }
}
