//! Relay connections for every list: `edges`, `nodes`, `pageInfo` and `totalCount`,
//! with a bound on page size so no query can ask for everything at once.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{OutputType, SimpleObject};

use crate::error::{GatewayError, Result};

/// The most nodes one page may hold.
pub const MAX_PAGE: usize = 500;
/// The page size when the query names none.
pub const DEFAULT_PAGE: usize = 50;

#[derive(Debug, Clone, Copy, SimpleObject)]
pub struct Counted {
    /// How many nodes the whole list holds, across every page.
    pub total_count: usize,
}

pub type Page<T> = Connection<usize, T, Counted, EmptyFields>;

/// What a list field costs against the schema's complexity limit: its page size times
/// what each node costs, so a query cannot multiply pages by aliases or nesting.
pub fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first
        .or(last)
        .map_or(DEFAULT_PAGE, |n| n.clamp(1, MAX_PAGE as i32) as usize);
    size.saturating_mul(child_complexity.max(1))
}

/// The four Relay arguments, as every list field takes them.
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    pub after: Option<String>,
    pub before: Option<String>,
    pub first: Option<i32>,
    pub last: Option<i32>,
}

impl PageArgs {
    pub fn new(
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Self {
        Self {
            after,
            before,
            first,
            last,
        }
    }

    /// The slice of a list of `total` items this page covers.
    pub fn range(&self, total: usize) -> Result<std::ops::Range<usize>> {
        let cursor = |field: &str, value: &Option<String>| -> Result<Option<usize>> {
            value
                .as_deref()
                .map(|v| {
                    v.parse::<usize>().map_err(|_| {
                        GatewayError::bad_input(field, "is not a cursor this list handed out")
                    })
                })
                .transpose()
        };
        let size = |field: &str, value: Option<i32>| -> Result<Option<usize>> {
            match value {
                None => Ok(None),
                Some(n) if n < 0 => Err(GatewayError::bad_input(field, "must not be negative")),
                Some(n) if n as usize > MAX_PAGE => Err(GatewayError::bad_input(
                    field,
                    format!("at most {MAX_PAGE} per page; use `after` to read on"),
                )),
                Some(n) => Ok(Some(n as usize)),
            }
        };
        let after = cursor("after", &self.after)?;
        let before = cursor("before", &self.before)?;
        let first = size("first", self.first)?;
        let last = size("last", self.last)?;
        let mut start = after.map_or(0, |a| a.saturating_add(1)).min(total);
        let mut end = before.unwrap_or(total).min(total).max(start);
        match (first, last) {
            (Some(first), _) => end = end.min(start + first),
            (None, Some(last)) => start = start.max(end.saturating_sub(last)),
            (None, None) => end = end.min(start + DEFAULT_PAGE),
        }
        if let (Some(_), Some(last)) = (first, last) {
            start = start.max(end.saturating_sub(last));
        }
        Ok(start..end)
    }

    /// A page of `items` (the whole list, already filtered and ordered).
    pub fn page<T: OutputType>(&self, items: Vec<T>) -> Result<Page<T>> {
        let total = items.len();
        let range = self.range(total)?;
        let (start, end) = (range.start, range.end);
        Ok(Self::connection(
            start,
            end,
            total,
            items.into_iter().skip(start).take(end - start),
        ))
    }

    /// A page built from a list known only by its length, fetching just the page's nodes.
    pub fn page_with<T: OutputType>(
        &self,
        total: usize,
        fetch: impl FnOnce(std::ops::Range<usize>) -> Vec<T>,
    ) -> Result<Page<T>> {
        let range = self.range(total)?;
        let (start, end) = (range.start, range.end);
        Ok(Self::connection(start, end, total, fetch(range)))
    }

    fn connection<T: OutputType>(
        start: usize,
        end: usize,
        total: usize,
        nodes: impl IntoIterator<Item = T>,
    ) -> Page<T> {
        let mut connection = Connection::with_additional_fields(
            start > 0,
            end < total,
            Counted { total_count: total },
        );
        connection.edges.extend(
            nodes
                .into_iter()
                .enumerate()
                .map(|(i, node)| Edge::new(start + i, node)),
        );
        connection
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(after: Option<usize>, first: Option<i32>, last: Option<i32>) -> PageArgs {
        PageArgs::new(after.map(|a| a.to_string()), None, first, last)
    }

    #[test]
    fn pages_walk_the_list_without_gaps_or_overlap() {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let range = args(after, Some(7), None).range(30).expect("range");
            if range.is_empty() {
                break;
            }
            seen.extend(range.clone());
            after = Some(range.end - 1);
        }
        assert_eq!(seen, (0..30).collect::<Vec<_>>());
    }

    #[test]
    fn defaults_last_and_limits() {
        assert_eq!(
            args(None, None, None).range(1_000).expect("r"),
            0..DEFAULT_PAGE
        );
        assert_eq!(args(None, None, Some(5)).range(30).expect("r"), 25..30);
        assert_eq!(args(Some(40), Some(5), None).range(30).expect("r"), 30..30);
        let err = args(None, Some(501), None).range(30).expect_err("too big");
        assert_eq!(err.code(), "BAD_USER_INPUT");
        assert!(err.message().starts_with("first:"));
        let bad = PageArgs::new(Some("abc".into()), None, None, None).range(3);
        assert!(bad.is_err());
    }
}
