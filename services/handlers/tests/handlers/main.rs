//! The four services over real gRPC in-process, one module per service, and `authz`, the
//! authorisation matrix generated from the policy: one test binary, linked once.

mod support;

mod authz;
mod commissioning;
mod icb;
mod partner;
mod practice;
mod provider;
