//! Who is responsible for what (stream `assignment-<id>`): a proposal becomes a commitment
//! only when the assignee accepts it. Attributions (stream `attribution-<id>`) record who an
//! organisation *believes* owns a duty, kept apart from commitments so that views can show
//! where belief and commitment disagree. A second accepted Accountable for the same duty,
//! area and level is recorded, not refused: the views flag it as contested.

use chrono::NaiveDate;
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
use crate::policy::{Party, Targets};
use crate::values;
use crate::values::parsed;

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

/// The duty, area, level and role that `ProposeResponsibility` and
/// `AttributeResponsibility` both name, with the organisation named in `owner_field`.
#[derive(Debug, Clone, PartialEq)]
pub struct Responsibility {
    pub duty_id: Uuid,
    pub area_code: String,
    pub owner_code: String,
    pub level: Level,
    pub role: RaciRole,
}

impl Responsibility {
    fn parse(
        duty_id: &str,
        area_code: &str,
        (owner_field, owner_code): (&str, &str),
        level: i32,
        role: i32,
    ) -> Result<Self> {
        Ok(Self {
            duty_id: values::id("duty_id", duty_id)?,
            area_code: codes::reference("area_code", area_code)?,
            owner_code: codes::reference(owner_field, owner_code)?,
            level: values::known_enum("level", level)?,
            role: values::known_enum("role", role)?,
        })
    }

    /// The checks after authorisation: the duty is live, the organisations exist today.
    fn require(&self, owner_field: &str, duty: &Duty, ctx: &Context) -> Result<()> {
        let today = ctx.today();
        duty.require_live("duty_id", &self.duty_id.to_string())?;
        ctx.registry
            .require("area_code", &self.area_code, &[], today)?;
        ctx.registry
            .require(owner_field, &self.owner_code, &[], today)?;
        Ok(())
    }
}

parsed! {
    /// `ProposeResponsibility`, parsed (`owner_code` is the assignee); the assignment's id is
    /// the client's or derived by the service.
    pub struct ProposeResponsibility from ProposeResponsibilityRequest as request {
        responsibility: Responsibility =
            Responsibility::parse(
                &request.duty_id,
                &request.area_code,
                ("assignee_code", &request.assignee_code),
                request.level,
                request.role,
            )?,
        note: String = values::optional_text("note", &request.note, 2000)?,
    }
}

parsed! {
    /// `AcceptResponsibility`, `DeclineResponsibility` or `EndResponsibility`, parsed: a step
    /// in an existing assignment's life. `reason` is empty for an acceptance; an ending's
    /// date defaults to the context's today.
    pub struct AssignmentStep from AcceptResponsibilityRequest as request {
        assignment_id: Uuid = values::id("assignment_id", &request.assignment_id)?,
        reason: String = String::new(),
        effective_date: Option<NaiveDate> = None,
    }
}

impl TryFrom<DeclineResponsibilityRequest> for AssignmentStep {
    type Error = DomainError;
    fn try_from(request: DeclineResponsibilityRequest) -> Result<Self> {
        Ok(Self {
            assignment_id: values::id("assignment_id", &request.assignment_id)?,
            reason: values::text("reason", &request.reason, 2000)?,
            effective_date: None,
        })
    }
}

impl TryFrom<EndResponsibilityRequest> for AssignmentStep {
    type Error = DomainError;
    fn try_from(request: EndResponsibilityRequest) -> Result<Self> {
        Ok(Self {
            assignment_id: values::id("assignment_id", &request.assignment_id)?,
            reason: values::text("reason", &request.reason, 2000)?,
            effective_date: values::optional_date("effective_date", &request.effective_date)?,
        })
    }
}

impl Assignment {
    pub fn propose(
        &self,
        id: Uuid,
        command: ProposeResponsibility,
        duty: &Duty,
        ctx: &Context,
    ) -> Result<Vec<AssignmentEvent>> {
        let ProposeResponsibility {
            responsibility,
            note,
        } = command;
        ctx.authorize(
            Command::ProposeResponsibility,
            &Targets::of(&responsibility.area_code),
        )?;
        if self.status != Status::None {
            return Err(DomainError::exists(
                "assignment_id",
                "assignment",
                id.to_string(),
            ));
        }
        responsibility.require("assignee_code", duty, ctx)?;
        Ok(vec![
            ResponsibilityProposed {
                assignment_id: id.to_string(),
                duty_id: responsibility.duty_id.to_string(),
                area_code: responsibility.area_code,
                level: responsibility.level.into(),
                assignee_code: responsibility.owner_code,
                role: responsibility.role.into(),
                proposer_code: ctx.actor.organisation.clone(),
                note,
            }
            .into(),
        ])
    }

