//! wagate's integration tests: one binary (linking once is what costs time on 2 cores), one
//! module per area. Each test starts real servers over real HTTP on `127.0.0.1:0` with a fresh
//! SQLite file — and, when `WAGATE_TEST_POSTGRES_URL` is set, the same test again on a fresh
//! PostgreSQL schema. `process` runs the real `wagate` binary.
//!
//! Set `TEST_LOG=1` to see the servers' logs.

mod helpers;
mod network;

mod access;
mod analytics;
mod api_keys;
mod audit_log;
mod auth;
mod backup;
mod business_encryption;
mod campaign_cli;
mod campaigns;
mod catalogs;
mod channels;
mod cloud;
mod cloud_analytics;
mod cloud_upstream;
mod conformance_suite;
mod console;
mod contact_imports;
mod contacts;
mod dialects;
mod flows;
mod fuzz_cloud;
mod fuzz_regressions;
mod groups;
mod httpapi;
mod idempotency;
mod interactive_extra;
mod lifecycle;
mod media;
mod media_from;
mod media_network;
mod media_s3;
mod messagecentral;
mod messages;
mod onemsg;
mod phone_events;
mod phone_settings;
mod policy;
mod probes;
mod process;
mod profile;
mod qr_codes;
mod rate_limits;
mod receiver;
mod redington;
mod registration;
mod reports;
mod sdk;
mod sdk_media;
mod sdk_receivers;
mod sdk_templates;
mod secrets_at_rest;
mod template_extras;
mod template_quality;
mod template_sends;
mod templates;
mod uploads;
mod wallet;
mod webhook_shapes;
mod webhook_trust;
mod webhooks;
mod workers;
mod woztell;
mod woztell_cloud;
mod woztell_signed;
