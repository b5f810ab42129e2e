//! Mutations: one per command of DESIGN.md §9, forwarded to the owning domain service.

#[derive(Debug, Default, async_graphql::MergedObject)]
pub struct MutationRoot(Placeholder);

#[derive(Debug, Default)]
pub struct Placeholder;

#[async_graphql::Object]
impl Placeholder {
    async fn noop(&self) -> bool {
        false
    }
}
