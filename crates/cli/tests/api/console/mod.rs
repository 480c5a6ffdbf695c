//! The web console: HTTP-level tests per section (real server, real cookies and forms), and
//! `browser`, which drives Debian's chromium through the stories in `conformance/console/`.

mod browser;
mod campaigns;
mod contacts;
mod inbox;
mod numbers;
mod phone;
mod session;
mod settings;
mod templates;
mod webhooks;
