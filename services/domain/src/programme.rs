//! Training programmes (stream `programme-<id>`): who runs them, for which staff roles,
//! which modules, and the rollout targets set for areas.

use chrono::NaiveDate;
use proto::v1::{
    LaunchTrainingProgrammeRequest, RolloutTargetSet, SetRolloutTargetRequest, StaffRole,
    TrainingProgrammeLaunched,
};
use uuid::Uuid;

use crate::aggregate::{Aggregate, Context};
use crate::codes;
use crate::command::Command;
use crate::error::{DomainError, Result};
use crate::policy::Targets;
use crate::values;
use crate::values::parsed;

crate::event_set! {
    pub enum ProgrammeEvent { TrainingProgrammeLaunched, RolloutTargetSet }
}

pub fn stream(id: &Uuid) -> String {
    format!("programme-{id}")
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Programme {
    pub id: Option<Uuid>,
    pub code: String,
    pub owner_code: String,
    pub audience_roles: Vec<StaffRole>,
    pub module_ids: Vec<String>,
}

impl Aggregate for Programme {
    type Event = ProgrammeEvent;
    fn apply(&mut self, event: &ProgrammeEvent) {
        if let ProgrammeEvent::TrainingProgrammeLaunched(e) = event {
            self.id = Uuid::try_parse(&e.programme_id).ok();
            self.code = e.code.clone();
            self.owner_code = e.owner_code.clone();
            self.audience_roles = e.audience_roles().collect();
            self.module_ids = e.module_ids.clone();
        }
    }
}

fn percent(field: &str, value: u32) -> Result<u32> {
    if value == 0 || value > 100 {
        return Err(DomainError::invalid(
            field,
            "must be a percentage from 1 to 100",
        ));
    }
    Ok(value)
}

/// A deadline that is today or later.
fn not_past(field: &str, deadline: NaiveDate, today: NaiveDate) -> Result<NaiveDate> {
    if deadline < today {
        return Err(DomainError::invalid(
            field,
            format!("{deadline} is in the past"),
        ));
    }
    Ok(deadline)
}

/// Words a programme's derived code leaves out.
const MINOR_WORDS: [&str; 10] = [
    "a", "an", "and", "for", "in", "of", "on", "the", "to", "with",
];

/// The code of a programme launched without one: the initials of its title's words (minor
/// words left out, at most six) and its deadline's year, e.g. `TRSDF-2027`. Launches
/// written before codes existed are read with this code (`envelope::upcast`), so both
/// readers name them alike.
pub fn derived_code(title: &str, deadline: &str) -> String {
    let initials: String = title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !MINOR_WORDS.contains(&w.to_lowercase().as_str()))
        .filter_map(|w| w.chars().next())
        .map(|c| c.to_ascii_uppercase())
        .filter(char::is_ascii_alphanumeric)
        .take(6)
        .collect();
    let initials = if initials.is_empty() {
        "P".to_owned()
    } else {
        initials
    };
    match deadline
        .get(..4)
        .filter(|y| y.chars().all(|c| c.is_ascii_digit()))
    {
        Some(year) => format!("{initials}-{year}"),
        None => initials,
    }
}

/// A programme's code: 2 to 20 capital letters, digits and hyphens, starting with a letter.
fn code(field: &str, text: &str) -> Result<String> {
    let code = text.trim();
    let ok = (2..=20).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_uppercase())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        return Err(DomainError::invalid(
            field,
            format!(
                "{} is not a programme code: 2 to 20 capital letters, digits and hyphens, \
                 starting with a letter (e.g. DFE-2026)",
                values::excerpt(code)
            ),
        ));
    }
    Ok(code.to_owned())
}

/// `LaunchTrainingProgramme`, parsed; the programme's id is the client's or derived by
/// the service. Whether the deadline is past is judged against the context's today.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchTrainingProgramme {
    pub code: Option<String>,
    pub owner_code: String,
    pub title: String,
    pub audience_roles: Vec<StaffRole>,
    pub module_ids: Vec<String>,
    pub target_percent: u32,
    pub deadline: NaiveDate,
}

