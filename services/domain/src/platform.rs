//! Platforms and what their providers tell practices about them (stream
//! `platform-<id>`: the registration, announced changes and published training
//! material), and the usability problems practices report against them (stream
//! `issue-<id>`, one per issue).
//!
//! An issue records the provider of its platform when it is reported, so that answering
//! it needs only the issue's own stream, and so that "a provider answers only issues on
//! its own platforms" (DESIGN.md §6) is a policy check on a fact of the issue rather than
//! on whatever the request claims. For the same reason changes and materials are
//! authorised against the provider the platform was registered by, never a code in the
//! request.

use chrono::NaiveDate;
use proto::v1::{
    AcknowledgeUsabilityIssueRequest, AnnouncePlatformChangeRequest, DigitalService,
    IssueResolutionKind, IssueSeverity, MaterialFormat, OrganisationKind, PatientGroup,
    PlatformCategory, PlatformChangeAnnounced, PlatformRegistered, PublishTrainingMaterialRequest,
    RegisterPlatformRequest, ReportUsabilityIssueRequest, ResolveUsabilityIssueRequest, StaffRole,
    TrainingMaterialPublished, UsabilityIssueAcknowledged, UsabilityIssueCategory,
    UsabilityIssueReported, UsabilityIssueResolved,
};
use uuid::Uuid;

use crate::aggregate::{Aggregate, Context};
use crate::codes;
use crate::command::Command;
use crate::error::{DomainError, Result};
use crate::policy::{Party, Targets};
use crate::values;
use crate::values::parsed;

crate::event_set! {
    pub enum PlatformEvent {
        PlatformRegistered,
        PlatformChangeAnnounced,
        TrainingMaterialPublished,
    }
}

crate::event_set! {
    pub enum IssueEvent {
        UsabilityIssueReported,
        UsabilityIssueAcknowledged,
        UsabilityIssueResolved,
    }
}

/// The stream of a platform, its announced changes and its training material.
pub fn stream(id: &Uuid) -> String {
    format!("platform-{id}")
}

/// The stream of one usability issue.
pub fn issue_stream(id: &Uuid) -> String {
    format!("issue-{id}")
}

/// Longest URL accepted: enough for any real link, short enough to keep events small.
const MAX_URL_CHARS: usize = 500;
/// More languages than any one piece of material is published in.
const MAX_LANGUAGES: usize = 50;

