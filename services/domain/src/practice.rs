//! A general practice (stream `practice-<code>`): the facilitation it records week by
//! week, the status of the digital services it offers, its digital champions, its staff's
//! training, and the platforms it uses.
//!
//! Everything a practice records lands on its own stream, so its commands never race with
//! another practice's. The state keeps only what a later command must check (statuses,
//! champions, enrolments, adopted platforms); facilitation records are counted, never kept,
//! because a practice records them weekly for years and no rule looks back at them.
//!
//! Staff appear only as a [`staff_ref`]: a pseudonymous reference the practice chooses
//! (e.g. `REC-07`), never a name (DESIGN.md §7).
//!
//! Decisions a caller may rely on:
//! - `patient_groups` may be empty (the proto says "empty when not known"); each group at
//!   most once. Two records for the same week and combination both count: a practice may
//!   record in parts, and a re-sent request is caught by its `request_id`.
//! - Dates say what happened, so none may be in the future; weeks no later than the current
//!   ISO week.
//! - Repeating a fact that is already recorded records nothing and succeeds (an empty list
//!   of events): the same status again, the same champion with the same role and services,
//!   a module or programme completed again, a platform adopted again. Enrolling twice is
//!   different: it is refused (`AlreadyExists`), because the second enrolment may carry a
//!   different role and the caller should know it was not recorded.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate, Weekday};
use difacto_proto::v1::{
    AdoptPlatformRequest, ChangeServiceStatusRequest, CompleteModuleRequest,
    CompleteTrainingRequest, DigitalChampionNamed, DigitalService, DigitalServiceStatusChanged,
    EnrolStaffRequest, FacilitationChannel, FacilitationMode, FacilitationRecorded,
    ModuleCompleted, NameDigitalChampionRequest, OrganisationKind, PatientGroup, PlatformAdopted,
    RecordFacilitationRequest, ServiceChangeReason, ServiceStatus, StaffEnrolled, StaffRole,
    TrainingCompleted,
};
use regex::Regex;
use uuid::Uuid;

use crate::aggregate::{Aggregate, Context};
use crate::codes;
use crate::command::Command;
use crate::error::{DomainError, Result};
use crate::platform::Platform;
use crate::policy::{Targets, authorize};
use crate::privacy;
use crate::programme::Programme;
use crate::values;

crate::event_set! {
    pub enum PracticeEvent {
        FacilitationRecorded,
        DigitalServiceStatusChanged,
        DigitalChampionNamed,
        StaffEnrolled,
        ModuleCompleted,
        TrainingCompleted,
        PlatformAdopted,
    }
}

/// The stream of practice `code`.
pub fn stream(code: &str) -> String {
    format!("practice-{code}")
}

/// More people than any practice helps in one record; a typo guard, not a target.
pub const MAX_PATIENTS_PER_RECORD: u32 = 10_000;
/// More staff minutes than a large practice's whole team works in a week.
pub const MAX_STAFF_MINUTES: u32 = 100_000;
/// The earliest year a week may be recorded for: older weeks are typos.
pub const FIRST_YEAR: i32 = 2000;
const MAX_NOTES_CHARS: usize = 2000;
const MAX_REASON_CHARS: usize = 1000;
const MAX_MODULE_ID_CHARS: usize = 100;

/// One member of staff on one programme.
#[derive(Debug, Clone, PartialEq)]
pub struct Enrolment {
    /// The role the rollout counts them under.
    pub role: StaffRole,
    /// No completion may be dated before it.
    pub enrolled_on: NaiveDate,
    /// The modules done so far; the programme is complete when these cover its modules.
    pub modules_completed: BTreeSet<String>,
    /// When they finished the whole programme, if they have.
    pub completed_on: Option<NaiveDate>,
}

/// A digital champion as last named.
#[derive(Debug, Clone, PartialEq)]
pub struct Champion {
    pub role: StaffRole,
    /// Empty means every service.
    pub services: Vec<DigitalService>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Practice {
    /// How many facilitation records the practice has made: the records themselves live
    /// only in the log and the read models.
    pub facilitation_records: u64,
    /// The latest status of each service the practice has ever set, so an unchanged status
    /// records nothing. A service never set has no entry.
    pub services: BTreeMap<DigitalService, ServiceStatus>,
    /// Champions by staff reference, so naming one again unchanged records nothing.
    pub champions: BTreeMap<String, Champion>,
    /// Enrolments by (staff reference, programme id as launched).
    pub enrolments: BTreeMap<(String, String), Enrolment>,
    /// The platforms adopted, so adopting one again records nothing.
    pub platforms: BTreeSet<Uuid>,
}

fn date_of(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
}

fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

impl Aggregate for Practice {
    type Event = PracticeEvent;