impl TryFrom<LaunchTrainingProgrammeRequest> for LaunchTrainingProgramme {
    type Error = DomainError;
    fn try_from(request: LaunchTrainingProgrammeRequest) -> Result<Self> {
        let owner_code = codes::reference("owner_code", &request.owner_code)?;
        let title = values::text("title", &request.title, 200)?;
        let audience_roles = values::known_enums("audience_roles", &request.audience_roles, true)?;
        if request.module_ids.is_empty() {
            return Err(DomainError::invalid(
                "module_ids",
                "needs at least one module",
            ));
        }
        values::list_len("module_ids", request.module_ids.len(), values::MAX_LIST)?;
        let mut module_ids: Vec<String> = Vec::with_capacity(request.module_ids.len());
        for (i, module) in request.module_ids.iter().enumerate() {
            let field = format!("module_ids[{i}]");
            let module = values::text(&field, module, 100)?;
            if module_ids.contains(&module) {
                return Err(DomainError::invalid(
                    field,
                    format!("{module} is listed twice"),
                ));
            }
            module_ids.push(module);
        }
        let code = match request.code.trim() {
            "" => None,
            given => Some(code("code", given)?),
        };
        Ok(Self {
            code,
            owner_code,
            title,
            audience_roles,
            module_ids,
            target_percent: percent("target_percent", request.target_percent)?,
            deadline: values::date("deadline", &request.deadline)?,
        })
    }
}

parsed! {
    /// `SetRolloutTarget`, parsed.
    pub struct SetRolloutTarget from SetRolloutTargetRequest as request {
        programme_id: Uuid = values::id("programme_id", &request.programme_id)?,
        area_code: String = codes::reference("area_code", &request.area_code)?,
        target_percent: u32 = percent("target_percent", request.target_percent)?,
        deadline: NaiveDate = values::date("deadline", &request.deadline)?,
    }
}

impl Programme {
    /// The programme's id, if launched.
    pub fn require_launched(&self, field: &str, requested: &str) -> Result<Uuid> {
        self.id
            .ok_or_else(|| DomainError::not_found(field, "training programme", requested))
    }

    pub fn launch(
        &self,
        id: Uuid,
        command: LaunchTrainingProgramme,
        ctx: &Context,
    ) -> Result<Vec<ProgrammeEvent>> {
        let LaunchTrainingProgramme {
            code,
            owner_code: owner,
            title,
            audience_roles: roles,
            module_ids: modules,
            target_percent: target,
            deadline,
        } = command;
        let deadline = not_past("deadline", deadline, ctx.today())?;
        ctx.authorize(Command::LaunchTrainingProgramme, &Targets::of(&owner))?;
        if self.id.is_some() {
            return Err(DomainError::exists(
                "programme_id",
                "training programme",
                id.to_string(),
            ));
        }
        ctx.registry
            .require("owner_code", &owner, &[], ctx.today())?;
        let deadline = deadline.format("%Y-%m-%d").to_string();
        let code = code.unwrap_or_else(|| derived_code(&title, &deadline));
        Ok(vec![
            TrainingProgrammeLaunched {
                programme_id: id.to_string(),
                code,
                owner_code: owner,
                title,
                audience_roles: roles.into_iter().map(i32::from).collect(),
                module_ids: modules,
                target_percent: target,
                deadline,
            }
            .into(),
        ])
    }

    pub fn set_target(
        &self,
        command: SetRolloutTarget,
        ctx: &Context,
    ) -> Result<Vec<ProgrammeEvent>> {
        let SetRolloutTarget {
            programme_id,
            area_code: area,
            target_percent: target,
            deadline,
        } = command;
        let deadline = not_past("deadline", deadline, ctx.today())?;
        ctx.authorize(Command::SetRolloutTarget, &Targets::of(&area))?;
        let id = self.require_launched("programme_id", &programme_id.to_string())?;
        ctx.registry.require("area_code", &area, &[], ctx.today())?;
        Ok(vec![
            RolloutTargetSet {
                programme_id: id.to_string(),
                area_code: area,
                target_percent: target,
                deadline: deadline.format("%Y-%m-%d").to_string(),
            }
            .into(),
        ])
    }
}

#[cfg(test)]
mod tests {
    //! Given a programme's events, when a commissioner launches it or sets a rollout
    //! target, then these events (or this rejection, naming this field).

    use auth::Role;

    use super::*;
    use crate::testing::{
        TODAY, closed, ctx, exists, forbidden, given, invalid, message, not_found, precondition,
        refused, service, then, tree_after, when,
    };

    const PROGRAMME: Uuid = Uuid::from_u128(0x9e09_0001);

