//! The views of DESIGN.md §5, each a query field that takes an optional `asOf` and
//! answers from the read model (live, or replayed to that time).

pub mod commissioning;
pub mod coverage;
pub mod eager;
pub mod facilitation;
pub mod history;
pub mod inbox;
pub mod organisations;
pub mod page;
pub mod perceptions;
pub mod platforms;
pub mod responsibilities;
pub mod sessions;
pub mod training;

use std::sync::Arc;

use async_graphql::{Context, MergedObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use crate::caller::{Caller, caller};
use crate::error::{GatewayError, Result};
use crate::model::tree::TreeIndex;
use crate::projection::{ModelRef, Projection, ReplayTurn};
use crate::vocabulary::OrganisationKind;

pub use organisations::OrganisationSummary;

#[derive(Debug, MergedObject, Default)]
pub struct QueryRoot(
    Me,
    organisations::OrganisationViews,
    responsibilities::ResponsibilityViews,
    coverage::CoverageViews,
    commissioning::CommissioningViews,
    perceptions::PerceptionViews,
    inbox::InboxViews,
    training::TrainingViews,
    sessions::SessionViews,
    facilitation::FacilitationViews,
    platforms::PlatformViews,
    history::HistoryViews,
);

/// The caller, the model to answer from and the day to answer for: what every view
/// starts with. `asOf` picks the model (the log as it stood then); `onDate` the day (the
/// world on that day as the model knows it), by default the day of `asOf`, or today.
pub(crate) async fn open<'a>(
    ctx: &'a Context<'_>,
    as_of: Option<DateTime<Utc>>,
    on_date: Option<NaiveDate>,
) -> Result<(&'a Caller, ModelRef, NaiveDate)> {
    let caller = caller(ctx)?;
    if let Some(day) = on_date
        && day > Utc::now().date_naive()
    {
        return Err(GatewayError::bad_input(
            "onDate",
            "is in the future: the world on a day is known only once the day has come",
        ));
    }
    let projection = projection(ctx)?;
    let model = match as_of {
        Some(at) => {
            projection
                .as_of_in_turn(at, ctx.data_opt::<ReplayTurn>())
                .await?
        }
        None => projection.live(),
    };
    let date = on_date.unwrap_or_else(|| model.date());
    Ok((caller, model, date))
}

pub(crate) fn projection<'a>(ctx: &'a Context<'_>) -> Result<&'a Arc<Projection>> {
    ctx.data::<Arc<Projection>>()
        .map_err(|_| GatewayError::internal("the schema was built without a projection"))
}

/// The organisation `code` names, or NOT_FOUND naming `field`: how every view reads the
/// area it was asked about.
pub(crate) fn area(index: &TreeIndex, field: &str, code: &str) -> Result<u32> {
    index
        .id(code)
        .ok_or_else(|| GatewayError::NotFound(format!("{field}: no organisation {code}")))
}

/// The duty `id` names, or NOT_FOUND naming `field`.
pub(crate) fn require_duty(model: &crate::model::ReadModel, field: &str, id: &str) -> Result<()> {
    if model.responsibility.duties.contains_key(id) {
        Ok(())
    } else {
        Err(no_duty(field, id))
    }
}

/// NOT_FOUND for a duty nobody defined, naming `field`.
pub(crate) fn no_duty(field: &str, id: &str) -> GatewayError {
    GatewayError::NotFound(format!("{field}: no duty {}", domain::values::excerpt(id)))
}

pub(crate) fn kind_of(kind: i32) -> Option<OrganisationKind> {
    OrganisationKind::from_proto(kind)
}

#[derive(Debug, Default)]
pub struct Me;

/// Who the token says the caller is.
#[derive(Debug, SimpleObject)]
pub struct Identity {
    pub subject: String,
    pub organisation: String,
    pub roles: Vec<String>,
}

#[Object]
impl Me {
    /// Who you are, as your token says: useful to check a token in GraphiQL.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Identity> {
        let caller = caller(ctx)?;
        Ok(Identity {
            subject: caller.principal.subject.clone(),
            organisation: caller.principal.organisation.clone(),
            roles: caller
                .principal
                .roles
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
        })
    }

    /// The position of the last event the views have taken in.
    async fn read_model_position(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        caller(ctx)?;
        Ok(projection(ctx)?.position())
    }
}

/// The level of the tree a view groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum AreaLevel {
    Region,
    Icb,
    SubIcb,
    Pcn,
    Practice,
}

impl AreaLevel {
    pub fn kind(self) -> proto::v1::OrganisationKind {
        use proto::v1::OrganisationKind as K;
        match self {
            Self::Region => K::Region,
            Self::Icb => K::Icb,
            Self::SubIcb => K::SubIcb,
            Self::Pcn => K::Pcn,
            Self::Practice => K::Practice,
        }
    }
}

/// Which tree places a fact: the tree as it stood on the fact's own date (DESIGN.md §5,
/// the default), or today's, to compare areas across a merger. Answers say which.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, async_graphql::Enum)]
pub enum TreeAt {
    /// The tree as it stood on the day of each fact.
    #[default]
    FactDate,
    /// Today's tree for every fact.
    Today,
}

impl TreeAt {
    /// The day whose tree places a fact of a given day. Reads the clock once, not once
    /// per fact: views call it for every record they fold.
    pub fn placer(self) -> impl Fn(NaiveDate) -> NaiveDate {
        let today = Utc::now().date_naive();
        move |day| match self {
            TreeAt::FactDate => day,
            TreeAt::Today => today.max(day),
        }
    }
}

/// `part` as a percentage of `whole` to one decimal place; none when `whole` is 0.
pub(crate) fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// The area a view covers when the caller names none: England for national roles, else
/// the caller's own organisation.
pub(crate) fn default_area(scope: &crate::scope::Scope<'_>, within: Option<String>) -> String {
    match within
        .map(|w| w.trim().to_owned())
        .filter(|w| !w.is_empty())
    {
        Some(within) => within,
        None if scope.is_national() => domain::registry::NATIONAL_CODE.to_owned(),
        None => scope.principal.organisation.clone(),
    }
}
