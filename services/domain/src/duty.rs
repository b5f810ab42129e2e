//! The duty catalogue (stream `duty-<id>`): what must be owned, and at which levels.

use difacto_proto::v1::{DefineDutyRequest, DutyDefined, DutyRetired, Level, RetireDutyRequest};
use uuid::Uuid;

use crate::aggregate::{Aggregate, Context};
use crate::error::{DomainError, Result};
use crate::policy::authorize;
use crate::registry::NATIONAL_CODE;
use crate::values;

crate::event_set! {
    pub enum DutyEvent { DutyDefined, DutyRetired }
}

pub fn stream(id: &Uuid) -> String {
    format!("duty-{id}")
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Duty {
    pub id: Option<Uuid>,
    pub title: String,
    pub required_levels: Vec<Level>,
    pub retired: bool,
}

impl Aggregate for Duty {
    type Event = DutyEvent;
    fn apply(&mut self, event: &DutyEvent) {
        match event {
            DutyEvent::DutyDefined(e) => {
                self.id = Uuid::try_parse(&e.duty_id).ok();
                self.title = e.title.clone();
                self.required_levels = e.required_levels().collect();
            }
            DutyEvent::DutyRetired(_) => self.retired = true,
        }
    }
}

impl Duty {
    pub fn define(
        &self,
        id: Uuid,
        request: DefineDutyRequest,
        ctx: &Context,
    ) -> Result<Vec<DutyEvent>> {
        let title = values::text("title", &request.title, 200)?;
        let description = values::optional_text("description", &request.description, 4000)?;
        let levels: Vec<Level> =
            values::known_enums("required_levels", &request.required_levels, true)?;
        authorize(
            &ctx.actor,
            "DefineDuty",
            &[NATIONAL_CODE],
            &ctx.registry,
            ctx.today(),
        )?;
        if self.id.is_some() {
            return Err(DomainError::exists("duty_id", "duty", id.to_string()));
        }
        Ok(vec![
            DutyDefined {
                duty_id: id.to_string(),
                title,
                description,
                required_levels: levels.into_iter().map(i32::from).collect(),
            }
            .into(),
        ])
    }

    pub fn retire(&self, request: RetireDutyRequest, ctx: &Context) -> Result<Vec<DutyEvent>> {
        let reason = values::optional_text("reason", &request.reason, 1000)?;
        authorize(
            &ctx.actor,
            "RetireDuty",
            &[NATIONAL_CODE],
            &ctx.registry,
            ctx.today(),
        )?;
        let id = self.require_live("duty_id", &request.duty_id)?;
        Ok(vec![
            DutyRetired {
                duty_id: id.to_string(),
                reason,
            }
            .into(),
        ])
    }

    /// This duty's id, if it is defined and not retired.
    pub fn require_live(&self, field: &str, requested: &str) -> Result<Uuid> {
        let id = self
            .id
            .ok_or_else(|| DomainError::not_found(field, "duty", requested))?;
        if self.retired {
            return Err(DomainError::precondition(
                field,
                format!("duty {id} is retired"),
            ));
        }
        Ok(id)
    }
}