    fn commissioner() -> Context {
        ctx("QE1", Role::IcbCommissioner)
    }

    /// QE1's programme for reception staff and care navigators, two modules, 80% by
    /// the end of March 2027.
    fn launch_request() -> LaunchTrainingProgrammeRequest {
        LaunchTrainingProgrammeRequest {
            programme_id: PROGRAMME.to_string(),
            owner_code: "QE1".into(),
            title: " Digital front door ".into(),
            audience_roles: vec![
                StaffRole::Receptionist.into(),
                StaffRole::CareNavigator.into(),
            ],
            module_ids: vec!["nhs-app-basics".into(), " proxy-access ".into()],
            target_percent: 80,
            deadline: "2027-03-31".into(),
            ..Default::default()
        }
    }

    fn launch(request: LaunchTrainingProgrammeRequest) -> Result<Vec<ProgrammeEvent>> {
        when(request, |c| {
            Programme::default().launch(PROGRAMME, c, &commissioner())
        })
    }

    fn launched() -> ProgrammeEvent {
        TrainingProgrammeLaunched {
            programme_id: PROGRAMME.to_string(),
            owner_code: "QE1".into(),
            title: "Digital front door".into(),
            audience_roles: vec![
                StaffRole::Receptionist.into(),
                StaffRole::CareNavigator.into(),
            ],
            module_ids: vec!["nhs-app-basics".into(), "proxy-access".into()],
            target_percent: 80,
            deadline: "2027-03-31".into(),
            code: "DFD-2027".into(),
        }
        .into()
    }

    fn target_request(area: &str, percent: u32, deadline: &str) -> SetRolloutTargetRequest {
        SetRolloutTargetRequest {
            programme_id: PROGRAMME.to_string(),
            area_code: area.into(),
            target_percent: percent,
            deadline: deadline.into(),
            ..Default::default()
        }
    }

    // ---- LaunchTrainingProgramme ----

    #[test]
    fn a_commissioner_launches_a_programme() {
        let events = launch(launch_request()).expect("launched");
        assert_eq!(events, [launched()]);
        assert_eq!(
            then(&Programme::default(), &events),
            Programme {
                id: Some(PROGRAMME),
                code: "DFD-2027".into(),
                owner_code: "QE1".into(),
                audience_roles: vec![StaffRole::Receptionist, StaffRole::CareNavigator],
                module_ids: vec!["nhs-app-basics".into(), "proxy-access".into()],
            }
        );
    }

    #[test]
    fn targets_from_1_to_100_percent_and_a_deadline_from_today_are_accepted() {
        for (percent, deadline) in [(1, TODAY), (100, "2026-05-14")] {
            let request = LaunchTrainingProgrammeRequest {
                target_percent: percent,
                deadline: deadline.into(),
                ..launch_request()
            };
            assert!(launch(request).is_ok(), "{percent}% by {deadline}");
        }
    }

    #[test]
    fn a_target_of_0_or_101_percent_is_refused() {
        for percent in [0, 101, u32::MAX] {
            let request = LaunchTrainingProgrammeRequest {
                target_percent: percent,
                ..launch_request()
            };
            assert_eq!(
                refused(launch(request)),
                invalid("target_percent"),
                "{percent}"
            );
        }
    }

    #[test]
    fn a_past_or_missing_deadline_is_refused() {
        for deadline in ["2026-05-12", "2020-01-01", "", "31/03/2027"] {
            let request = LaunchTrainingProgrammeRequest {
                deadline: deadline.into(),
                ..launch_request()
            };
            assert_eq!(
                refused(launch(request)),
                invalid("deadline"),
                "{deadline:?}"
            );
        }
    }

    #[test]
    fn a_module_listed_twice_is_refused_naming_the_second() {
        for modules in [
            vec!["nhs-app-basics", "proxy-access", "nhs-app-basics"],
            vec!["nhs-app-basics", "proxy-access", " proxy-access "],
        ] {
            let request = LaunchTrainingProgrammeRequest {
                module_ids: modules.iter().map(|m| (*m).to_owned()).collect(),
                ..launch_request()
            };
            assert_eq!(
                refused(launch(request)),
                invalid("module_ids[2]"),
                "{modules:?}"
            );
        }
    }