    fn apply(&mut self, event: &PracticeEvent) {
        match event {
            PracticeEvent::FacilitationRecorded(_) => self.facilitation_records += 1,
            PracticeEvent::DigitalServiceStatusChanged(e) => {
                self.services.insert(e.service(), e.status());
            }
            PracticeEvent::DigitalChampionNamed(e) => {
                self.champions.insert(
                    e.staff_ref.clone(),
                    Champion {
                        role: e.staff_role(),
                        services: e.services().collect(),
                    },
                );
            }
            PracticeEvent::StaffEnrolled(e) => {
                self.enrolments.insert(
                    (e.staff_ref.clone(), e.programme_id.clone()),
                    Enrolment {
                        role: e.staff_role(),
                        enrolled_on: date_of(&e.enrolled_on),
                        modules_completed: BTreeSet::new(),
                        completed_on: None,
                    },
                );
            }
            PracticeEvent::ModuleCompleted(e) => {
                if let Some(enrolment) = self
                    .enrolments
                    .get_mut(&(e.staff_ref.clone(), e.programme_id.clone()))
                {
                    enrolment.modules_completed.insert(e.module_id.clone());
                }
            }
            PracticeEvent::TrainingCompleted(e) => {
                if let Some(enrolment) = self
                    .enrolments
                    .get_mut(&(e.staff_ref.clone(), e.programme_id.clone()))
                {
                    enrolment.completed_on = Some(date_of(&e.completed_on));
                }
            }
            PracticeEvent::PlatformAdopted(e) => {
                if let Ok(id) = Uuid::try_parse(&e.platform_id) {
                    self.platforms.insert(id);
                }
            }
        }
    }
}

#[allow(clippy::expect_used)]
static STAFF_REF: LazyLock<Regex> = LazyLock::new(|| {
    // A constant pattern; a bad one is a programming error caught by the tests.
    Regex::new(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$").expect("a valid staff_ref pattern")
});

/// A pseudonymous staff reference (e.g. `REC-07`): 2 to 64 letters, digits, `.`, `_` or
/// `-`, starting with a letter or digit. No spaces, so "Jane Smith" is refused; and it must
/// pass the free-text privacy check, so an NHS number or a phone number is refused too. The
/// value is never echoed in the error, as it may be a name. Every command that names a
/// member of staff goes through here. A name written without spaces ("JaneSmith") cannot
/// be told from a reference by its shape; the practice's guidance, not this check, keeps
/// those out.
pub fn staff_ref(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(DomainError::invalid(
            field,
            "is required (a pseudonymous reference such as REC-07)",
        ));
    }
    if !STAFF_REF.is_match(value) {
        return Err(DomainError::invalid(
            field,
            "must be a pseudonymous reference such as REC-07 (2 to 64 letters, digits, \
             '.', '_' or '-', no spaces), never a name",
        ));
    }
    privacy::check_free_text(field, value)?;
    Ok(value.to_owned())
}

/// An ISO week `YYYY-Www` (e.g. `2026-W14`) that exists (W53 only in long years), from
/// [`FIRST_YEAR`] and no later than the week of `today`. Returns its Monday.
pub fn iso_week(field: &str, text: &str, today: NaiveDate) -> Result<NaiveDate> {
    let text = text.trim();
    let shape = || DomainError::invalid(field, "is required as an ISO week like 2026-W14");
    let (year, week) = text.split_once("-W").ok_or_else(shape)?;
    if year.len() != 4
        || week.len() != 2
        || !year.bytes().chain(week.bytes()).all(|b| b.is_ascii_digit())
    {
        return Err(shape());
    }
    let (year, week): (i32, u32) = (
        year.parse().map_err(|_| shape())?,
        week.parse().map_err(|_| shape())?,
    );
    let monday = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
        .ok_or_else(|| DomainError::invalid(field, format!("{year} has no week {week:02}")))?;
    if year < FIRST_YEAR {
        return Err(DomainError::invalid(
            field,
            format!("weeks before {FIRST_YEAR} are not recorded"),
        ));
    }
    if monday > today {
        let current = today.iso_week();
        return Err(DomainError::invalid(
            field,
            format!(
                "{text} is in the future; the current week is {}-W{:02}",
                current.year(),
                current.week()
            ),
        ));
    }
    Ok(monday)
}

/// A practice code with the shape of an ODS practice code (`A81001`); the registry decides
/// later whether it is a practice. The service edge names the stream with it.
pub fn practice_code(code: &str) -> Result<String> {
    let code = codes::reference("practice_code", code)?;
    codes::check("practice_code", &code, OrganisationKind::Practice)?;
    Ok(code)
}

/// A date that has happened: today when empty, never in the future.
fn past_date(field: &str, text: &str, today: NaiveDate) -> Result<NaiveDate> {
    let date = values::date_or(field, text, today)?;
    if date > today {
        return Err(DomainError::invalid(
            field,
            format!("{date} is in the future"),
        ));
    }
    Ok(date)
}

/// Known values of a repeated enum, each at most once (empty allowed).
fn distinct<E: TryFrom<i32> + PartialEq>(field: &str, values: &[i32]) -> Result<Vec<E>> {
    let known: Vec<E> = values::known_enums(field, values, false)?;
    for (i, value) in known.iter().enumerate() {
        if known[..i].contains(value) {
            return Err(DomainError::invalid(
                format!("{field}[{i}]"),
                "is listed twice",
            ));
        }
    }
    Ok(known)
}

fn ints<E: Into<i32>>(values: Vec<E>) -> Vec<i32> {
    values.into_iter().map(Into::into).collect()
}

/// The checks every command makes once its fields are valid: the caller may issue
/// `command` for the practice, and the practice is a PRACTICE that is open today.
fn allowed(command: Command, code: &str, ctx: &Context) -> Result<()> {
    authorize(
        &ctx.actor,
        command,
        &Targets::of(code),
        &ctx.registry,
        ctx.today(),
    )?;
    ctx.registry.require(
        "practice_code",
        code,
        &[OrganisationKind::Practice],
        ctx.today(),
    )?;
    Ok(())
}

/// The launched programme the request names, which must be the one the handler loaded.
fn launched(programme: &Programme, requested: &str) -> Result<Uuid> {
    let id = values::id("programme_id", requested)?;
    match programme.require_launched("programme_id", requested)? {
        launched if launched == id => Ok(id),
        _ => Err(DomainError::not_found(
            "programme_id",
            "training programme",
            requested,
        )),
    }
}

impl Practice {
    /// The enrolment of `staff` on `programme`, which must exist.
    fn enrolment(&self, staff: &str, programme: &Uuid) -> Result<&Enrolment> {
        self.enrolments
            .get(&(staff.to_owned(), programme.to_string()))
            .ok_or_else(|| {
                DomainError::precondition(
                    "staff_ref",
                    format!("{staff} is not enrolled on programme {programme}"),
                )
            })
    }

    /// `RecordFacilitation`: one week's help of one kind.
    pub fn record_facilitation(
        &self,
        request: RecordFacilitationRequest,
        ctx: &Context,
    ) -> Result<Vec<PracticeEvent>> {
        let code = practice_code(&request.practice_code)?;
        let week = iso_week("week", &request.week, ctx.today())?;
        let mode: FacilitationMode = values::known_enum("mode", request.mode)?;
        let service: DigitalService = values::known_enum("service", request.service)?;
        let channel: FacilitationChannel = values::known_enum("channel", request.channel)?;
        let delivered_by: StaffRole = values::known_enum("delivered_by", request.delivered_by)?;
        let groups: Vec<PatientGroup> = distinct("patient_groups", &request.patient_groups)?;
        let supported = values::count(
            "patients_supported",
            request.patients_supported,
            false,
            MAX_PATIENTS_PER_RECORD,
        )?;
        for (field, count) in [
            ("registered_for_nhs_app", request.registered_for_nhs_app),
            ("completed_task_online", request.completed_task_online),
            (
                "referred_to_community_session",
                request.referred_to_community_session,
            ),
            ("declined_help", request.declined_help),
            ("set_up_proxy_access", request.set_up_proxy_access),
        ] {
            if count > supported {
                return Err(DomainError::invalid(
                    field,
                    format!("{count} is more than the {supported} patients supported"),
                ));
            }
        }
        let minutes = values::count(
            "staff_minutes",
            request.staff_minutes,
            true,
            MAX_STAFF_MINUTES,
        )?;
        let notes = values::optional_text("notes", &request.notes, MAX_NOTES_CHARS)?;
        allowed(Command::RecordFacilitation, &code, ctx)?;
        let week = week.iso_week();
        Ok(vec![
            FacilitationRecorded {
                practice_code: code,
                week: format!("{}-W{:02}", week.year(), week.week()),
                mode: mode.into(),
                service: service.into(),
                channel: channel.into(),
                delivered_by: delivered_by.into(),
                patient_groups: ints(groups),
                patients_supported: supported,
                registered_for_nhs_app: request.registered_for_nhs_app,
                completed_task_online: request.completed_task_online,
                referred_to_community_session: request.referred_to_community_session,
                declined_help: request.declined_help,
                set_up_proxy_access: request.set_up_proxy_access,
                staff_minutes: minutes,
                notes,
            }
            .into(),
        ])
    }

