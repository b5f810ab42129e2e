//! GraphQL enums for the proto vocabulary, with conversions both ways.