    #[test]
    fn a_programme_needs_modules_with_ids() {
        let none = LaunchTrainingProgrammeRequest {
            module_ids: vec![],
            ..launch_request()
        };
        assert_eq!(refused(launch(none)), invalid("module_ids"));
        for (modules, field) in [
            (vec![" ".to_owned()], "module_ids[0]"),
            (vec!["ok".to_owned(), "m".repeat(101)], "module_ids[1]"),
            (
                vec!["ask jo.bloggs@example.nhs.uk".to_owned()],
                "module_ids[0]",
            ),
        ] {
            let request = LaunchTrainingProgrammeRequest {
                module_ids: modules,
                ..launch_request()
            };
            assert_eq!(refused(launch(request)), invalid(field));
        }
    }

    #[test]
    fn an_empty_audience_is_refused() {
        let request = LaunchTrainingProgrammeRequest {
            audience_roles: vec![],
            ..launch_request()
        };
        assert_eq!(refused(launch(request)), invalid("audience_roles"));
    }

    #[test]
    fn an_unknown_staff_role_is_refused_naming_its_place() {
        for (roles, field) in [
            (
                vec![StaffRole::Receptionist.into(), 99],
                "audience_roles[1]",
            ),
            (vec![0], "audience_roles[0]"),
            (vec![-1], "audience_roles[0]"),
        ] {
            let request = LaunchTrainingProgrammeRequest {
                audience_roles: roles.clone(),
                ..launch_request()
            };
            assert_eq!(refused(launch(request)), invalid(field), "{roles:?}");
        }
    }

    #[test]
    fn a_programme_needs_an_owner_and_a_title() {
        for (request, field) in [
            (
                LaunchTrainingProgrammeRequest {
                    owner_code: String::new(),
                    ..launch_request()
                },
                "owner_code",
            ),
            (
                LaunchTrainingProgrammeRequest {
                    title: "  ".into(),
                    ..launch_request()
                },
                "title",
            ),
            (
                LaunchTrainingProgrammeRequest {
                    title: "t".repeat(201),
                    ..launch_request()
                },
                "title",
            ),
        ] {
            assert_eq!(
                refused(launch(request.clone())),
                invalid(field),
                "{request:?}"
            );
        }
    }

    #[test]
    fn a_title_that_identifies_a_patient_is_refused() {
        let request = LaunchTrainingProgrammeRequest {
            title: "Follow-up for 943 476 5919".into(),
            ..launch_request()
        };
        assert_eq!(refused(launch(request.clone())), invalid("title"));
        assert!(!message(launch(request)).contains("5919"));
    }

    #[test]
    fn launching_for_an_owner_outside_the_callers_area_is_forbidden() {
        let elsewhere = LaunchTrainingProgrammeRequest {
            owner_code: "QWO".into(),
            ..launch_request()
        };
        assert_eq!(refused(launch(elsewhere)), forbidden());
        for (org, role) in [
            ("A81001", Role::PracticeManager),
            ("U00001", Role::PcnLead),
            ("X24", Role::Auditor),
        ] {
            let own = LaunchTrainingProgrammeRequest {
                owner_code: org.into(),
                ..launch_request()
            };
            assert_eq!(
                refused(when(own, |c| Programme::default().launch(
                    PROGRAMME,
                    c,
                    &ctx(org, role)
                ))),
                forbidden(),
                "{org} {role:?}"
            );
        }
    }

    #[test]
    fn a_programme_is_launched_once() {
        let programme: Programme = given(&[launched()]);
        assert_eq!(
            refused(when(launch_request(), |c| programme.launch(
                PROGRAMME,
                c,
                &commissioner()
            ))),
            exists("programme_id")
        );
    }

    #[test]
    fn the_owner_must_exist_and_be_active() {
        let unknown = LaunchTrainingProgrammeRequest {
            owner_code: "QZZ".into(),
            ..launch_request()
        };
        assert_eq!(
            refused(when(unknown, |c| Programme::default().launch(
                PROGRAMME,
                c,
                &service()
            ))),
            not_found("owner_code")
        );
        let registry = tree_after(&[closed("QE1", "2026-04-01")]);
        let ctx = crate::testing::caller_over(&registry, "QE1", &[Role::IcbCommissioner]);
        assert_eq!(
            refused(when(launch_request(), |c| Programme::default()
                .launch(PROGRAMME, c, &ctx))),
            precondition("owner_code")
        );
    }

    // ---- SetRolloutTarget ----