    /// `ChangeServiceStatus`: offer, pause or withdraw a digital service. Pausing and
    /// withdrawing need a reason (the commissioner's "why"); setting the status it already
    /// has records nothing, whatever the reason.
    pub fn change_service_status(
        &self,
        request: ChangeServiceStatusRequest,
        ctx: &Context,
    ) -> Result<Vec<PracticeEvent>> {
        let code = practice_code(&request.practice_code)?;
        let service: DigitalService = values::known_enum("service", request.service)?;
        let status: ServiceStatus = values::known_enum("status", request.status)?;
        let reason = values::optional_text("reason", &request.reason, MAX_REASON_CHARS)?;
        if reason.is_empty() && status != ServiceStatus::Offered {
            return Err(DomainError::invalid(
                "reason",
                format!(
                    "is required when a service is {}",
                    status.as_str_name().trim_start_matches("SERVICE_STATUS_")
                ),
            ));
        }
        let reason_kind = ServiceChangeReason::try_from(request.reason_kind).map_err(|_| {
            DomainError::invalid(
                "reason_kind",
                format!("{} is not a known value", request.reason_kind),
            )
        })?;
        let on = past_date("effective_date", &request.effective_date, ctx.today())?;
        allowed(Command::ChangeServiceStatus, &code, ctx)?;
        if self.services.get(&service) == Some(&status) {
            return Ok(Vec::new());
        }
        Ok(vec![
            DigitalServiceStatusChanged {
                practice_code: code,
                service: service.into(),
                status: status.into(),
                reason,
                effective_date: iso(on),
                reason_kind: reason_kind.into(),
            }
            .into(),
        ])
    }

    /// `NameDigitalChampion`: naming someone again with another role or other services
    /// updates them; naming them again unchanged records nothing.
    pub fn name_digital_champion(
        &self,
        request: NameDigitalChampionRequest,
        ctx: &Context,
    ) -> Result<Vec<PracticeEvent>> {
        let code = practice_code(&request.practice_code)?;
        let staff = staff_ref("staff_ref", &request.staff_ref)?;
        let role: StaffRole = values::known_enum("staff_role", request.staff_role)?;
        let services: Vec<DigitalService> = distinct("services", &request.services)?;
        let on = past_date("effective_date", &request.effective_date, ctx.today())?;
        allowed(Command::NameDigitalChampion, &code, ctx)?;
        let champion = Champion { role, services };
        if self.champions.get(&staff) == Some(&champion) {
            return Ok(Vec::new());
        }
        Ok(vec![
            DigitalChampionNamed {
                practice_code: code,
                staff_ref: staff,
                staff_role: champion.role.into(),
                services: ints(champion.services),
                effective_date: iso(on),
            }
            .into(),
        ])
    }

    /// `EnrolStaff` on a launched programme whose audience includes the staff role.
    /// `programme` is the state of the programme the request names.
    pub fn enrol_staff(
        &self,
        request: EnrolStaffRequest,
        programme: &Programme,
        ctx: &Context,
    ) -> Result<Vec<PracticeEvent>> {
        let code = practice_code(&request.practice_code)?;
        let staff = staff_ref("staff_ref", &request.staff_ref)?;
        let role: StaffRole = values::known_enum("staff_role", request.staff_role)?;
        values::id("programme_id", &request.programme_id)?;
        let on = past_date("enrolled_on", &request.enrolled_on, ctx.today())?;
        allowed(Command::EnrolStaff, &code, ctx)?;
        let id = launched(programme, &request.programme_id)?;
        if !programme.audience_roles.contains(&role) {
            let audience: Vec<_> = programme
                .audience_roles
                .iter()
                .map(|r| r.as_str_name())
                .collect();
            return Err(DomainError::invalid(
                "staff_role",
                format!(
                    "{} is not in the audience of programme {id} ({})",
                    role.as_str_name(),
                    audience.join(", ")
                ),
            ));
        }
        if self
            .enrolments
            .contains_key(&(staff.clone(), id.to_string()))
        {
            return Err(DomainError::exists(
                "staff_ref",
                "enrolment",
                format!("of {staff} on programme {id}"),
            ));
        }
        Ok(vec![
            StaffEnrolled {
                practice_code: code,
                staff_ref: staff,
                staff_role: role.into(),
                programme_id: id.to_string(),
                enrolled_on: iso(on),
            }
            .into(),
        ])
    }

    /// `CompleteModule` of a programme the member of staff is enrolled on. Completing a
    /// module again records nothing (the first completion date stands).
    pub fn complete_module(
        &self,
        request: CompleteModuleRequest,
        programme: &Programme,
        ctx: &Context,
    ) -> Result<Vec<PracticeEvent>> {
        let code = practice_code(&request.practice_code)?;
        let staff = staff_ref("staff_ref", &request.staff_ref)?;
        values::id("programme_id", &request.programme_id)?;
        let module = values::text("module_id", &request.module_id, MAX_MODULE_ID_CHARS)?;
        let on = past_date("completed_on", &request.completed_on, ctx.today())?;
        allowed(Command::CompleteModule, &code, ctx)?;
        let id = launched(programme, &request.programme_id)?;
        let enrolment = self.enrolment(&staff, &id)?;
        if !programme.module_ids.contains(&module) {
            return Err(DomainError::invalid(
                "module_id",
                format!(
                    "{module} is not a module of programme {id} ({})",
                    programme.module_ids.join(", ")
                ),
            ));
        }
        if on < enrolment.enrolled_on {
            return Err(DomainError::invalid(
                "completed_on",
                format!("{on} is before the enrolment on {}", enrolment.enrolled_on),
            ));
        }
        if enrolment.modules_completed.contains(&module) {
            return Ok(Vec::new());
        }
        Ok(vec![
            ModuleCompleted {
                practice_code: code,
                staff_ref: staff,
                programme_id: id.to_string(),
                module_id: module,
                completed_on: iso(on),
            }
            .into(),
        ])
    }

