//! Rows resolved in one synchronous walk of the selection.
//!
//! async-graphql resolves an object by boxing one future per selected field and joining
//! them. For a page of a thousand coverage rows, each with a dozen fields, that
//! bookkeeping costs more than computing the answer. A row type whose every field is
//! already a value (no resolver, no context, no error) can instead build its `Value`
//! directly. `Eagerly<T>` is such a row in a list or a page: its schema is `T`'s own
//! (derived as usual), and only its resolution differs.
//!
//! The walk keeps the answer the derived resolver gives: response keys (aliases), fragment
//! spreads and inline fragments by type condition, `__typename`, and fields that share a
//! response key merged into one object. `@skip` and `@include` are applied by
//! async-graphql before execution starts. The tests compare both resolvers on every field
//! the schema declares.

use std::borrow::Cow;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection};
use async_graphql::registry::Registry;
use async_graphql::{
    ContextSelectionSet, Name, OutputType, Positioned, ScalarType, ServerError, ServerResult, Value,
};
use chrono::{DateTime, NaiveDate, Utc};

/// A value that knows its whole answer, so it can resolve without a future per field.
pub trait Eager: Send + Sync {
    /// This value as the selection set of `ctx` asks for it.
    fn eager(&self, ctx: &ContextSelectionSet<'_>) -> ServerResult<Value>;
}

/// `T` resolved eagerly wherever the schema holds it; `T` still declares the type.
#[derive(Debug, Clone)]
pub struct Eagerly<T>(pub T);

impl<T> std::ops::Deref for Eagerly<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: OutputType + Eager> OutputType for Eagerly<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        _field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        self.0.eager(ctx)
    }
}

/// An object of type `type_name` whose field of each name is `field(name)`.
pub fn object<'s>(
    ctx: &ContextSelectionSet<'_>,
    type_name: &str,
    field: &dyn Fn(&str) -> Option<&'s dyn Eager>,
) -> ServerResult<Value> {
    let mut answer = IndexMap::new();
    collect(ctx, type_name, field, &mut answer)?;
    Ok(Value::Object(answer))
}

fn collect<'s>(
    ctx: &ContextSelectionSet<'_>,
    type_name: &str,
    field: &dyn Fn(&str) -> Option<&'s dyn Eager>,
    answer: &mut IndexMap<Name, Value>,
) -> ServerResult<()> {
    for selection in &ctx.item.node.items {
        let (condition, selection_set) = match &selection.node {
            Selection::Field(selected) => {
                let name = selected.node.name.node.as_str();
                let value = if name == "__typename" {
                    Value::String(type_name.to_owned())
                } else {
                    let Some(child) = field(name) else {
                        return Err(ServerError::new(
                            format!(r#"Cannot query field "{name}" on type "{type_name}"."#),
                            Some(selected.pos),
                        ));
                    };
                    let ctx_field = ctx.with_field(selected);
                    child.eager(&ctx_field.with_selection_set(&selected.node.selection_set))?
                };
                merge(answer, selected.node.response_key().node.clone(), value);
                continue;
            }
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                let Some(fragment) = ctx.query_env.fragments.get(name) else {
                    return Err(ServerError::new(
                        format!(r#"Unknown fragment "{name}"."#),
                        Some(spread.pos),
                    ));
                };
                (
                    Some(&fragment.node.type_condition),
                    &fragment.node.selection_set,
                )
            }
            Selection::InlineFragment(inline) => (
                inline.node.type_condition.as_ref(),
                &inline.node.selection_set,
            ),
        };
        // These rows are objects that implement no interface: a fragment applies when it
        // names the type itself, or no type.
        if condition.is_none_or(|c| c.node.on.node == type_name) {
            collect(
                &ctx.with_selection_set(selection_set),
                type_name,
                field,
                answer,
            )?;
        }
    }
    Ok(())
}

/// Two fields with one response key give one entry: objects are merged field by field
/// (and lists of objects item by item), as async-graphql does.
fn merge(answer: &mut IndexMap<Name, Value>, key: Name, value: Value) {
    match answer.get_mut(&key) {
        None => {
            answer.insert(key, value);
        }
        Some(Value::Object(before)) => {
            if let Value::Object(more) = value {
                for (key, value) in more {
                    merge(before, key, value);
                }
            }
        }
        Some(Value::List(before)) => {
            if let Value::List(more) = value {
                for (item, value) in before.iter_mut().zip(more) {
                    if let (Value::Object(item), Value::Object(more)) = (item, value) {
                        for (key, value) in more {
                            merge(item, key, value);
                        }
                    }
                }
            }
        }
        Some(_) => {}
    }
}

impl<T: Eager> Eager for Vec<T> {
    fn eager(&self, ctx: &ContextSelectionSet<'_>) -> ServerResult<Value> {
        self.iter()
            .map(|item| item.eager(ctx))
            .collect::<ServerResult<_>>()
            .map(Value::List)
    }
}

impl<T: Eager> Eager for Option<T> {
    fn eager(&self, ctx: &ContextSelectionSet<'_>) -> ServerResult<Value> {
        self.as_ref()
            .map_or(Ok(Value::Null), |value| value.eager(ctx))
    }
}

/// Scalars answer as their `ScalarType` says, whatever the selection.
macro_rules! eager_scalar {
    ($($ty:ty),* $(,)?) => {$(
        impl Eager for $ty {
            fn eager(&self, _: &ContextSelectionSet<'_>) -> ServerResult<Value> {
                Ok(ScalarType::to_value(self))
            }
        }
    )*};
}
eager_scalar!(String, bool, i32, u32, usize, f64, DateTime<Utc>, NaiveDate);

/// Enums answer with their GraphQL item name.
macro_rules! eager_enum {
    ($($ty:ty),* $(,)?) => {$(
        impl $crate::views::eager::Eager for $ty {
            fn eager(
                &self,
                _: &async_graphql::ContextSelectionSet<'_>,
            ) -> async_graphql::ServerResult<async_graphql::Value> {
                Ok(async_graphql::resolver_utils::enum_value(*self))
            }
        }
    )*};
}
pub(crate) use eager_enum;

// The read model's own enums, which the API shows as they are (vocabulary enums get
// theirs where they are declared).
eager_enum!(
    crate::model::coverage::CoverageFlag,
    crate::model::responsibility::AssignmentStatus,
);

/// An object type resolved eagerly: each GraphQL field name beside the Rust field that
/// holds it. Every field the type declares must be listed (the tests check this).
macro_rules! eager_object {
    ($ty:ty { $($name:literal => $field:ident),* $(,)? }) => {
        impl $crate::views::eager::Eager for $ty {
            fn eager(
                &self,
                ctx: &async_graphql::ContextSelectionSet<'_>,
            ) -> async_graphql::ServerResult<async_graphql::Value> {
                $crate::views::eager::object(
                    ctx,
                    &<$ty as async_graphql::OutputType>::type_name(),
                    &|name| -> Option<&dyn $crate::views::eager::Eager> {
                        match name {
                            $($name => Some(&self.$field),)*
                            _ => None,
                        }
                    },
                )
            }
        }
    };
}
pub(crate) use eager_object;

#[cfg(test)]
mod tests;