    /// The checks every step shares: the caller may take it (judged on the parties of
    /// `parties`), the assignment exists and its status is one of `allowed`.
    fn step(
        &self,
        command: Command,
        step: &AssignmentStep,
        parties: &[(Party, &str)],
        allowed: &[Status],
        action: &str,
        ctx: &Context,
    ) -> Result<String> {
        let id = step.assignment_id.to_string();
        let targets = parties
            .iter()
            .fold(Targets::on("assignment", &id), |t, &(party, code)| {
                t.with(party, code)
            });
        ctx.authorize(command, &targets)?;
        match self.status {
            Status::None => Err(DomainError::not_found("assignment_id", "assignment", &id)),
            s if allowed.contains(&s) => Ok(id),
            s => Err(DomainError::precondition(
                "assignment_id",
                format!("cannot {action} an assignment that is {s:?}").to_lowercase(),
            )),
        }
    }

    pub fn accept(&self, step: AssignmentStep, ctx: &Context) -> Result<Vec<AssignmentEvent>> {
        let assignment_id = self.step(
            Command::AcceptResponsibility,
            &step,
            &[(Party::Target, &self.assignee_code)],
            &[Status::Proposed],
            "accept",
            ctx,
        )?;
        Ok(vec![
            ResponsibilityAccepted {
                assignment_id,
                assignee_code: self.assignee_code.clone(),
            }
            .into(),
        ])
    }

    pub fn decline(&self, step: AssignmentStep, ctx: &Context) -> Result<Vec<AssignmentEvent>> {
        let assignment_id = self.step(
            Command::DeclineResponsibility,
            &step,
            &[(Party::Target, &self.assignee_code)],
            &[Status::Proposed],
            "decline",
            ctx,
        )?;
        Ok(vec![
            ResponsibilityDeclined {
                assignment_id,
                assignee_code: self.assignee_code.clone(),
                reason: step.reason,
            }
            .into(),
        ])
    }

    pub fn end(&self, step: AssignmentStep, ctx: &Context) -> Result<Vec<AssignmentEvent>> {
        let on = step.effective_date.unwrap_or_else(|| ctx.today());
        let assignment_id = self.step(
            Command::EndResponsibility,
            &step,
            &[
                (Party::Assignee, &self.assignee_code),
                (Party::AssignmentArea, &self.area_code),
            ],
            &[Status::Proposed, Status::Accepted],
            "end",
            ctx,
        )?;
        Ok(vec![
            ResponsibilityEnded {
                assignment_id,
                reason: step.reason,
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

parsed! {
    /// `AttributeResponsibility`, parsed (`owner_code` is the believed owner); the
    /// attribution's id is derived by the service.
    pub struct AttributeResponsibility from AttributeResponsibilityRequest as request {
        responsibility: Responsibility =
            Responsibility::parse(
                &request.duty_id,
                &request.area_code,
                ("believed_owner_code", &request.believed_owner_code),
                request.level,
                request.role,
            )?,
    }
}

impl Attribution {
    pub fn attribute(
        &self,
        id: Uuid,
        command: AttributeResponsibility,
        duty: &Duty,
        ctx: &Context,
    ) -> Result<Vec<AttributionEvent>> {
        let responsibility = command.responsibility;
        let by = ctx.actor.organisation.clone();
        ctx.authorize(Command::AttributeResponsibility, &Targets::of(&by))?;
        responsibility.require("believed_owner_code", duty, ctx)?;
        Ok(vec![
            ResponsibilityAttributed {
                attribution_id: id.to_string(),
                duty_id: responsibility.duty_id.to_string(),
                area_code: responsibility.area_code,
                level: responsibility.level.into(),
                attributed_by_code: by,
                believed_owner_code: responsibility.owner_code,
                role: responsibility.role.into(),
            }
            .into(),
        ])
    }
}

#[cfg(test)]
mod tests;
