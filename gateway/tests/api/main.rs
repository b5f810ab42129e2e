//! The gateway's own tests against an in-process schema or server, one module per
//! concern: one test binary, linked once. The fuzzing harness stays a binary of its own
//! (`--test fuzz`), to be run long on its own.

mod support_mut;
mod world;

mod delivery;
mod demo_year;
mod graphql;
mod hostile;
mod http;
mod inbox;
mod mutations;
mod upcast;
mod views_match;
mod web;
mod web_commissioner;
mod web_pages;
mod web_partner;
mod web_practice;
mod web_provider;
mod web_staff;
