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
use proto::v1::{
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
mod tests;
