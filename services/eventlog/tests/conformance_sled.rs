//! The sled backend against the shared conformance suite.

use eventlog::conformance::ScratchSled;

eventlog::conformance_suite!(ScratchSled);
