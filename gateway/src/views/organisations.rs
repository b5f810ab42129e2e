//! The organisation tree: `organisation(code)` with its children, and `organisations`.

use async_graphql::{ComplexObject, Context, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use domain::registry::Organisation as Org;

use super::eager::eager_object;
use super::page::{Page, PageArgs, page_cost};
use super::{kind_of, open};
use crate::error::{GatewayError, Result};
use crate::model::ReadModel;
use crate::model::tree::TreeIndex;
use crate::projection::ModelRef;
use crate::vocabulary::OrganisationKind;

/// An organisation in a list: enough to name it.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
pub struct OrganisationSummary {
    pub code: String,
    pub name: String,
    pub kind: Option<OrganisationKind>,
}

eager_object!(OrganisationSummary {
    "code" => code,
    "name" => name,
    "kind" => kind,
});

impl OrganisationSummary {
    pub fn of(model: &ReadModel, code: &str) -> Self {
        match model.tree.get(code) {
            Some(org) => Self {
                code: org.code.clone(),
                name: org.name.clone(),
                kind: kind_of(org.kind as i32),
            },
            None => Self {
                code: code.to_owned(),
                name: String::new(),
                kind: None,
            },
        }
    }
}

/// An organisation as the tree stood on `date`.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Organisation {
    pub code: String,
    pub name: String,
    pub kind: Option<OrganisationKind>,
    /// The parent on the date asked about (the successor, after a merger).
    pub parent: Option<OrganisationSummary>,
    /// Everything above it, nearest first, up to NHS England.
    pub ancestors: Vec<OrganisationSummary>,
    pub active: bool,
    pub registered_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub merged_into: Option<String>,
    /// Partners and providers: the areas they cover.
    pub covers: Vec<String>,
    pub postcode_district: String,
    #[graphql(skip)]
    model: ModelRef,
    #[graphql(skip)]
    date: NaiveDate,
}

impl std::fmt::Debug for Organisation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Organisation")
            .field("code", &self.code)
            .field("date", &self.date)
            .finish_non_exhaustive()
    }
}

impl Organisation {
    fn build(
        model: &ReadModel,
        index: &TreeIndex,
        org: &Org,
        at: &ModelRef,
        date: NaiveDate,
    ) -> Self {
        let ancestors: Vec<OrganisationSummary> = index
            .lineage_of(&org.code, date)
            .iter()
            .skip(1)
            .map(|id| OrganisationSummary::of(model, index.code(*id)))
            .filter(|a| {
                model
                    .tree
                    .get(&a.code)
                    .is_some_and(|o| o.is_active_on(date))
            })
            .collect();
        Self {
            code: org.code.clone(),
            name: org.name.clone(),
            kind: kind_of(org.kind as i32),
            parent: ancestors.first().cloned(),
            ancestors,
            active: org.is_active_on(date),
            registered_on: org.registered_on,
            closed_on: org.closed_on,
            merged_into: org.merged_into.as_ref().map(|(code, _)| code.clone()),
            covers: org.covers.clone(),
            postcode_district: org.postcode_district.clone(),
            model: at.clone(),
            date,
        }
    }
}

/// The active organisations whose nearest active ancestor on `date` is `parent`, so
/// that after a merger the predecessors' subtrees appear under the successor.
pub fn children(
    model: &ReadModel,
    index: &TreeIndex,
    parent: &str,
    date: NaiveDate,
) -> Vec<String> {
    let Some(parent_id) = index.id(parent) else {
        return Vec::new();
    };
    let active = |id: u32| {
        model
            .tree
            .get(index.code(id))
            .is_some_and(|o| o.is_active_on(date))
    };
    index
        .all_of(None)
        .filter(|id| *id != parent_id && active(*id))
        .filter(|id| {
            index
                .lineage(*id, date)
                .iter()
                .skip(1)
                .copied()
                .find(|a| active(*a))
                == Some(parent_id)
        })
        .map(|id| index.code(id).to_owned())
        .collect()
}

#[ComplexObject]
impl Organisation {
    /// The organisations directly below it on the date asked about.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn children(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Page<OrganisationSummary>> {
        let args = PageArgs::new(after, before, first, last);
        Ok(self.model.read(|model| {
            let index = model.tree.index();
            let codes = children(model, &index, &self.code, self.date);
            args.page_with(codes.len(), |range| {
                codes[range]
                    .iter()
                    .map(|c| OrganisationSummary::of(model, c))
                    .collect()
            })
        })?)
    }
}

#[derive(Debug, Default)]
pub struct OrganisationViews;

#[Object]
impl OrganisationViews {
    /// One organisation by its code (ODS code, or `P-…`/`V-…` for partners and providers).
    async fn organisation(
        &self,
        ctx: &Context<'_>,
        code: String,
        as_of: Option<DateTime<Utc>>,
        on_date: Option<NaiveDate>,
    ) -> async_graphql::Result<Organisation> {
        let (_, at, date) = open(ctx, as_of, on_date).await?;
        Ok(at.read(|model| -> Result<Organisation> {
            let org = model
                .tree
                .get(code.trim())
                .ok_or_else(|| GatewayError::NotFound(format!("code: no organisation {code}")))?;
            Ok(Organisation::build(
                model,
                &model.tree.index(),
                org,
                &at,
                date,
            ))
        })?)
    }

    /// Organisations of one kind, optionally within an area and matching a search of
    /// code or name, in code order.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        kind: OrganisationKind,
        within: Option<String>,
        search: Option<String>,
        #[graphql(default = false)] include_closed: bool,
        as_of: Option<DateTime<Utc>>,
        on_date: Option<NaiveDate>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> async_graphql::Result<Page<Organisation>> {
        let (_, at, date) = open(ctx, as_of, on_date).await?;
        let args = PageArgs::new(after, before, first, last);
        let search = search
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty());
        Ok(at.read(|model| -> Result<Page<Organisation>> {
            let index = model.tree.index();
            let within = match within.as_deref().map(str::trim) {
                Some(code) => Some(super::area(&index, "within", code)?),
                None => None,
            };
            let matches: Vec<&Org> = index
                .all_of(Some(kind.into()))
                .filter(|id| within.is_none_or(|area| index.lineage(*id, date).contains(&area)))
                .filter_map(|id| model.tree.get(index.code(id)))
                .filter(|org| include_closed || org.is_active_on(date))
                .filter(|org| {
                    search.as_ref().is_none_or(|s| {
                        org.code.to_lowercase().contains(s) || org.name.to_lowercase().contains(s)
                    })
                })
                .collect();
            args.page_with(matches.len(), |range| {
                matches[range]
                    .iter()
                    .map(|org| Organisation::build(model, &index, org, &at, date))
                    .collect()
            })
        })?)
    }
}