    /// `CompleteTraining`: every module of the programme must be completed first.
    /// Completing it again records nothing (the first completion date stands).
    pub fn complete_training(
        &self,
        request: CompleteTrainingRequest,
        programme: &Programme,
        ctx: &Context,
    ) -> Result<Vec<PracticeEvent>> {
        let code = practice_code(&request.practice_code)?;
        let staff = staff_ref("staff_ref", &request.staff_ref)?;
        values::id("programme_id", &request.programme_id)?;
        let on = past_date("completed_on", &request.completed_on, ctx.today())?;
        allowed(Command::CompleteTraining, &code, ctx)?;
        let id = launched(programme, &request.programme_id)?;
        let enrolment = self.enrolment(&staff, &id)?;
        if enrolment.completed_on.is_some() {
            return Ok(Vec::new());
        }
        let missing: Vec<&str> = programme
            .module_ids
            .iter()
            .filter(|m| !enrolment.modules_completed.contains(*m))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(DomainError::precondition(
                "staff_ref",
                format!(
                    "{staff} has not completed module(s) {} of programme {id}",
                    missing.join(", ")
                ),
            ));
        }
        if on < enrolment.enrolled_on {
            return Err(DomainError::invalid(
                "completed_on",
                format!("{on} is before the enrolment on {}", enrolment.enrolled_on),
            ));
        }
        Ok(vec![
            TrainingCompleted {
                practice_code: code,
                staff_ref: staff,
                programme_id: id.to_string(),
                completed_on: iso(on),
            }
            .into(),
        ])
    }

