//! The duty catalogue (stream `duty-<id>`): what must be owned, and at which levels.

use proto::v1::{DefineDutyRequest, DutyDefined, DutyRetired, Level, RetireDutyRequest};
use uuid::Uuid;

use crate::aggregate::{Aggregate, Context};
use crate::command::Command;
use crate::error::{DomainError, Result};
use crate::policy::Targets;
use crate::registry::NATIONAL_CODE;
use crate::values;
use crate::values::parsed;

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

parsed! {
    /// `DefineDuty`, parsed; the duty's id is the client's or derived by the service.
    pub struct DefineDuty from DefineDutyRequest as request {
        title: String = values::text("title", &request.title, 200)?,
        description: String = values::optional_text("description", &request.description, 4000)?,
        required_levels: Vec<Level> =
            values::known_enums("required_levels", &request.required_levels, true)?,
    }
}

parsed! {
    /// `RetireDuty`, parsed.
    pub struct RetireDuty from RetireDutyRequest as request {
        duty_id: Uuid = values::id("duty_id", &request.duty_id)?,
        reason: String = values::optional_text("reason", &request.reason, 1000)?,
    }
}

impl Duty {
    pub fn define(&self, id: Uuid, command: DefineDuty, ctx: &Context) -> Result<Vec<DutyEvent>> {
        let DefineDuty {
            title,
            description,
            required_levels: levels,
        } = command;
        ctx.authorize(Command::DefineDuty, &Targets::of(NATIONAL_CODE))?;
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

    pub fn retire(&self, command: RetireDuty, ctx: &Context) -> Result<Vec<DutyEvent>> {
        ctx.authorize(Command::RetireDuty, &Targets::of(NATIONAL_CODE))?;
        let id = self.require_live("duty_id", &command.duty_id.to_string())?;
        Ok(vec![
            DutyRetired {
                duty_id: id.to_string(),
                reason: command.reason,
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

#[cfg(test)]
mod tests {
    //! Given a duty's events, when the national team defines or retires it, then these
    //! events (or this rejection, naming this field).

    use auth::Role;

    use super::*;
    use crate::testing::{
        ctx, exists, forbidden_to, given, invalid, not_found, precondition, refused,
        refuses_identifying, service, then, when,
    };

    const DUTY: Uuid = Uuid::from_u128(0xd07e_0001);

    fn national() -> Context {
        ctx("X24", Role::NationalLead)
    }

    fn define_request() -> DefineDutyRequest {
        DefineDutyRequest {
            duty_id: DUTY.to_string(),
            title: "  Digital inclusion lead ".into(),
            description: "Owns the plan for patients who cannot use online services".into(),
            required_levels: vec![Level::Local.into(), Level::Regional.into()],
            ..Default::default()
        }
    }

    /// `request` sent by the national lead for a duty not defined yet.
    fn define(request: DefineDutyRequest) -> Result<Vec<DutyEvent>> {
        when(request, |c| Duty::default().define(DUTY, c, &national()))
    }

    fn defined() -> DutyEvent {
        DutyDefined {
            duty_id: DUTY.to_string(),
            title: "Digital inclusion lead".into(),
            description: String::new(),
            required_levels: vec![Level::Local.into(), Level::Regional.into()],
        }
        .into()
    }

    fn retired() -> DutyEvent {
        DutyRetired {
            duty_id: DUTY.to_string(),
            reason: String::new(),
        }
        .into()
    }

    fn retire_request(reason: &str) -> RetireDutyRequest {
        RetireDutyRequest {
            duty_id: DUTY.to_string(),
            reason: reason.into(),
            ..Default::default()
        }
    }

    // ---- DefineDuty ----

    #[test]
    fn a_national_lead_defines_a_duty() {
        let duty: Duty = given(&[]);
        let events =
            when(define_request(), |c| duty.define(DUTY, c, &national())).expect("defined");
        assert_eq!(
            events,
            [DutyDefined {
                duty_id: DUTY.to_string(),
                title: "Digital inclusion lead".into(),
                description: "Owns the plan for patients who cannot use online services".into(),
                required_levels: vec![Level::Local.into(), Level::Regional.into()],
            }
            .into()]
        );
        assert_eq!(
            then(&duty, &events),
            Duty {
                id: Some(DUTY),
                title: "Digital inclusion lead".into(),
                required_levels: vec![Level::Local, Level::Regional],
                retired: false,
            }
        );
    }

    #[test]
    fn the_service_account_defines_a_duty_without_a_description() {
        let request = DefineDutyRequest {
            description: String::new(),
            required_levels: vec![Level::National.into()],
            ..define_request()
        };
        let events =
            when(request, |c| Duty::default().define(DUTY, c, &service())).expect("defined");
        let [DutyEvent::DutyDefined(e)] = events.as_slice() else {
            panic!("{events:?}");
        };
        assert_eq!(e.description, "");
        assert_eq!(e.required_levels().collect::<Vec<_>>(), [Level::National]);
    }

    #[test]
    fn a_define_request_names_the_field_at_fault() {
        let titled = |title: &str| DefineDutyRequest {
            title: title.into(),
            ..define_request()
        };
        let levelled = |levels: Vec<i32>| DefineDutyRequest {
            required_levels: levels,
            ..define_request()
        };
        for (request, field) in [
            (titled(""), "title"),
            (titled("   "), "title"),
            (titled(&"t".repeat(201)), "title"),
            (levelled(vec![]), "required_levels"),
            (levelled(vec![0]), "required_levels[0]"),
            (levelled(vec![Level::Local.into(), 7]), "required_levels[1]"),
        ] {
            assert_eq!(
                refused(define(request.clone())),
                invalid(field),
                "{request:?}"
            );
        }
    }

    #[test]
    fn title_and_description_are_refused_when_they_identify_a_patient() {
        refuses_identifying("title", |text| {
            define(DefineDutyRequest {
                title: text.into(),
                ..define_request()
            })
        });
        refuses_identifying("description", |text| {
            define(DefineDutyRequest {
                description: text.into(),
                ..define_request()
            })
        });
    }

    #[test]
    fn only_the_national_team_defines_duties() {
        forbidden_to(
            &[
                ("Y56", Role::RegionalLead),
                ("QE1", Role::IcbCommissioner),
                ("A81001", Role::PracticeManager),
                ("X24", Role::Auditor),
                // The national lead's role, acting from a region, is not national.
                ("Y56", Role::NationalLead),
            ],
            |ctx| when(define_request(), |c| Duty::default().define(DUTY, c, ctx)),
        );
    }

    #[test]
    fn a_duty_is_defined_once() {
        let duty: Duty = given(&[defined()]);
        assert_eq!(
            refused(when(define_request(), |c| duty.define(
                DUTY,
                c,
                &national()
            ))),
            exists("duty_id")
        );
        let retired: Duty = given(&[defined(), retired()]);
        assert_eq!(
            refused(when(define_request(), |c| retired.define(
                DUTY,
                c,
                &national()
            ))),
            exists("duty_id")
        );
    }

    // ---- RetireDuty ----

    #[test]
    fn a_national_lead_retires_a_duty() {
        let duty: Duty = given(&[defined()]);
        let events = when(retire_request(" superseded by the 2027 framework "), |c| {
            duty.retire(c, &national())
        })
        .expect("retired");
        assert_eq!(
            events,
            [DutyRetired {
                duty_id: DUTY.to_string(),
                reason: "superseded by the 2027 framework".into(),
            }
            .into()]
        );
        let after = then(&duty, &events);
        assert!(after.retired);
        assert_eq!(after.id, Some(DUTY), "a retired duty keeps its identity");
    }

    #[test]
    fn retiring_an_undefined_duty_is_not_found() {
        assert_eq!(
            refused(when(retire_request(""), |c| Duty::default()
                .retire(c, &national()))),
            not_found("duty_id")
        );
    }

    #[test]
    fn a_duty_is_retired_once() {
        let duty: Duty = given(&[defined(), retired()]);
        assert_eq!(
            refused(when(retire_request(""), |c| duty.retire(c, &national()))),
            precondition("duty_id")
        );
    }

    #[test]
    fn only_the_national_team_retires_duties() {
        let duty: Duty = given(&[defined()]);
        forbidden_to(
            &[
                ("Y56", Role::RegionalLead),
                ("QE1", Role::IcbCommissioner),
                ("X24", Role::Auditor),
            ],
            |ctx| when(retire_request(""), |c| duty.retire(c, ctx)),
        );
    }

    #[test]
    fn the_retirement_reason_is_refused_when_it_identifies_a_patient() {
        let duty: Duty = given(&[defined()]);
        refuses_identifying("reason", |text| {
            when(retire_request(text), |c| duty.retire(c, &national()))
        });
    }

    // ---- require_live ----

    #[test]
    fn a_live_duty_gives_its_id() {
        let duty: Duty = given(&[defined()]);
        assert_eq!(duty.require_live("duty_id", &DUTY.to_string()), Ok(DUTY));
    }

    #[test]
    fn an_undefined_duty_is_not_found_under_the_callers_field_and_id() {
        let requested = Uuid::from_u128(0xbad).to_string();
        assert_eq!(
            Duty::default().require_live("duties[2]", &requested),
            Err(DomainError::not_found(
                "duties[2]",
                "duty",
                requested.clone()
            ))
        );
    }

    #[test]
    fn a_retired_duty_is_not_live() {
        let duty: Duty = given(&[defined(), retired()]);
        assert_eq!(
            refused(duty.require_live("duty_id", &DUTY.to_string())),
            precondition("duty_id")
        );
    }
}
