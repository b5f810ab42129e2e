//! Who is responsible for what (stream `assignment-<id>`): a proposal becomes a commitment
//! only when the assignee accepts it. Attributions (stream `attribution-<id>`) record who an
//! organisation *believes* owns a duty, kept apart from commitments so that views can show
//! where belief and commitment disagree. A second accepted Accountable for the same duty,
//! area and level is recorded, not refused: the views flag it as contested.

use proto::v1::{
    AcceptResponsibilityRequest, AttributeResponsibilityRequest, DeclineResponsibilityRequest,
    EndResponsibilityRequest, Level, ProposeResponsibilityRequest, RaciRole,
    ResponsibilityAccepted, ResponsibilityAttributed, ResponsibilityDeclined, ResponsibilityEnded,
    ResponsibilityProposed,
};
use uuid::Uuid;

use crate::aggregate::{Aggregate, Context};
use crate::codes;
use crate::command::Command;
use crate::duty::Duty;
use crate::error::{DomainError, Result};
use crate::policy::{Party, Targets, authorize};
use crate::values;

crate::event_set! {
    pub enum AssignmentEvent {
        ResponsibilityProposed,
        ResponsibilityAccepted,
        ResponsibilityDeclined,
        ResponsibilityEnded,
    }
}

crate::event_set! {
    pub enum AttributionEvent { ResponsibilityAttributed }
}

pub fn assignment_stream(id: &Uuid) -> String {
    format!("assignment-{id}")
}

