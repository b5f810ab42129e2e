//! The schema: queries (views), mutations (commands), the `events` subscription, and the
//! limits that keep a hostile query from taking the gateway down (priced in `cost`).

use std::sync::Arc;

use async_graphql::{Schema, SchemaBuilder};

use crate::mutation::MutationRoot;
use crate::projection::Projection;
use crate::services::DomainEndpoints;
use crate::subscription::SubscriptionRoot;
use crate::views::QueryRoot;

pub mod cost;

pub use cost::{MAX_COMPLEXITY, MAX_DEPTH, MAX_REPLAYS};

pub type DifactoSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema with no data attached: for `difacto schema` (the SDL) and tests. Depth,
/// complexity and replays are priced by [`cost::CostControl`] (introspection apart
/// from the views, so that GraphiQL's standard query fits); the parser's own bounds
/// stay as a first line.
pub fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    let pricing = cost::shared(|| bare().finish().sdl());
    bare().extension(pricing)
}

fn bare() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
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