    /// `AdoptPlatform`: the platform must be registered. Adopting it again records nothing.
    /// `platform` is the state of the platform the request names.
    pub fn adopt_platform(
        &self,
        request: AdoptPlatformRequest,
        platform: &Platform,
        ctx: &Context,
    ) -> Result<Vec<PracticeEvent>> {
        let code = practice_code(&request.practice_code)?;
        let requested = values::id("platform_id", &request.platform_id)?;
        let services: Vec<DigitalService> = distinct("services", &request.services)?;
        let on = past_date("effective_date", &request.effective_date, ctx.today())?;
        allowed(Command::AdoptPlatform, &code, ctx)?;
        let id = platform.require_registered("platform_id", &request.platform_id)?;
        if id != requested {
            return Err(DomainError::not_found(
                "platform_id",
                "platform",
                &request.platform_id,
            ));
        }
        // Empty on either side means every service.
        if !platform.services.is_empty()
            && let Some((i, service)) = services
                .iter()
                .enumerate()
                .find(|(_, s)| !platform.services.contains(s))
        {
            return Err(DomainError::invalid(
                format!("services[{i}]"),
                format!(
                    "{} is not a service of platform {id}",
                    service.as_str_name()
                ),
            ));
        }
        if self.platforms.contains(&id) {
            return Ok(Vec::new());
        }
        Ok(vec![
            PlatformAdopted {
                practice_code: code,
                platform_id: id.to_string(),
                effective_date: iso(on),
                services: ints(services),
            }
            .into(),
        ])
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{TimeZone, Utc};
    use difacto_auth::{Principal, Role};
    use difacto_proto::v1::{
        OrganisationClosed, OrganisationRegistered, PlatformRegistered, TrainingProgrammeLaunched,
    };

    use super::*;
    use crate::platform::PlatformEvent;
    use crate::programme::ProgrammeEvent;
    use crate::registry::{OrganisationEvent, Registry};

    const PROGRAMME_ID: &str = "5b0e8f2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b";
    const PLATFORM_ID: &str = "7d2c1b0a-9e8f-4a6b-8c5d-4e3f2a1b0c9d";
    const BASICS: &str = "nhs-app-basics";
    const PROXY: &str = "proxy-access";

    /// X24 ─ Y56 ─ QE1 ─ 00L ─ U00001 ─ A81001, A81002, A81009 (closed)
    ///                     └── U00002 ─ B82001
    fn registry() -> Registry {
        use OrganisationKind::*;
        let mut registry = Registry::default();
        for (code, kind, parent) in [
            ("X24", NationalBody, ""),
            ("Y56", Region, "X24"),
            ("QE1", Icb, "Y56"),
            ("00L", SubIcb, "QE1"),
            ("U00001", Pcn, "00L"),
            ("U00002", Pcn, "00L"),
            ("A81001", Practice, "U00001"),
            ("A81002", Practice, "U00001"),
            ("A81009", Practice, "U00001"),
            ("B82001", Practice, "U00002"),
        ] {
            registry.apply(&OrganisationEvent::from(OrganisationRegistered {
                code: code.into(),
                kind: kind.into(),
                name: format!("Organisation {code}"),
                parent_code: parent.into(),
                effective_date: "2020-01-01".into(),
                ..Default::default()
            }));
        }
        registry.apply(&OrganisationEvent::from(OrganisationClosed {
            code: "A81009".into(),
            effective_date: "2025-01-01".into(),
            reason: "merged with A81001".into(),
        }));
        registry
    }

    /// Wednesday 13 May 2026, in ISO week 2026-W20.
    fn ctx_as(org: &str, roles: &[Role]) -> Context {
        Context {
            actor: Principal {
                subject: format!("user@{org}"),
                organisation: org.into(),
                roles: roles.to_vec(),
            },
            registry: Arc::new(registry()),
            now: Utc
                .with_ymd_and_hms(2026, 5, 13, 10, 0, 0)
                .single()
                .expect("a valid time"),
        }
    }

    fn manager() -> Context {
        ctx_as("A81001", &[Role::PracticeManager])
    }

    fn given(events: Vec<PracticeEvent>) -> Practice {
        let mut practice = Practice::default();
        for event in &events {
            practice.apply(event);
        }
        practice
    }

    /// After every event `when` returned, as the store would fold them.
    fn then(practice: &Practice, events: &[PracticeEvent]) -> Practice {
        let mut practice = practice.clone();
        for event in events {
            practice.apply(event);
        }
        practice
    }

    fn programme() -> Programme {
        let mut programme = Programme::default();
        programme.apply(&ProgrammeEvent::from(TrainingProgrammeLaunched {
            programme_id: PROGRAMME_ID.into(),
            owner_code: "X24".into(),
            title: "Digital front door".into(),
            audience_roles: vec![
                StaffRole::Receptionist.into(),
                StaffRole::CareNavigator.into(),
            ],
            module_ids: vec![BASICS.into(), PROXY.into()],
            target_percent: 80,
            deadline: "2099-03-31".into(),
        }));
        programme
    }

    fn platform() -> Platform {
        let mut platform = Platform::default();
        platform.apply(&PlatformEvent::from(PlatformRegistered {
            platform_id: PLATFORM_ID.into(),
            provider_code: "V-nhs-app".into(),
            name: "NHS App".into(),
            services: vec![
                DigitalService::NhsApp.into(),
                DigitalService::OnlineRecords.into(),
            ],
            ..Default::default()
        }));
        platform
    }

    #[track_caller]
    fn assert_invalid(result: Result<Vec<PracticeEvent>>, expected: &str) {
        match result {
            Err(DomainError::Invalid { field, .. }) => assert_eq!(field, expected),
            other => panic!("expected Invalid naming {expected}, got {other:?}"),
        }
    }

    #[track_caller]
    fn assert_precondition(result: Result<Vec<PracticeEvent>>, expected: &str) -> String {
        match result {
            Err(DomainError::Precondition { field, reason }) => {
                assert_eq!(field, expected);
                reason
            }
            other => panic!("expected Precondition naming {expected}, got {other:?}"),
        }
    }

    #[track_caller]
    fn assert_not_found(result: Result<Vec<PracticeEvent>>, expected: &str) {
        match result {
            Err(DomainError::NotFound { field, .. }) => assert_eq!(field, expected),
            other => panic!("expected NotFound naming {expected}, got {other:?}"),
        }
    }

    #[track_caller]
    fn assert_forbidden(result: Result<Vec<PracticeEvent>>) {
        assert!(
            matches!(result, Err(DomainError::Forbidden(_))),
            "expected Forbidden, got {result:?}"
        );
    }

    // ---- staff references and weeks ----

    #[test]
    fn staff_refs_are_pseudonymous() {
        for ok in ["REC-07", "rec.07", "a1", "CN_2026-03", &"x".repeat(64)] {
            assert_eq!(staff_ref("staff_ref", ok).as_deref(), Ok(ok), "{ok}");
        }
        assert_eq!(staff_ref("staff_ref", "  REC-07 "), Ok("REC-07".into()));
        for refused in [
            "",
            "   ",
            "A",
            "Jane Smith",
            "-REC",
            ".rec",
            "rec/07",
            "jane@example.nhs.uk",
            &"x".repeat(65),
            "9434765919",  // an NHS number
            "07700900123", // a phone number
        ] {
            assert_invalid(
                staff_ref("staff_ref", refused).map(|_| Vec::new()),
                "staff_ref",
            );
        }
        let err = staff_ref("staff_ref", "Jane Smith").expect_err("a name");
        assert!(!err.to_string().contains("Jane"), "never echoes a name");
    }

    #[test]
    fn weeks_are_iso_weeks_up_to_the_current_one() {
        let today = manager().today();
        let monday = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("a date");
        assert_eq!(iso_week("week", "2026-W20", today), Ok(monday(2026, 5, 11)));
        assert_eq!(
            iso_week("week", "2026-W01", today),
            Ok(monday(2025, 12, 29))
        );
        // 2020 is a long year: it has a week 53; 2025 does not.
        assert_eq!(
            iso_week("week", "2020-W53", today),
            Ok(monday(2020, 12, 28))
        );
        for refused in [
            "2025-W53",
            "2026-W60",
            "2026-W00",
            "2026-W21",
            "2027-W01",
            "1999-W10",
            "2026-14",
            "2026W14",
            "2026-w14",
            "26-W14",
            "2026-W1",
            "2026-W014",
            "+026-W14",
            "",
        ] {
            assert_invalid(iso_week("week", refused, today).map(|_| Vec::new()), "week");
        }
    }

    // ---- RecordFacilitation ----

    fn facilitation() -> RecordFacilitationRequest {
        RecordFacilitationRequest {
            practice_code: "A81001".into(),
            week: "2026-W19".into(),
            mode: FacilitationMode::Proactive.into(),
            service: DigitalService::NhsApp.into(),
            channel: FacilitationChannel::GroupSession.into(),
            delivered_by: StaffRole::Receptionist.into(),
            patient_groups: vec![
                PatientGroup::OlderPeople.into(),
                PatientGroup::LimitedEnglish.into(),
            ],
            patients_supported: 12,
            registered_for_nhs_app: 9,
            completed_task_online: 7,
            referred_to_community_session: 2,
            declined_help: 1,
            set_up_proxy_access: 3,
            staff_minutes: 180,
            notes: "Tuesday drop-in at the library".into(),
            ..Default::default()
        }
    }

    #[test]
    fn facilitation_is_recorded_as_counts() {
        let practice = given(vec![]);
        let events = practice
            .record_facilitation(facilitation(), &manager())
            .expect("recorded");
        let [PracticeEvent::FacilitationRecorded(e)] = events.as_slice() else {
            panic!("{events:?}");
        };
        assert_eq!(e.practice_code, "A81001");
        assert_eq!(e.week, "2026-W19");
        assert_eq!(e.mode(), FacilitationMode::Proactive);
        assert_eq!(e.channel(), FacilitationChannel::GroupSession);
        assert_eq!(e.delivered_by(), StaffRole::Receptionist);
        assert_eq!(
            e.patient_groups().collect::<Vec<_>>(),
            [PatientGroup::OlderPeople, PatientGroup::LimitedEnglish]
        );
        assert_eq!((e.patients_supported, e.registered_for_nhs_app), (12, 9));
        assert_eq!(e.notes, "Tuesday drop-in at the library");
        assert_eq!(then(&practice, &events).facilitation_records, 1);
    }

    #[test]
    fn facilitation_state_stays_a_count() {
        let recorded = PracticeEvent::from(FacilitationRecorded::default());
        let practice = given(vec![recorded; 520]);
        assert_eq!(
            practice,
            Practice {
                facilitation_records: 520,
                ..Practice::default()
            }
        );
    }

    #[test]
    fn facilitation_accepts_unknown_groups_a_long_year_and_the_current_week() {
        let practice = given(vec![]);
        for request in [
            RecordFacilitationRequest {
                patient_groups: vec![],
                ..facilitation()
            },
            RecordFacilitationRequest {
                week: "2020-W53".into(),
                ..facilitation()
            },
            RecordFacilitationRequest {
                week: "2026-W20".into(),
                notes: String::new(),
                staff_minutes: 0,
                ..facilitation()
            },
        ] {
            practice
                .record_facilitation(request.clone(), &manager())
                .unwrap_or_else(|e| panic!("{request:?}: {e}"));
        }
    }

    #[test]
    fn facilitation_refusals_name_the_field() {
        let practice = given(vec![]);
        let cases: Vec<(RecordFacilitationRequest, &str)> = vec![
            (
                RecordFacilitationRequest {
                    practice_code: "A8100".into(),
                    ..facilitation()
                },
                "practice_code",
            ),
            (
                RecordFacilitationRequest {
                    week: "2026-W60".into(),
                    ..facilitation()
                },
                "week",
            ),
            (
                RecordFacilitationRequest {
                    week: "2025-W53".into(),
                    ..facilitation()
                },
                "week",
            ),
            (
                RecordFacilitationRequest {
                    week: "2026-W21".into(),
                    ..facilitation()
                },
                "week",
            ),
            (
                RecordFacilitationRequest {
                    mode: 0,
                    ..facilitation()
                },
                "mode",
            ),
            (
                RecordFacilitationRequest {
                    service: 99,
                    ..facilitation()
                },
                "service",
            ),
            (
                RecordFacilitationRequest {
                    channel: 0,
                    ..facilitation()
                },
                "channel",
            ),
            (
                RecordFacilitationRequest {
                    delivered_by: 42,
                    ..facilitation()
                },
                "delivered_by",
            ),
            (
                RecordFacilitationRequest {
                    patient_groups: vec![1, 77],
                    ..facilitation()
                },
                "patient_groups[1]",
            ),
            (
                RecordFacilitationRequest {
                    patient_groups: vec![1, 2, 1],
                    ..facilitation()
                },
                "patient_groups[2]",
            ),
            (
                RecordFacilitationRequest {
                    patients_supported: 0,
                    ..facilitation()
                },
                "patients_supported",
            ),
            (
                RecordFacilitationRequest {
                    patients_supported: 10_001,
                    ..facilitation()
                },
                "patients_supported",
            ),
            (
                RecordFacilitationRequest {
                    registered_for_nhs_app: 13,
                    ..facilitation()
                },
                "registered_for_nhs_app",
            ),
            (
                RecordFacilitationRequest {
                    completed_task_online: 13,
                    ..facilitation()
                },
                "completed_task_online",
            ),
            (
                RecordFacilitationRequest {
                    referred_to_community_session: 13,
                    ..facilitation()
                },
                "referred_to_community_session",
            ),
            (
                RecordFacilitationRequest {
                    declined_help: 13,
                    ..facilitation()
                },
                "declined_help",
            ),
            (
                RecordFacilitationRequest {
                    set_up_proxy_access: 13,
                    ..facilitation()
                },
                "set_up_proxy_access",
            ),
            (
                RecordFacilitationRequest {
                    staff_minutes: MAX_STAFF_MINUTES + 1,
                    ..facilitation()
                },
                "staff_minutes",
            ),
            (
                RecordFacilitationRequest {
                    notes: "helped 9434765919 with the app".into(),
                    ..facilitation()
                },
                "notes",
            ),
            (
                RecordFacilitationRequest {
                    notes: "x".repeat(MAX_NOTES_CHARS + 1),
                    ..facilitation()
                },
                "notes",
            ),
        ];
        for (request, field) in cases {
            assert_invalid(practice.record_facilitation(request, &manager()), field);
        }
    }

    #[test]
    fn facilitation_is_recorded_only_by_the_practice_team_or_its_pcn() {
        let practice = given(vec![]);
        for allowed in [
            ctx_as("A81001", &[Role::PracticeStaff]),
            ctx_as("U00001", &[Role::PcnLead]),
            ctx_as("X24", &[Role::Service]),
        ] {
            practice
                .record_facilitation(facilitation(), &allowed)
                .unwrap_or_else(|e| panic!("{:?}: {e}", allowed.actor));
        }
        for refused in [
            ctx_as("A81002", &[Role::PracticeManager]),
            ctx_as("U00002", &[Role::PcnLead]),
            ctx_as("X24", &[Role::Auditor]),
            ctx_as("A81001", &[Role::Auditor]),
            ctx_as("QE1", &[Role::IcbCommissioner]),
        ] {
            assert_forbidden(practice.record_facilitation(facilitation(), &refused));
        }
    }

    #[test]
    fn facilitation_needs_an_open_registered_practice() {
        let practice = given(vec![]);
        assert_precondition(
            practice.record_facilitation(
                RecordFacilitationRequest {
                    practice_code: "A81009".into(),
                    ..facilitation()
                },
                &ctx_as("A81009", &[Role::PracticeManager]),
            ),
            "practice_code",
        );
        // A PCN's code has a practice's shape; the registry knows better.
        assert_invalid(
            practice.record_facilitation(
                RecordFacilitationRequest {
                    practice_code: "U00001".into(),
                    ..facilitation()
                },
                &ctx_as("U00001", &[Role::PcnLead]),
            ),
            "practice_code",
        );
        assert_not_found(
            practice.record_facilitation(
                RecordFacilitationRequest {
                    practice_code: "A89999".into(),
                    ..facilitation()
                },
                &ctx_as("A89999", &[Role::PracticeManager]),
            ),
            "practice_code",
        );
    }

    // ---- ChangeServiceStatus ----

    fn status(status: ServiceStatus, reason: &str) -> ChangeServiceStatusRequest {
        ChangeServiceStatusRequest {
            practice_code: "A81001".into(),
            service: DigitalService::OnlineConsultation.into(),
            status: status.into(),
            reason: reason.into(),
            reason_kind: ServiceChangeReason::StaffCapacity.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_service_is_paused_with_a_reason() {
        let practice = given(vec![]);
        let events = practice
            .change_service_status(
                status(ServiceStatus::Paused, "two receptionists off sick"),
                &manager(),
            )
            .expect("paused");
        let [PracticeEvent::DigitalServiceStatusChanged(e)] = events.as_slice() else {
            panic!("{events:?}");
        };
        assert_eq!(e.status(), ServiceStatus::Paused);
        assert_eq!(e.reason_kind(), ServiceChangeReason::StaffCapacity);
        assert_eq!(e.effective_date, "2026-05-13", "today when empty");
        assert_eq!(
            then(&practice, &events)
                .services
                .get(&DigitalService::OnlineConsultation),
            Some(&ServiceStatus::Paused)
        );
    }

    #[test]
    fn an_unchanged_status_records_nothing() {
        let practice = given(vec![
            DigitalServiceStatusChanged {
                practice_code: "A81001".into(),
                service: DigitalService::OnlineConsultation.into(),
                status: ServiceStatus::Offered.into(),
                ..Default::default()
            }
            .into(),
        ]);
        assert_eq!(
            practice.change_service_status(status(ServiceStatus::Offered, ""), &manager()),
            Ok(Vec::new())
        );
        // ... and offering it needs no reason, while pausing it is a change.
        assert_eq!(
            practice
                .change_service_status(
                    status(ServiceStatus::Withdrawn, "contract ended"),
                    &manager()
                )
                .map(|events| events.len()),
            Ok(1)
        );
    }

    #[test]
    fn status_refusals_name_the_field() {
        let practice = given(vec![]);
        let cases = [
            (status(ServiceStatus::Paused, ""), "reason"),
            (status(ServiceStatus::Withdrawn, "   "), "reason"),
            (
                status(ServiceStatus::Paused, "ring 0113 496 0000 for details"),
                "reason",
            ),
            (
                ChangeServiceStatusRequest {
                    status: 0,
                    ..status(ServiceStatus::Offered, "")
                },
                "status",
            ),
            (
                ChangeServiceStatusRequest {
                    service: 0,
                    ..status(ServiceStatus::Offered, "")
                },
                "service",
            ),
            (
                ChangeServiceStatusRequest {
                    reason_kind: 99,
                    ..status(ServiceStatus::Offered, "")
                },
                "reason_kind",
            ),
            (
                ChangeServiceStatusRequest {
                    effective_date: "2026-05-14".into(),
                    ..status(ServiceStatus::Offered, "")
                },
                "effective_date",
            ),
            (
                ChangeServiceStatusRequest {
                    effective_date: "14/05/2026".into(),
                    ..status(ServiceStatus::Offered, "")
                },
                "effective_date",
            ),
        ];
        for (request, field) in cases {
            assert_invalid(practice.change_service_status(request, &manager()), field);
        }
        // Practice staff record facilitation, but only the manager changes what is offered.
        assert_forbidden(practice.change_service_status(
            status(ServiceStatus::Offered, ""),
            &ctx_as("A81001", &[Role::PracticeStaff]),
        ));
    }

    // ---- NameDigitalChampion ----

    fn champion(staff: &str) -> NameDigitalChampionRequest {
        NameDigitalChampionRequest {
            practice_code: "A81001".into(),
            staff_ref: staff.into(),
            staff_role: StaffRole::CareNavigator.into(),
            services: vec![DigitalService::NhsApp.into()],
            effective_date: "2026-05-01".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_champion_is_named_and_renaming_unchanged_records_nothing() {
        let practice = given(vec![]);
        let events = practice
            .name_digital_champion(champion("CN-01"), &manager())
            .expect("named");
        let [PracticeEvent::DigitalChampionNamed(e)] = events.as_slice() else {
            panic!("{events:?}");
        };
        assert_eq!(
            (e.staff_ref.as_str(), e.effective_date.as_str()),
            ("CN-01", "2026-05-01")
        );
        let practice = then(&practice, &events);
        assert_eq!(
            practice.name_digital_champion(champion("CN-01"), &manager()),
            Ok(Vec::new())
        );
        let wider = NameDigitalChampionRequest {
            services: vec![],
            ..champion("CN-01")
        };
        assert_eq!(
            practice
                .name_digital_champion(wider, &manager())
                .map(|events| events.len()),
            Ok(1),
            "new services update the champion"
        );
    }

    #[test]
    fn champion_refusals_name_the_field() {
        let practice = given(vec![]);
        let cases = [
            (champion("Jane Smith"), "staff_ref"),
            (champion("9434765919"), "staff_ref"),
            (champion(""), "staff_ref"),
            (
                NameDigitalChampionRequest {
                    staff_role: 0,
                    ..champion("CN-01")
                },
                "staff_role",
            ),
            (
                NameDigitalChampionRequest {
                    services: vec![1, 1],
                    ..champion("CN-01")
                },
                "services[1]",
            ),
        ];
        for (request, field) in cases {
            assert_invalid(practice.name_digital_champion(request, &manager()), field);
        }
        assert_forbidden(practice.name_digital_champion(
            champion("CN-01"),
            &ctx_as("A81002", &[Role::PracticeManager]),
        ));
    }

    // ---- Training ----

    fn enrol(staff: &str, role: StaffRole) -> EnrolStaffRequest {
        EnrolStaffRequest {
            practice_code: "A81001".into(),
            staff_ref: staff.into(),
            staff_role: role.into(),
            programme_id: PROGRAMME_ID.into(),
            enrolled_on: "2026-05-04".into(),
            ..Default::default()
        }
    }

    fn module(staff: &str, module: &str) -> CompleteModuleRequest {
        CompleteModuleRequest {
            practice_code: "A81001".into(),
            staff_ref: staff.into(),
            programme_id: PROGRAMME_ID.into(),
            module_id: module.into(),
            completed_on: "2026-05-11".into(),
            ..Default::default()
        }
    }

    fn training(staff: &str) -> CompleteTrainingRequest {
        CompleteTrainingRequest {
            practice_code: "A81001".into(),
            staff_ref: staff.into(),
            programme_id: PROGRAMME_ID.into(),
            ..Default::default()
        }
    }

    fn enrolled(staff: &str) -> PracticeEvent {
        StaffEnrolled {
            practice_code: "A81001".into(),
            staff_ref: staff.into(),
            staff_role: StaffRole::Receptionist.into(),
            programme_id: PROGRAMME_ID.into(),
            enrolled_on: "2026-05-04".into(),
        }
        .into()
    }

    fn completed(staff: &str, module: &str) -> PracticeEvent {
        ModuleCompleted {
            practice_code: "A81001".into(),
            staff_ref: staff.into(),
            programme_id: PROGRAMME_ID.into(),
            module_id: module.into(),
            completed_on: "2026-05-11".into(),
        }
        .into()
    }

    #[test]
    fn staff_are_enrolled_on_a_launched_programme_for_their_role() {
        let practice = given(vec![]);
        let events = practice
            .enrol_staff(
                enrol("REC-07", StaffRole::Receptionist),
                &programme(),
                &manager(),
            )
            .expect("enrolled");
        assert_eq!(events, vec![enrolled("REC-07")]);
        let practice = then(&practice, &events);
        let enrolment = practice
            .enrolments
            .get(&("REC-07".to_owned(), PROGRAMME_ID.to_owned()))
            .expect("an enrolment");
        assert_eq!(enrolment.role, StaffRole::Receptionist);
        assert!(enrolment.modules_completed.is_empty());
    }

    #[test]
    fn enrolment_refusals() {
        let practice = given(vec![enrolled("REC-07")]);
        let reception = || enrol("REC-08", StaffRole::Receptionist);
        assert_not_found(
            practice.enrol_staff(reception(), &Programme::default(), &manager()),
            "programme_id",
        );
        assert_not_found(
            practice.enrol_staff(
                EnrolStaffRequest {
                    programme_id: Uuid::new_v4().to_string(),
                    ..reception()
                },
                &programme(),
                &manager(),
            ),
            "programme_id",
        );
        assert_invalid(
            practice.enrol_staff(enrol("GP-01", StaffRole::Gp), &programme(), &manager()),
            "staff_role",
        );
        assert!(matches!(
            practice.enrol_staff(enrol("REC-07", StaffRole::Receptionist), &programme(), &manager()),
            Err(DomainError::AlreadyExists { ref field, .. }) if field == "staff_ref"
        ));
        for (request, field) in [
            (enrol("Jane Smith", StaffRole::Receptionist), "staff_ref"),
            (
                EnrolStaffRequest {
                    programme_id: "nope".into(),
                    ..reception()
                },
                "programme_id",
            ),
            (
                EnrolStaffRequest {
                    staff_role: 0,
                    ..reception()
                },
                "staff_role",
            ),
            (
                EnrolStaffRequest {
                    enrolled_on: "2026-06-01".into(),
                    ..reception()
                },
                "enrolled_on",
            ),
        ] {
            assert_invalid(
                practice.enrol_staff(request, &programme(), &manager()),
                field,
            );
        }
        assert_forbidden(practice.enrol_staff(
            reception(),
            &programme(),
            &ctx_as("X24", &[Role::Auditor]),
        ));
    }

    #[test]
    fn modules_are_completed_once() {
        let practice = given(vec![enrolled("REC-07")]);
        let events = practice
            .complete_module(module("REC-07", BASICS), &programme(), &manager())
            .expect("completed");
        assert_eq!(events, vec![completed("REC-07", BASICS)]);
        let practice = then(&practice, &events);
        assert_eq!(
            practice.complete_module(module("REC-07", BASICS), &programme(), &manager()),
            Ok(Vec::new()),
            "completing a module again records nothing"
        );
    }

    #[test]
    fn module_refusals() {
        let practice = given(vec![enrolled("REC-07")]);
        let reason = assert_precondition(
            practice.complete_module(module("REC-99", BASICS), &programme(), &manager()),
            "staff_ref",
        );
        assert!(reason.contains("REC-99"), "{reason}");
        assert_invalid(
            practice.complete_module(module("REC-07", "advanced-ninja"), &programme(), &manager()),
            "module_id",
        );
        assert_invalid(
            practice.complete_module(module("REC-07", ""), &programme(), &manager()),
            "module_id",
        );
        assert_invalid(
            practice.complete_module(
                CompleteModuleRequest {
                    completed_on: "2026-05-01".into(),
                    ..module("REC-07", BASICS)
                },
                &programme(),
                &manager(),
            ),
            "completed_on",
        );
        assert_not_found(
            practice.complete_module(module("REC-07", BASICS), &Programme::default(), &manager()),
            "programme_id",
        );
        assert_forbidden(practice.complete_module(
            module("REC-07", BASICS),
            &programme(),
            &ctx_as("B82001", &[Role::PracticeStaff]),
        ));
    }

    #[test]
    fn training_completes_after_every_module() {
        let practice = given(vec![
            enrolled("REC-07"),
            completed("REC-07", BASICS),
            completed("REC-07", PROXY),
        ]);
        let events = practice
            .complete_training(training("REC-07"), &programme(), &manager())
            .expect("completed");
        let [PracticeEvent::TrainingCompleted(e)] = events.as_slice() else {
            panic!("{events:?}");
        };
        assert_eq!(
            (
                e.staff_ref.as_str(),
                e.programme_id.as_str(),
                e.completed_on.as_str()
            ),
            ("REC-07", PROGRAMME_ID, "2026-05-13")
        );
        let practice = then(&practice, &events);
        assert_eq!(
            practice.complete_training(training("REC-07"), &programme(), &manager()),
            Ok(Vec::new()),
            "completing it again records nothing"
        );
    }

    #[test]
    fn training_refusals_name_what_is_missing() {
        let practice = given(vec![enrolled("REC-07"), completed("REC-07", BASICS)]);
        let reason = assert_precondition(
            practice.complete_training(training("REC-07"), &programme(), &manager()),
            "staff_ref",
        );
        assert!(
            reason.contains(PROXY) && !reason.contains(BASICS),
            "{reason}"
        );
        assert_precondition(
            practice.complete_training(training("REC-99"), &programme(), &manager()),
            "staff_ref",
        );
        assert_invalid(
            practice.complete_training(training("Jane Smith"), &programme(), &manager()),
            "staff_ref",
        );
        assert_not_found(
            practice.complete_training(training("REC-07"), &Programme::default(), &manager()),
            "programme_id",
        );
    }

    // ---- AdoptPlatform ----

    fn adopt() -> AdoptPlatformRequest {
        AdoptPlatformRequest {
            practice_code: "A81001".into(),
            platform_id: PLATFORM_ID.into(),
            services: vec![DigitalService::NhsApp.into()],
            ..Default::default()
        }
    }

    #[test]
    fn a_platform_is_adopted_once() {
        let practice = given(vec![]);
        let events = practice
            .adopt_platform(adopt(), &platform(), &manager())
            .expect("adopted");
        let [PracticeEvent::PlatformAdopted(e)] = events.as_slice() else {
            panic!("{events:?}");
        };
        assert_eq!(e.platform_id, PLATFORM_ID);
        let practice = then(&practice, &events);
        assert_eq!(
            practice.adopt_platform(adopt(), &platform(), &manager()),
            Ok(Vec::new())
        );
    }

    #[test]
    fn adoption_refusals() {
        let practice = given(vec![]);
        assert_not_found(
            practice.adopt_platform(adopt(), &Platform::default(), &manager()),
            "platform_id",
        );
        assert_not_found(
            practice.adopt_platform(
                AdoptPlatformRequest {
                    platform_id: Uuid::new_v4().to_string(),
                    ..adopt()
                },
                &platform(),
                &manager(),
            ),
            "platform_id",
        );
        for (request, field) in [
            (
                AdoptPlatformRequest {
                    platform_id: "nope".into(),
                    ..adopt()
                },
                "platform_id",
            ),
            (
                AdoptPlatformRequest {
                    services: vec![DigitalService::VideoConsultation.into()],
                    ..adopt()
                },
                "services[0]",
            ),
            (
                AdoptPlatformRequest {
                    effective_date: "2027-01-01".into(),
                    ..adopt()
                },
                "effective_date",
            ),
        ] {
            assert_invalid(
                practice.adopt_platform(request, &platform(), &manager()),
                field,
            );
        }
        assert_forbidden(practice.adopt_platform(
            adopt(),
            &platform(),
            &ctx_as("A81001", &[Role::PracticeStaff]),
        ));
    }
}
