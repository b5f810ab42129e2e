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
    RecordFacilitationRequest, ReportStaffInPostRequest, ServiceChangeReason, ServiceStatus,
    StaffEnrolled, StaffInPostReported, StaffRole, TrainingCompleted,
};
use regex::Regex;
use uuid::Uuid;

use crate::aggregate::{Aggregate, Context};
use crate::codes;
use crate::command::Command;
use crate::error::{DomainError, Result};
use crate::platform::Platform;
use crate::policy::Targets;
use crate::privacy;
use crate::programme::Programme;
use crate::values;
use crate::values::parsed;

crate::event_set! {
    pub enum PracticeEvent {
        FacilitationRecorded,
        DigitalServiceStatusChanged,
        DigitalChampionNamed,
        StaffInPostReported,
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
    /// Staff in post by role and as-of date, so reporting a figure again records nothing.
    pub staff_in_post: BTreeMap<(StaffRole, NaiveDate), u32>,
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
            PracticeEvent::StaffInPostReported(e) => {
                self.staff_in_post
                    .insert((e.staff_role(), date_of(&e.as_of)), e.headcount);
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
    not_future_week(field, week_monday(field, text)?, today)
}

/// The Monday of an ISO week `YYYY-Www` that exists, from [`FIRST_YEAR`]; how it stands
/// to today is [`not_future_week`]'s to judge.
fn week_monday(field: &str, text: &str) -> Result<NaiveDate> {
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
    Ok(monday)
}

/// The week starting on `monday`, unless it is after the week of `today`.
fn not_future_week(field: &str, monday: NaiveDate, today: NaiveDate) -> Result<NaiveDate> {
    if monday > today {
        let (week, current) = (monday.iso_week(), today.iso_week());
        return Err(DomainError::invalid(
            field,
            format!(
                "{}-W{:02} is in the future; the current week is {}-W{:02}",
                week.year(),
                week.week(),
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

/// A date that has happened: today when not given, never in the future.
fn past_date(field: &str, date: Option<NaiveDate>, today: NaiveDate) -> Result<NaiveDate> {
    let date = date.unwrap_or(today);
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
    values::distinct_enums(field, values, false)
}

fn ints<E: Into<i32>>(values: Vec<E>) -> Vec<i32> {
    values.into_iter().map(Into::into).collect()
}

/// The checks every command makes once its fields are valid: the caller may issue
/// `command` for the practice, and the practice is a PRACTICE that is open today.
fn allowed(command: Command, code: &str, ctx: &Context) -> Result<()> {
    ctx.authorize(command, &Targets::of(code))?;
    ctx.registry.require(
        "practice_code",
        code,
        &[OrganisationKind::Practice],
        ctx.today(),
    )?;
    Ok(())
}

/// The launched programme the request names, which must be the one the handler loaded.
fn launched(programme: &Programme, requested: Uuid) -> Result<Uuid> {
    let text = requested.to_string();
    match programme.require_launched("programme_id", &text)? {
        launched if launched == requested => Ok(requested),
        _ => Err(DomainError::not_found(
            "programme_id",
            "training programme",
            text,
        )),
    }
}

/// `RecordFacilitation`, parsed: one week's help of one kind. `week` is its Monday;
/// whether it is past is judged against the context's today.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordFacilitation {
    pub practice_code: String,
    pub week: NaiveDate,
    pub mode: FacilitationMode,
    pub service: DigitalService,
    pub channel: FacilitationChannel,
    pub delivered_by: StaffRole,
    pub patient_groups: Vec<PatientGroup>,
    pub patients_supported: u32,
    pub outcomes: Outcomes,
    pub staff_minutes: u32,
    pub notes: String,
}

/// What became of the people helped, each a count of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcomes {
    pub registered_for_nhs_app: u32,
    pub completed_task_online: u32,
    pub referred_to_community_session: u32,
    pub declined_help: u32,
    pub set_up_proxy_access: u32,
}

impl Outcomes {
    /// Each outcome with the name of its field.
    pub fn named(&self) -> [(&'static str, u32); 5] {
        [
            ("registered_for_nhs_app", self.registered_for_nhs_app),
            ("completed_task_online", self.completed_task_online),
            (
                "referred_to_community_session",
                self.referred_to_community_session,
            ),
            ("declined_help", self.declined_help),
            ("set_up_proxy_access", self.set_up_proxy_access),
        ]
    }
}

impl TryFrom<RecordFacilitationRequest> for RecordFacilitation {
    type Error = DomainError;
    fn try_from(request: RecordFacilitationRequest) -> Result<Self> {
        let practice_code = practice_code(&request.practice_code)?;
        let week = week_monday("week", &request.week)?;
        let mode = values::known_enum("mode", request.mode)?;
        let service = values::known_enum("service", request.service)?;
        let channel = values::known_enum("channel", request.channel)?;
        let delivered_by = values::known_enum("delivered_by", request.delivered_by)?;
        let patient_groups = distinct("patient_groups", &request.patient_groups)?;
        let supported = values::count(
            "patients_supported",
            request.patients_supported,
            false,
            MAX_PATIENTS_PER_RECORD,
        )?;
        let outcomes = Outcomes {
            registered_for_nhs_app: request.registered_for_nhs_app,
            completed_task_online: request.completed_task_online,
            referred_to_community_session: request.referred_to_community_session,
            declined_help: request.declined_help,
            set_up_proxy_access: request.set_up_proxy_access,
        };
        for (field, count) in outcomes.named() {
            if count > supported {
                return Err(DomainError::invalid(
                    field,
                    format!("{count} is more than the {supported} patients supported"),
                ));
            }
        }
        Ok(Self {
            practice_code,
            week,
            mode,
            service,
            channel,
            delivered_by,
            patient_groups,
            patients_supported: supported,
            outcomes,
            staff_minutes: values::count(
                "staff_minutes",
                request.staff_minutes,
                true,
                MAX_STAFF_MINUTES,
            )?,
            notes: values::optional_text("notes", &request.notes, MAX_NOTES_CHARS)?,
        })
    }
}

/// `ChangeServiceStatus`, parsed; an empty effective date is the context's today.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeServiceStatus {
    pub practice_code: String,
    pub service: DigitalService,
    pub status: ServiceStatus,
    pub reason: String,
    pub reason_kind: ServiceChangeReason,
    pub effective_date: Option<NaiveDate>,
}

impl TryFrom<ChangeServiceStatusRequest> for ChangeServiceStatus {
    type Error = DomainError;
    fn try_from(request: ChangeServiceStatusRequest) -> Result<Self> {
        let practice_code = practice_code(&request.practice_code)?;
        let service = values::known_enum("service", request.service)?;
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
        Ok(Self {
            practice_code,
            service,
            status,
            reason,
            reason_kind,
            effective_date: values::optional_date("effective_date", &request.effective_date)?,
        })
    }
}

parsed! {
    /// `NameDigitalChampion`, parsed; an empty effective date is the context's today.
    pub struct NameDigitalChampion from NameDigitalChampionRequest as request {
        practice_code: String = practice_code(&request.practice_code)?,
        staff_ref: String = staff_ref("staff_ref", &request.staff_ref)?,
        staff_role: StaffRole = values::known_enum("staff_role", request.staff_role)?,
        services: Vec<DigitalService> = distinct("services", &request.services)?,
        effective_date: Option<NaiveDate> =
            values::optional_date("effective_date", &request.effective_date)?,
    }
}

/// People in one role at one practice: more than any practice employs.
const MAX_HEADCOUNT: u32 = 1_000;

parsed! {
    /// `ReportStaffInPost`, parsed; an empty date is the context's today.
    pub struct ReportStaffInPost from ReportStaffInPostRequest as request {
        practice_code: String = practice_code(&request.practice_code)?,
        staff_role: StaffRole = values::known_enum("staff_role", request.staff_role)?,
        headcount: u32 = values::count("headcount", request.headcount, true, MAX_HEADCOUNT)?,
        as_of: Option<NaiveDate> = values::optional_date("as_of", &request.as_of)?,
    }
}

parsed! {
    /// `EnrolStaff`, parsed; an empty date is the context's today.
    pub struct EnrolStaff from EnrolStaffRequest as request {
        practice_code: String = practice_code(&request.practice_code)?,
        staff_ref: String = staff_ref("staff_ref", &request.staff_ref)?,
        staff_role: StaffRole = values::known_enum("staff_role", request.staff_role)?,
        programme_id: Uuid = values::id("programme_id", &request.programme_id)?,
        enrolled_on: Option<NaiveDate> =
            values::optional_date("enrolled_on", &request.enrolled_on)?,
    }
}

/// `CompleteModule` (with a module) or `CompleteTraining` (without), parsed; an empty
/// date is the context's today.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub practice_code: String,
    pub staff_ref: String,
    pub programme_id: Uuid,
    pub module_id: String,
    pub completed_on: Option<NaiveDate>,
}

impl Completion {
    fn parse(
        practice: &str,
        staff: &str,
        programme_id: &str,
        module_id: Option<&str>,
        completed_on: &str,
    ) -> Result<Self> {
        Ok(Self {
            practice_code: practice_code(practice)?,
            staff_ref: staff_ref("staff_ref", staff)?,
            programme_id: values::id("programme_id", programme_id)?,
            module_id: match module_id {
                Some(module) => values::text("module_id", module, MAX_MODULE_ID_CHARS)?,
                None => String::new(),
            },
            completed_on: values::optional_date("completed_on", completed_on)?,
        })
    }
}

impl TryFrom<CompleteModuleRequest> for Completion {
    type Error = DomainError;
    fn try_from(request: CompleteModuleRequest) -> Result<Self> {
        Self::parse(
            &request.practice_code,
            &request.staff_ref,
            &request.programme_id,
            Some(&request.module_id),
            &request.completed_on,
        )
    }
}

impl TryFrom<CompleteTrainingRequest> for Completion {
    type Error = DomainError;
    fn try_from(request: CompleteTrainingRequest) -> Result<Self> {
        Self::parse(
            &request.practice_code,
            &request.staff_ref,
            &request.programme_id,
            None,
            &request.completed_on,
        )
    }
}

parsed! {
    /// `AdoptPlatform`, parsed; an empty effective date is the context's today.
    pub struct AdoptPlatform from AdoptPlatformRequest as request {
        practice_code: String = practice_code(&request.practice_code)?,
        platform_id: Uuid = values::id("platform_id", &request.platform_id)?,
        services: Vec<DigitalService> = distinct("services", &request.services)?,
        effective_date: Option<NaiveDate> =
            values::optional_date("effective_date", &request.effective_date)?,
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
        command: RecordFacilitation,
        ctx: &Context,
    ) -> Result<Vec<PracticeEvent>> {
        let week = not_future_week("week", command.week, ctx.today())?.iso_week();
        allowed(Command::RecordFacilitation, &command.practice_code, ctx)?;
        let outcomes = command.outcomes;
        Ok(vec![
            FacilitationRecorded {
                practice_code: command.practice_code,
                week: format!("{}-W{:02}", week.year(), week.week()),
                mode: command.mode.into(),
                service: command.service.into(),
                channel: command.channel.into(),
                delivered_by: command.delivered_by.into(),
                patient_groups: ints(command.patient_groups),
                patients_supported: command.patients_supported,
                registered_for_nhs_app: outcomes.registered_for_nhs_app,
                completed_task_online: outcomes.completed_task_online,
                referred_to_community_session: outcomes.referred_to_community_session,
                declined_help: outcomes.declined_help,
                set_up_proxy_access: outcomes.set_up_proxy_access,
                staff_minutes: command.staff_minutes,
                notes: command.notes,
            }
            .into(),
        ])
    }

    /// `ChangeServiceStatus`: offer, pause or withdraw a digital service. Pausing and
    /// withdrawing need a reason (the commissioner's "why"); setting the status it already
    /// has records nothing, whatever the reason.
    pub fn change_service_status(
        &self,
        command: ChangeServiceStatus,
        ctx: &Context,
    ) -> Result<Vec<PracticeEvent>> {
        let on = past_date("effective_date", command.effective_date, ctx.today())?;
        allowed(Command::ChangeServiceStatus, &command.practice_code, ctx)?;
        if self.services.get(&command.service) == Some(&command.status) {
            return Ok(Vec::new());
        }
        Ok(vec![
            DigitalServiceStatusChanged {
                practice_code: command.practice_code,
                service: command.service.into(),
                status: command.status.into(),
                reason: command.reason,
                effective_date: iso(on),
                reason_kind: command.reason_kind.into(),
            }
            .into(),
        ])
    }

    /// `NameDigitalChampion`: naming someone again with another role or other services
    /// updates them; naming them again unchanged records nothing.
    pub fn name_digital_champion(
        &self,
        command: NameDigitalChampion,
        ctx: &Context,
    ) -> Result<Vec<PracticeEvent>> {
        let on = past_date("effective_date", command.effective_date, ctx.today())?;
        allowed(Command::NameDigitalChampion, &command.practice_code, ctx)?;
        let champion = Champion {
            role: command.staff_role,
            services: command.services,
        };
        if self.champions.get(&command.staff_ref) == Some(&champion) {
            return Ok(Vec::new());
        }
        Ok(vec![
            DigitalChampionNamed {
                practice_code: command.practice_code,
                staff_ref: command.staff_ref,
                staff_role: champion.role.into(),
                services: ints(champion.services),
                effective_date: iso(on),
            }
            .into(),
        ])
    }

    /// `ReportStaffInPost`: the same figure for the same role and date again records
    /// nothing; another figure for a date replaces it in the views.
    pub fn report_staff_in_post(
        &self,
        command: ReportStaffInPost,
        ctx: &Context,
    ) -> Result<Vec<PracticeEvent>> {
        let on = past_date("as_of", command.as_of, ctx.today())?;
        allowed(Command::ReportStaffInPost, &command.practice_code, ctx)?;
        if self.staff_in_post.get(&(command.staff_role, on)) == Some(&command.headcount) {
            return Ok(Vec::new());
        }
        Ok(vec![
            StaffInPostReported {
                practice_code: command.practice_code,
                staff_role: command.staff_role.into(),
                headcount: command.headcount,
                as_of: iso(on),
            }
            .into(),
        ])
    }

    /// `EnrolStaff` on a launched programme whose audience includes the staff role.
    /// `programme` is the state of the programme the request names.
    pub fn enrol_staff(
        &self,
        command: EnrolStaff,
        programme: &Programme,
        ctx: &Context,
    ) -> Result<Vec<PracticeEvent>> {
        let EnrolStaff {
            practice_code: code,
            staff_ref: staff,
            staff_role: role,
            programme_id,
            enrolled_on,
        } = command;
        let on = past_date("enrolled_on", enrolled_on, ctx.today())?;
        allowed(Command::EnrolStaff, &code, ctx)?;
        let id = launched(programme, programme_id)?;
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

    /// The checks `CompleteModule` and `CompleteTraining` share, in the order a caller
    /// meets them: the completion date, the caller, the programme and the enrolment.
    fn completion(
        &self,
        command: Command,
        completion: &Completion,
        programme: &Programme,
        ctx: &Context,
    ) -> Result<(Uuid, NaiveDate, &Enrolment)> {
        let on = past_date("completed_on", completion.completed_on, ctx.today())?;
        allowed(command, &completion.practice_code, ctx)?;
        let id = launched(programme, completion.programme_id)?;
        let enrolment = self.enrolment(&completion.staff_ref, &id)?;
        Ok((id, on, enrolment))
    }

    /// `CompleteModule` of a programme the member of staff is enrolled on. Completing a
    /// module again records nothing (the first completion date stands).
    pub fn complete_module(
        &self,
        command: Completion,
        programme: &Programme,
        ctx: &Context,
    ) -> Result<Vec<PracticeEvent>> {
        let (id, on, enrolment) =
            self.completion(Command::CompleteModule, &command, programme, ctx)?;
        let module = command.module_id;
        if !programme.module_ids.contains(&module) {
            return Err(DomainError::invalid(
                "module_id",
                format!(
                    "{module} is not a module of programme {id} ({})",
                    programme.module_ids.join(", ")
                ),
            ));
        }
        require_after_enrolment(on, enrolment)?;
        if enrolment.modules_completed.contains(&module) {
            return Ok(Vec::new());
        }
        Ok(vec![
            ModuleCompleted {
                practice_code: command.practice_code,
                staff_ref: command.staff_ref,
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
        command: Completion,
        programme: &Programme,
        ctx: &Context,
    ) -> Result<Vec<PracticeEvent>> {
        let (id, on, enrolment) =
            self.completion(Command::CompleteTraining, &command, programme, ctx)?;
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
                    "{} has not completed module(s) {} of programme {id}",
                    command.staff_ref,
                    missing.join(", ")
                ),
            ));
        }
        require_after_enrolment(on, enrolment)?;
        Ok(vec![
            TrainingCompleted {
                practice_code: command.practice_code,
                staff_ref: command.staff_ref,
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
        command: AdoptPlatform,
        platform: &Platform,
        ctx: &Context,
    ) -> Result<Vec<PracticeEvent>> {
        let on = past_date("effective_date", command.effective_date, ctx.today())?;
        allowed(Command::AdoptPlatform, &command.practice_code, ctx)?;
        let requested = command.platform_id.to_string();
        let id = platform.require_registered("platform_id", &requested)?;
        if id != command.platform_id {
            return Err(DomainError::not_found("platform_id", "platform", requested));
        }
        let services = command.services;
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
                practice_code: command.practice_code,
                platform_id: id.to_string(),
                effective_date: iso(on),
                services: ints(services),
            }
            .into(),
        ])
    }
}

/// A completion is on or after the enrolment it completes.
fn require_after_enrolment(on: NaiveDate, enrolment: &Enrolment) -> Result<()> {
    if on < enrolment.enrolled_on {
        return Err(DomainError::invalid(
            "completed_on",
            format!("{on} is before the enrolment on {}", enrolment.enrolled_on),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
