//! The schema: queries (views), mutations (commands), the `events` subscription, and the
//! limits that keep a hostile query from taking the gateway down.

use async_graphql::{EmptySubscription, Object, Schema};

use crate::mutation::MutationRoot;

#[derive(Debug, Default)]
pub struct QueryRoot;

#[Object]
impl QueryRoot {
    async fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }
}

pub type DifactoSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

pub fn build() -> DifactoSchema {
    Schema::build(QueryRoot, MutationRoot::default(), EmptySubscription).finish()
}