pub fn attribution_stream(id: &Uuid) -> String {
    format!("attribution-{id}")
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Status {
    #[default]
    None,
    Proposed,
    Accepted,
    Declined,
    Ended,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Assignment {
    pub status: Status,
    pub duty_id: String,
    pub area_code: String,
    pub level: Level,
    pub assignee_code: String,
    pub role: RaciRole,
}

impl Aggregate for Assignment {
    type Event = AssignmentEvent;
    fn apply(&mut self, event: &AssignmentEvent) {
        match event {
            AssignmentEvent::ResponsibilityProposed(e) => {
                *self = Self {
                    status: Status::Proposed,
                    duty_id: e.duty_id.clone(),
                    area_code: e.area_code.clone(),
                    level: e.level(),
                    assignee_code: e.assignee_code.clone(),
                    role: e.role(),
                };
            }
            AssignmentEvent::ResponsibilityAccepted(_) => self.status = Status::Accepted,
            AssignmentEvent::ResponsibilityDeclined(_) => self.status = Status::Declined,
            AssignmentEvent::ResponsibilityEnded(_) => self.status = Status::Ended,
        }
    }
}

impl Assignment {
    pub fn propose(
        &self,
        id: Uuid,
        request: ProposeResponsibilityRequest,
        duty: &Duty,
        ctx: &Context,
    ) -> Result<Vec<AssignmentEvent>> {
        let duty_id = values::id("duty_id", &request.duty_id)?;
        let area = codes::reference("area_code", &request.area_code)?;
        let assignee = codes::reference("assignee_code", &request.assignee_code)?;
        let level: Level = values::known_enum("level", request.level)?;
        let role: RaciRole = values::known_enum("role", request.role)?;
        let note = values::optional_text("note", &request.note, 2000)?;
        let today = ctx.today();
        authorize(
            &ctx.actor,
            Command::ProposeResponsibility,
            &Targets::of(&area),
            &ctx.registry,
            today,
        )?;
        if self.status != Status::None {
            return Err(DomainError::exists(
                "assignment_id",
                "assignment",
                id.to_string(),
            ));
        }
        duty.require_live("duty_id", &duty_id.to_string())?;
        ctx.registry.require("area_code", &area, &[], today)?;
        ctx.registry
            .require("assignee_code", &assignee, &[], today)?;
        Ok(vec![
            ResponsibilityProposed {
                assignment_id: id.to_string(),
                duty_id: duty_id.to_string(),
                area_code: area,
                level: level.into(),
                assignee_code: assignee,
                role: role.into(),
                proposer_code: ctx.actor.organisation.clone(),
                note,
            }
            .into(),
        ])
    }

    fn require_status(&self, id: &str, allowed: &[Status], action: &str) -> Result<()> {
        match self.status {
            Status::None => Err(DomainError::not_found("assignment_id", "assignment", id)),
            s if allowed.contains(&s) => Ok(()),
            s => Err(DomainError::precondition(
                "assignment_id",
                format!("cannot {action} an assignment that is {s:?}").to_lowercase(),
            )),
        }
    }

    pub fn accept(
        &self,
        request: AcceptResponsibilityRequest,
        ctx: &Context,
    ) -> Result<Vec<AssignmentEvent>> {
        authorize(
            &ctx.actor,
            Command::AcceptResponsibility,
            &Targets::on("assignment", &request.assignment_id)
                .with(Party::Target, &self.assignee_code),
            &ctx.registry,
            ctx.today(),
        )?;
        self.require_status(&request.assignment_id, &[Status::Proposed], "accept")?;
        Ok(vec![
            ResponsibilityAccepted {
                assignment_id: request.assignment_id,
                assignee_code: self.assignee_code.clone(),
            }
            .into(),
        ])
    }

    pub fn decline(
        &self,
        request: DeclineResponsibilityRequest,
        ctx: &Context,
    ) -> Result<Vec<AssignmentEvent>> {
        let reason = values::text("reason", &request.reason, 2000)?;
        authorize(
            &ctx.actor,
            Command::DeclineResponsibility,
            &Targets::on("assignment", &request.assignment_id)
                .with(Party::Target, &self.assignee_code),
            &ctx.registry,
            ctx.today(),
        )?;
        self.require_status(&request.assignment_id, &[Status::Proposed], "decline")?;
        Ok(vec![
            ResponsibilityDeclined {
                assignment_id: request.assignment_id,
                assignee_code: self.assignee_code.clone(),
                reason,
            }
            .into(),
        ])
    }

    pub fn end(
        &self,
        request: EndResponsibilityRequest,
        ctx: &Context,
    ) -> Result<Vec<AssignmentEvent>> {
        let reason = values::text("reason", &request.reason, 2000)?;
        let on = values::date_or("effective_date", &request.effective_date, ctx.today())?;
        authorize(
            &ctx.actor,
            Command::EndResponsibility,
            &Targets::on("assignment", &request.assignment_id)
                .with(Party::Assignee, &self.assignee_code)
                .with(Party::AssignmentArea, &self.area_code),
            &ctx.registry,
            ctx.today(),
        )?;
        self.require_status(
            &request.assignment_id,
            &[Status::Proposed, Status::Accepted],
            "end",
        )?;
        Ok(vec![
            ResponsibilityEnded {
                assignment_id: request.assignment_id,
                reason,
                effective_date: on.format("%Y-%m-%d").to_string(),
            }
            .into(),
        ])
    }
}

/// An attribution is recorded once; its aggregate only knows whether it exists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attribution {
    pub recorded: bool,
}

impl Aggregate for Attribution {
    type Event = AttributionEvent;
    fn apply(&mut self, _: &AttributionEvent) {
        self.recorded = true;
    }
}

impl Attribution {
    pub fn attribute(
        &self,
        id: Uuid,
        request: AttributeResponsibilityRequest,
        duty: &Duty,
        ctx: &Context,
    ) -> Result<Vec<AttributionEvent>> {
        let duty_id = values::id("duty_id", &request.duty_id)?;
        let area = codes::reference("area_code", &request.area_code)?;
        let owner = codes::reference("believed_owner_code", &request.believed_owner_code)?;
        let level: Level = values::known_enum("level", request.level)?;
        let role: RaciRole = values::known_enum("role", request.role)?;
        let by = ctx.actor.organisation.clone();
        let today = ctx.today();
        authorize(
            &ctx.actor,
            Command::AttributeResponsibility,
            &Targets::of(&by),
            &ctx.registry,
            today,
        )?;
        duty.require_live("duty_id", &duty_id.to_string())?;
        ctx.registry.require("area_code", &area, &[], today)?;
        ctx.registry
            .require("believed_owner_code", &owner, &[], today)?;
        Ok(vec![
            ResponsibilityAttributed {
                attribution_id: id.to_string(),
                duty_id: duty_id.to_string(),
                area_code: area,
                level: level.into(),
                attributed_by_code: by,
                believed_owner_code: owner,
                role: role.into(),
            }
            .into(),
        ])
    }
}

#[cfg(test)]
mod tests;
