//! The schema: queries (views), mutations (commands), the `events` subscription, and the
//! limits that keep a hostile query from taking the gateway down.

use std::sync::Arc;

use async_graphql::Schema;

use crate::mutation::MutationRoot;
use crate::projection::Projection;
use crate::services::DomainEndpoints;
use crate::subscription::SubscriptionRoot;
use crate::views::QueryRoot;

/// How deep a query may nest.
pub const MAX_DEPTH: usize = 12;
/// The most a query may cost: each field costs 1, lists cost their page size times
/// their contents (a page of 500 organisations with 50 children each fits).
pub const MAX_COMPLEXITY: usize = 50_000;

pub type DifactoSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema with no data attached: for `difacto schema` (the SDL) and tests.
pub fn builder() -> async_graphql::SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .limit_recursive_depth(32)
    .limit_directives(16)
}

/// The schema served: views answer from `projection`, mutations go to `services`.
pub fn build(projection: Arc<Projection>, services: DomainEndpoints) -> DifactoSchema {
    builder().data(projection).data(services).finish()
}

/// The SDL, exactly as served.
pub fn sdl() -> String {
    builder().finish().sdl()
}