/// A change the provider announced, kept so that training material can name it.
#[derive(Debug, Clone, PartialEq)]
pub struct AnnouncedChange {
    pub id: Uuid,
    pub effective_date: NaiveDate,
    pub retraining_required: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Platform {
    /// Set once the platform is registered.
    pub id: Option<Uuid>,
    /// The provider that registered it: the only organisation that speaks for it.
    pub provider_code: String,
    pub name: String,
    pub category: PlatformCategory,
    pub services: Vec<DigitalService>,
    /// Announced changes, oldest first.
    pub changes: Vec<AnnouncedChange>,
    /// Ids of published training material, oldest first.
    pub material_ids: Vec<Uuid>,
}

impl Aggregate for Platform {
    type Event = PlatformEvent;
    fn apply(&mut self, event: &PlatformEvent) {
        match event {
            PlatformEvent::PlatformRegistered(e) => {
                self.id = Uuid::try_parse(&e.platform_id).ok();
                self.provider_code = e.provider_code.clone();
                self.name = e.name.clone();
                self.category = e.category();
                self.services = e.services().collect();
            }
            PlatformEvent::PlatformChangeAnnounced(e) => {
                if let Ok(id) = Uuid::try_parse(&e.change_id) {
                    self.changes.push(AnnouncedChange {
                        id,
                        effective_date: NaiveDate::parse_from_str(&e.effective_date, "%Y-%m-%d")
                            .unwrap_or(NaiveDate::MIN),
                        retraining_required: e.retraining_required,
                    });
                }
            }
            PlatformEvent::TrainingMaterialPublished(e) => {
                if let Ok(id) = Uuid::try_parse(&e.material_id) {
                    self.material_ids.push(id);
                }
            }
        }
    }
}

fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// A required `https://` URL with a host, at most [`MAX_URL_CHARS`] long.
fn https_url(field: &str, text: &str) -> Result<String> {
    let url = text.trim();
    if url.is_empty() {
        return Err(DomainError::invalid(field, "is required (an https:// URL)"));
    }
    if url.chars().count() > MAX_URL_CHARS {
        return Err(DomainError::invalid(
            field,
            format!("is longer than {MAX_URL_CHARS} characters"),
        ));
    }
    let Some(rest) = url.strip_prefix("https://") else {
        return Err(DomainError::invalid(field, "must be an https:// URL"));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(DomainError::invalid(
            field,
            "is not a URL like https://example.org/guide",
        ));
    }
    Ok(url.to_owned())
}

/// An optional `https://` URL: empty stays empty.
fn optional_https_url(field: &str, text: &str) -> Result<String> {
    if text.trim().is_empty() {
        return Ok(String::new());
    }
    https_url(field, text)
}

/// An enum that may be left unspecified (zero), and must be known otherwise.
fn optional_enum<E>(field: &str, value: i32) -> Result<Option<E>>
where
    E: TryFrom<i32>,
{
    if value == 0 {
        return Ok(None);
    }
    values::known_enum(field, value).map(Some)
}

fn to_i32<E: Into<i32>>(values: Vec<E>) -> Vec<i32> {
    values.into_iter().map(Into::into).collect()
}

/// At least one language, each a BCP-47 code, none twice.
fn languages(field: &str, tags: &[String]) -> Result<Vec<String>> {
    if tags.is_empty() {
        return Err(DomainError::invalid(
            field,
            "needs at least one language (a BCP-47 code such as en or pl)",
        ));
    }
    if tags.len() > MAX_LANGUAGES {
        return Err(DomainError::invalid(
            field,
            format!("lists more than {MAX_LANGUAGES} languages"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for (i, tag) in tags.iter().enumerate() {
        let field = format!("{field}[{i}]");
        let tag = values::language_tag(&field, tag)?;
        if out.iter().any(|seen| seen.eq_ignore_ascii_case(&tag)) {
            return Err(DomainError::invalid(
                field,
                format!("{tag} is listed twice"),
            ));
        }
        out.push(tag);
    }
    Ok(out)
}

parsed! {
    /// `RegisterPlatform`, parsed; the platform's id is the client's or derived by the service.
    pub struct RegisterPlatform from RegisterPlatformRequest as request {
        provider_code: String = codes::reference("provider_code", &request.provider_code)?,
        name: String = values::text("name", &request.name, 200)?,
        category: PlatformCategory = values::known_enum("category", request.category)?,
        services: Vec<DigitalService> =
            values::distinct_enums("services", &request.services, false)?,
        website_url: String = optional_https_url("website_url", &request.website_url)?,
        description: String = values::optional_text("description", &request.description, 4000)?,
    }
}

parsed! {
    /// `AnnouncePlatformChange`, parsed; the change's id is the client's or derived by the
    /// service.
    pub struct AnnouncePlatformChange from AnnouncePlatformChangeRequest as request {
        platform_id: Uuid = values::id("platform_id", &request.platform_id)?,
        effective_date: NaiveDate = values::date("effective_date", &request.effective_date)?,
        roles_affected: Vec<StaffRole> =
            values::distinct_enums(
                "roles_affected",
                &request.roles_affected,
                request.retraining_required,
            )?,
        retraining_required: bool = request.retraining_required,
        summary: String = values::text("summary", &request.summary, 2000)?,
        patient_facing: bool = request.patient_facing,
        services_affected: Vec<DigitalService> =
            values::distinct_enums("services_affected", &request.services_affected, false)?,
    }
}

/// `PublishTrainingMaterial`, parsed; the material's id is the client's or derived by the
/// service.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishTrainingMaterial {
    pub platform_id: Uuid,
    pub title: String,
    pub formats: Vec<MaterialFormat>,
    pub languages: Vec<String>,
    pub url: String,
    pub change_id: Option<Uuid>,
    pub audience_roles: Vec<StaffRole>,
    pub for_patients: bool,
}

impl TryFrom<PublishTrainingMaterialRequest> for PublishTrainingMaterial {
    type Error = DomainError;
    fn try_from(request: PublishTrainingMaterialRequest) -> Result<Self> {
        let platform_id = values::id("platform_id", &request.platform_id)?;
        let title = values::text("title", &request.title, 200)?;
        let formats = values::distinct_enums("formats", &request.formats, true)?;
        let languages = languages("languages", &request.languages)?;
        let url = https_url("url", &request.url)?;
        let change_id = if request.change_id.trim().is_empty() {
            None
        } else {
            Some(values::id("change_id", &request.change_id)?)
        };
        let audience_roles: Vec<StaffRole> =
            values::distinct_enums("audience_roles", &request.audience_roles, false)?;
        if audience_roles.is_empty() && !request.for_patients {
            return Err(DomainError::invalid(
                "audience_roles",
                "name the staff it is written for, or mark it as for patients",
            ));
        }
        Ok(Self {
            platform_id,
            title,
            formats,
            languages,
            url,
            change_id,
            audience_roles,
            for_patients: request.for_patients,
        })
    }
}

impl Platform {
    /// The platform's id if it is registered; NotFound naming `field` otherwise.
    pub fn require_registered(&self, field: &str, requested: &str) -> Result<Uuid> {
        self.id
            .ok_or_else(|| DomainError::not_found(field, "platform", requested))
    }

    /// The announced change `id`, if this platform has one.
    pub fn change(&self, id: &Uuid) -> Option<&AnnouncedChange> {
        self.changes.iter().find(|change| change.id == *id)
    }

    pub fn register(
        &self,
        id: Uuid,
        command: RegisterPlatform,
        ctx: &Context,
    ) -> Result<Vec<PlatformEvent>> {
        let RegisterPlatform {
            provider_code: provider,
            name,
            category,
            services,
            website_url: website,
            description,
        } = command;
        let today = ctx.today();
        ctx.authorize(Command::RegisterPlatform, &Targets::of(&provider))?;
        if self.id.is_some() {
            return Err(DomainError::exists(
                "platform_id",
                "platform",
                id.to_string(),
            ));
        }
        ctx.registry.require(
            "provider_code",
            &provider,
            &[OrganisationKind::Provider],
            today,
        )?;
        Ok(vec![
            PlatformRegistered {
                platform_id: id.to_string(),
                provider_code: provider,
                name,
                category: category.into(),
                services: to_i32(services),
                website_url: website,
                description,
            }
            .into(),
        ])
    }

    /// The provider may speak for this platform: it is registered, and the caller acts for
    /// the provider that registered it.
    fn require_provider(&self, command: Command, requested: Uuid, ctx: &Context) -> Result<Uuid> {
        let requested = &requested.to_string();
        // Judged before the platform is looked up, so that an outsider learns nothing of
        // which platforms exist.
        ctx.authorize(
            command,
            &Targets::on("platform", requested).with(Party::Target, &self.provider_code),
        )?;
        self.require_registered("platform_id", requested)
    }

    pub fn announce_change(
        &self,
        change_id: Uuid,
        command: AnnouncePlatformChange,
        ctx: &Context,
    ) -> Result<Vec<PlatformEvent>> {
        let platform_id =
            self.require_provider(Command::AnnouncePlatformChange, command.platform_id, ctx)?;
        if self.change(&change_id).is_some() {
            return Err(DomainError::exists(
                "change_id",
                "platform change",
                change_id.to_string(),
            ));
        }
        Ok(vec![
            PlatformChangeAnnounced {
                change_id: change_id.to_string(),
                platform_id: platform_id.to_string(),
                effective_date: iso(command.effective_date),
                roles_affected: to_i32(command.roles_affected),
                retraining_required: command.retraining_required,
                summary: command.summary,
                patient_facing: command.patient_facing,
                services_affected: to_i32(command.services_affected),
            }
            .into(),
        ])
    }

    pub fn publish_material(
        &self,
        material_id: Uuid,
        command: PublishTrainingMaterial,
        ctx: &Context,
    ) -> Result<Vec<PlatformEvent>> {
        let platform_id =
            self.require_provider(Command::PublishTrainingMaterial, command.platform_id, ctx)?;
        if self.material_ids.contains(&material_id) {
            return Err(DomainError::exists(
                "material_id",
                "training material",
                material_id.to_string(),
            ));
        }
        if let Some(change) = command.change_id
            && self.change(&change).is_none()
        {
            return Err(DomainError::not_found(
                "change_id",
                "announced change",
                change.to_string(),
            ));
        }
        Ok(vec![
            TrainingMaterialPublished {
                material_id: material_id.to_string(),
                platform_id: platform_id.to_string(),
                title: command.title,
                formats: to_i32(command.formats),
                languages: command.languages,
                url: command.url,
                change_id: command.change_id.map(|c| c.to_string()).unwrap_or_default(),
                audience_roles: to_i32(command.audience_roles),
                for_patients: command.for_patients,
            }
            .into(),
        ])
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IssueStatus {
    /// Nothing reported on this stream.
    #[default]
    None,
    Reported,
    Acknowledged,
    Resolved,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsabilityIssue {
    pub status: IssueStatus,
    pub platform_id: String,
    /// The platform's provider when the issue was reported: who answers it.
    pub provider_code: String,
    pub practice_code: String,
    pub category: UsabilityIssueCategory,
    pub severity: IssueSeverity,
    pub resolution_kind: IssueResolutionKind,
}

impl Aggregate for UsabilityIssue {
    type Event = IssueEvent;
    fn apply(&mut self, event: &IssueEvent) {
        match event {
            IssueEvent::UsabilityIssueReported(e) => {
                *self = Self {
                    status: IssueStatus::Reported,
                    platform_id: e.platform_id.clone(),
                    provider_code: e.provider_code.clone(),
                    practice_code: e.practice_code.clone(),
                    category: e.category(),
                    severity: e.severity(),
                    resolution_kind: IssueResolutionKind::Unspecified,
                };
            }
            IssueEvent::UsabilityIssueAcknowledged(_) => self.status = IssueStatus::Acknowledged,
            IssueEvent::UsabilityIssueResolved(e) => {
                self.status = IssueStatus::Resolved;
                self.resolution_kind = e.resolution_kind();
            }
        }
    }
}

parsed! {
    /// `ReportUsabilityIssue`, parsed; the issue's id is the client's or derived by the
    /// service.
    pub struct ReportUsabilityIssue from ReportUsabilityIssueRequest as request {
        platform_id: Uuid = values::id("platform_id", &request.platform_id)?,
        practice_code: String = codes::reference("practice_code", &request.practice_code)?,
        category: UsabilityIssueCategory = values::known_enum("category", request.category)?,
        severity: IssueSeverity = values::known_enum("severity", request.severity)?,
        description: String = values::text("description", &request.description, 4000)?,
        service: Option<DigitalService> = optional_enum("service", request.service)?,
        patient_groups_affected: Vec<PatientGroup> =
            values::distinct_enums(
                "patient_groups_affected",
                &request.patient_groups_affected,
                false,
            )?,
    }
}

parsed! {
    /// `AcknowledgeUsabilityIssue`, parsed. Whether the expected date is past is judged
    /// against the context's today.
    pub struct AcknowledgeUsabilityIssue from AcknowledgeUsabilityIssueRequest as request {
        issue_id: Uuid = values::id("issue_id", &request.issue_id)?,
        note: String = values::optional_text("note", &request.note, 2000)?,
        expected_resolution_date: Option<NaiveDate> =
            values::optional_date("expected_resolution_date", &request.expected_resolution_date)?,
    }
}

parsed! {
    /// `ResolveUsabilityIssue`, parsed.
    pub struct ResolveUsabilityIssue from ResolveUsabilityIssueRequest as request {
        issue_id: Uuid = values::id("issue_id", &request.issue_id)?,
        resolution: String = values::text("resolution", &request.resolution, 4000)?,
        resolution_kind: Option<IssueResolutionKind> =
            optional_enum("resolution_kind", request.resolution_kind)?,
    }
}

impl UsabilityIssue {
    /// `platform` is the state of the platform the request names, loaded by the caller.
    pub fn report(
        &self,
        id: Uuid,
        command: ReportUsabilityIssue,
        platform: &Platform,
        ctx: &Context,
    ) -> Result<Vec<IssueEvent>> {
        let ReportUsabilityIssue {
            platform_id,
            practice_code: practice,
            category,
            severity,
            description,
            service,
            patient_groups_affected: groups,
        } = command;
        let today = ctx.today();
        ctx.authorize(Command::ReportUsabilityIssue, &Targets::of(&practice))?;
        if self.status != IssueStatus::None {
            return Err(DomainError::exists(
                "issue_id",
                "usability issue",
                id.to_string(),
            ));
        }
        ctx.registry.require(
            "practice_code",
            &practice,
            &[OrganisationKind::Practice],
            today,
        )?;
        let registered = platform.require_registered("platform_id", &platform_id.to_string())?;
        if registered != platform_id {
            // The caller loaded another platform than the request names: a bug, not a
            // request to honour.
            return Err(DomainError::not_found(
                "platform_id",
                "platform",
                platform_id.to_string(),
            ));
        }
        Ok(vec![
            UsabilityIssueReported {
                issue_id: id.to_string(),
                platform_id: platform_id.to_string(),
                provider_code: platform.provider_code.clone(),
                practice_code: practice,
                category: category.into(),
                severity: severity.into(),
                description,
                service: service.map_or(0, i32::from),
                patient_groups_affected: to_i32(groups),
            }
            .into(),
        ])
    }

    /// The issue exists, the caller acts for its provider, and its status is one of
    /// `allowed`; its id, as the events record it.
    fn require_answerable(
        &self,
        command: Command,
        requested: Uuid,
        allowed: &[IssueStatus],
        action: &str,
        ctx: &Context,
    ) -> Result<String> {
        let requested = requested.to_string();
        ctx.authorize(
            command,
            &Targets::on("usability issue", &requested).with(Party::Target, &self.provider_code),
        )?;
        if self.status == IssueStatus::None {
            return Err(DomainError::not_found(
                "issue_id",
                "usability issue",
                requested,
            ));
        }
        if !allowed.contains(&self.status) {
            return Err(DomainError::precondition(
                "issue_id",
                format!("cannot {action} an issue that is {:?}", self.status).to_lowercase(),
            ));
        }
        Ok(requested)
    }

    pub fn acknowledge(
        &self,
        command: AcknowledgeUsabilityIssue,
        ctx: &Context,
    ) -> Result<Vec<IssueEvent>> {
        let expected = match command.expected_resolution_date {
            Some(date) if date < ctx.today() => {
                return Err(DomainError::invalid(
                    "expected_resolution_date",
                    format!("{date} is in the past"),
                ));
            }
            Some(date) => iso(date),
            None => String::new(),
        };
        let issue_id = self.require_answerable(
            Command::AcknowledgeUsabilityIssue,
            command.issue_id,
            &[IssueStatus::Reported],
            "acknowledge",
            ctx,
        )?;
        Ok(vec![
            UsabilityIssueAcknowledged {
                issue_id,
                note: command.note,
                expected_resolution_date: expected,
            }
            .into(),
        ])
    }

    pub fn resolve(
        &self,
        command: ResolveUsabilityIssue,
        ctx: &Context,
    ) -> Result<Vec<IssueEvent>> {
        let issue_id = self.require_answerable(
            Command::ResolveUsabilityIssue,
            command.issue_id,
            &[IssueStatus::Reported, IssueStatus::Acknowledged],
            "resolve",
            ctx,
        )?;
        Ok(vec![
            UsabilityIssueResolved {
                issue_id,
                resolution: command.resolution,
                resolution_kind: command.resolution_kind.map_or(0, i32::from),
            }
            .into(),
        ])
    }
}

#[cfg(test)]
mod tests;