    #[test]
    fn a_commissioner_sets_a_rollout_target_for_part_of_its_area() {
        let programme: Programme = given(&[launched()]);
        let events = when(target_request(" 00L ", 90, "2026-12-31"), |c| {
            programme.set_target(c, &commissioner())
        })
        .expect("set");
        assert_eq!(
            events,
            [RolloutTargetSet {
                programme_id: PROGRAMME.to_string(),
                area_code: "00L".into(),
                target_percent: 90,
                deadline: "2026-12-31".into(),
            }
            .into()]
        );
        assert_eq!(
            then(&programme, &events),
            programme,
            "targets live in views"
        );
    }

    #[test]
    fn a_rollout_target_names_the_field_at_fault() {
        let programme: Programme = given(&[launched()]);
        for (request, field) in [
            (target_request("", 90, "2026-12-31"), "area_code"),
            (target_request("00L", 0, "2026-12-31"), "target_percent"),
            (target_request("00L", 101, "2026-12-31"), "target_percent"),
            (target_request("00L", 90, "2026-05-12"), "deadline"),
            (target_request("00L", 90, ""), "deadline"),
        ] {
            assert_eq!(
                refused(when(request.clone(), |c| programme
                    .set_target(c, &commissioner()))),
                invalid(field),
                "{request:?}"
            );
        }
        assert!(
            when(target_request("00L", 100, TODAY), |c| programme
                .set_target(c, &commissioner()))
            .is_ok()
        );
    }

    #[test]
    fn setting_a_target_outside_the_callers_area_is_forbidden() {
        let programme: Programme = given(&[launched()]);
        for (area, ctx) in [
            ("QWO", commissioner()),
            ("A81001", ctx("A81001", Role::PracticeManager)),
            ("X24", ctx("X24", Role::Auditor)),
        ] {
            assert_eq!(
                refused(when(target_request(area, 90, "2026-12-31"), |c| programme
                    .set_target(c, &ctx))),
                forbidden(),
                "{area}"
            );
        }
    }

    #[test]
    fn a_target_needs_a_launched_programme() {
        assert_eq!(
            refused(when(target_request("00L", 90, "2026-12-31"), |c| {
                Programme::default().set_target(c, &commissioner())
            })),
            not_found("programme_id")
        );
    }

    #[test]
    fn the_area_must_exist_and_be_active() {
        let programme: Programme = given(&[launched()]);
        assert_eq!(
            refused(when(target_request("U99999", 90, "2026-12-31"), |c| {
                programme.set_target(c, &service())
            })),
            not_found("area_code")
        );
        assert_eq!(
            refused(when(target_request("A81009", 90, "2026-12-31"), |c| {
                programme.set_target(c, &commissioner())
            })),
            precondition("area_code")
        );
    }

    // ---- require_launched ----

    #[test]
    fn a_launched_programme_gives_its_id() {
        let programme: Programme = given(&[launched()]);
        assert_eq!(
            programme.require_launched("programme_id", &PROGRAMME.to_string()),
            Ok(PROGRAMME)
        );
    }

    #[test]
    fn a_programme_not_launched_is_not_found_under_the_callers_field_and_id() {
        assert_eq!(
            Programme::default().require_launched("enrolment.programme_id", "p-1"),
            Err(DomainError::not_found(
                "enrolment.programme_id",
                "training programme",
                "p-1"
            ))
        );
    }

    #[test]
    fn a_programme_code_is_given_or_derived_and_a_bad_one_is_refused() {
        let given = LaunchTrainingProgrammeRequest {
            code: " DFE-2026 ".into(),
            ..launch_request()
        };
        let events = launch(given).expect("launched");
        let launched = match &events[..] {
            [ProgrammeEvent::TrainingProgrammeLaunched(e)] => e,
            other => panic!("{other:?}"),
        };
        assert_eq!(launched.code, "DFE-2026");
        for bad in ["dfe-2026", "D", "2026-DFE", "DFE 2026", &"X".repeat(21)] {
            let request = LaunchTrainingProgrammeRequest {
                code: bad.into(),
                ..launch_request()
            };
            let err = LaunchTrainingProgramme::try_from(request).expect_err(bad);
            assert!(err.to_string().starts_with("code: "), "{bad}: {err}");
        }
        assert_eq!(
            derived_code("The NHS App, for everyone", "2026-12-31"),
            "NAE-2026"
        );
        assert_eq!(derived_code("", ""), "P");
    }
}
