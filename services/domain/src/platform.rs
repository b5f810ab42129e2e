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
use difacto_proto::v1::{
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
use crate::policy::{Party, Targets, authorize};
use crate::values;

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

/// Every value of a repeated enum field is known and listed once.
fn distinct_enums<E>(field: &str, values: &[i32], required: bool) -> Result<Vec<E>>
where
    E: TryFrom<i32> + PartialEq,
{
    let parsed: Vec<E> = values::known_enums(field, values, required)?;
    for (i, value) in parsed.iter().enumerate() {
        if parsed[..i].contains(value) {
            return Err(DomainError::invalid(
                format!("{field}[{i}]"),
                "is listed twice",
            ));
        }
    }
    Ok(parsed)
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
        request: RegisterPlatformRequest,
        ctx: &Context,
    ) -> Result<Vec<PlatformEvent>> {
        let provider = codes::reference("provider_code", &request.provider_code)?;
        let name = values::text("name", &request.name, 200)?;
        let category: PlatformCategory = values::known_enum("category", request.category)?;
        let services: Vec<DigitalService> = distinct_enums("services", &request.services, false)?;
        let website = optional_https_url("website_url", &request.website_url)?;
        let description = values::optional_text("description", &request.description, 4000)?;
        let today = ctx.today();
        authorize(
            &ctx.actor,
            Command::RegisterPlatform,
            &Targets::of(&provider),
            &ctx.registry,
            today,
        )?;
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
    fn require_provider(&self, command: Command, requested: &str, ctx: &Context) -> Result<Uuid> {
        // Judged before the platform is looked up, so that an outsider learns nothing of
        // which platforms exist.
        authorize(
            &ctx.actor,
            command,
            &Targets::on("platform", requested).with(Party::Target, &self.provider_code),
            &ctx.registry,
            ctx.today(),
        )?;
        self.require_registered("platform_id", requested)
    }

    pub fn announce_change(
        &self,
        change_id: Uuid,
        request: AnnouncePlatformChangeRequest,
        ctx: &Context,
    ) -> Result<Vec<PlatformEvent>> {
        let effective = values::date("effective_date", &request.effective_date)?;
        let roles: Vec<StaffRole> = distinct_enums(
            "roles_affected",
            &request.roles_affected,
            request.retraining_required,
        )?;
        let summary = values::text("summary", &request.summary, 2000)?;
        let services: Vec<DigitalService> =
            distinct_enums("services_affected", &request.services_affected, false)?;
        let platform_id =
            self.require_provider(Command::AnnouncePlatformChange, &request.platform_id, ctx)?;
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
                effective_date: iso(effective),
                roles_affected: to_i32(roles),
                retraining_required: request.retraining_required,
                summary,
                patient_facing: request.patient_facing,
                services_affected: to_i32(services),
            }
            .into(),
        ])
    }

    pub fn publish_material(
        &self,
        material_id: Uuid,
        request: PublishTrainingMaterialRequest,
        ctx: &Context,
    ) -> Result<Vec<PlatformEvent>> {
        let title = values::text("title", &request.title, 200)?;
        let formats: Vec<MaterialFormat> = distinct_enums("formats", &request.formats, true)?;
        let languages = languages("languages", &request.languages)?;
        let url = https_url("url", &request.url)?;
        let change_id = if request.change_id.trim().is_empty() {
            None
        } else {
            Some(values::id("change_id", &request.change_id)?)
        };
        let audience: Vec<StaffRole> =
            distinct_enums("audience_roles", &request.audience_roles, false)?;
        if audience.is_empty() && !request.for_patients {
            return Err(DomainError::invalid(
                "audience_roles",
                "name the staff it is written for, or mark it as for patients",
            ));
        }
        let platform_id =
            self.require_provider(Command::PublishTrainingMaterial, &request.platform_id, ctx)?;
        if self.material_ids.contains(&material_id) {
            return Err(DomainError::exists(
                "material_id",
                "training material",
                material_id.to_string(),
            ));
        }
        if let Some(change) = change_id
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
                title,
                formats: to_i32(formats),
                languages,
                url,
                change_id: change_id.map(|c| c.to_string()).unwrap_or_default(),
                audience_roles: to_i32(audience),
                for_patients: request.for_patients,
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

impl UsabilityIssue {
    /// `platform` is the state of the platform the request names, loaded by the caller.
    pub fn report(
        &self,
        id: Uuid,
        request: ReportUsabilityIssueRequest,
        platform: &Platform,
        ctx: &Context,
    ) -> Result<Vec<IssueEvent>> {
        let platform_id = values::id("platform_id", &request.platform_id)?;
        let practice = codes::reference("practice_code", &request.practice_code)?;
        let category: UsabilityIssueCategory = values::known_enum("category", request.category)?;
        let severity: IssueSeverity = values::known_enum("severity", request.severity)?;
        let description = values::text("description", &request.description, 4000)?;
        let service: Option<DigitalService> = optional_enum("service", request.service)?;
        let groups: Vec<PatientGroup> = distinct_enums(
            "patient_groups_affected",
            &request.patient_groups_affected,
            false,
        )?;
        let today = ctx.today();
        authorize(
            &ctx.actor,
            Command::ReportUsabilityIssue,
            &Targets::of(&practice),
            &ctx.registry,
            today,
        )?;
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
    /// `allowed`.
    fn require_answerable(
        &self,
        command: Command,
        requested: &str,
        allowed: &[IssueStatus],
        action: &str,
        ctx: &Context,
    ) -> Result<()> {
        authorize(
            &ctx.actor,
            command,
            &Targets::on("usability issue", requested).with(Party::Target, &self.provider_code),
            &ctx.registry,
            ctx.today(),
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
        Ok(())
    }

    pub fn acknowledge(
        &self,
        request: AcknowledgeUsabilityIssueRequest,
        ctx: &Context,
    ) -> Result<Vec<IssueEvent>> {
        let note = values::optional_text("note", &request.note, 2000)?;
        let expected = if request.expected_resolution_date.trim().is_empty() {
            String::new()
        } else {
            let date = values::date(
                "expected_resolution_date",
                &request.expected_resolution_date,
            )?;
            if date < ctx.today() {
                return Err(DomainError::invalid(
                    "expected_resolution_date",
                    format!("{date} is in the past"),
                ));
            }
            iso(date)
        };
        self.require_answerable(
            Command::AcknowledgeUsabilityIssue,
            &request.issue_id,
            &[IssueStatus::Reported],
            "acknowledge",
            ctx,
        )?;
        Ok(vec![
            UsabilityIssueAcknowledged {
                issue_id: request.issue_id,
                note,
                expected_resolution_date: expected,
            }
            .into(),
        ])
    }

    pub fn resolve(
        &self,
        request: ResolveUsabilityIssueRequest,
        ctx: &Context,
    ) -> Result<Vec<IssueEvent>> {
        let resolution = values::text("resolution", &request.resolution, 4000)?;
        let kind: Option<IssueResolutionKind> =
            optional_enum("resolution_kind", request.resolution_kind)?;
        self.require_answerable(
            Command::ResolveUsabilityIssue,
            &request.issue_id,
            &[IssueStatus::Reported, IssueStatus::Acknowledged],
            "resolve",
            ctx,
        )?;
        Ok(vec![
            UsabilityIssueResolved {
                issue_id: request.issue_id,
                resolution,
                resolution_kind: kind.map_or(0, i32::from),
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
    use difacto_proto::v1::OrganisationRegistered;

    use super::*;
    use crate::registry::{OrganisationEvent, Registry};

    const PLATFORM: Uuid = Uuid::from_u128(0x1111);
    const CHANGE: Uuid = Uuid::from_u128(0x2222);
    const MATERIAL: Uuid = Uuid::from_u128(0x3333);
    const ISSUE: Uuid = Uuid::from_u128(0x4444);

    /// X24 ─ Y56 ─ QE1 ─ A81001; X24 ─ Y63 ─ QWO ─ B82001; providers V-nhs-app and
    /// V-other-app under X24.
    fn registry() -> Registry {
        let mut registry = Registry::default();
        for (code, kind, parent) in [
            ("X24", OrganisationKind::NationalBody, ""),
            ("Y56", OrganisationKind::Region, "X24"),
            ("Y63", OrganisationKind::Region, "X24"),
            ("QE1", OrganisationKind::Icb, "Y56"),
            ("QWO", OrganisationKind::Icb, "Y63"),
            ("A81001", OrganisationKind::Practice, "QE1"),
            ("B82001", OrganisationKind::Practice, "QWO"),
            ("V-nhs-app", OrganisationKind::Provider, "X24"),
            ("V-other-app", OrganisationKind::Provider, "X24"),
        ] {
            registry.apply(&OrganisationEvent::from(OrganisationRegistered {
                code: code.into(),
                kind: kind.into(),
                name: format!("{code} name"),
                parent_code: parent.into(),
                effective_date: "2020-01-01".into(),
                ..Default::default()
            }));
        }
        registry
    }

    /// A caller acting for `org` with `roles`, on 1 May 2026.
    fn ctx(org: &str, roles: &[Role]) -> Context {
        Context {
            actor: Principal {
                subject: format!("user@{org}"),
                organisation: org.into(),
                roles: roles.to_vec(),
            },
            registry: Arc::new(registry()),
            now: Utc
                .with_ymd_and_hms(2026, 5, 1, 10, 0, 0)
                .single()
                .expect("a valid time"),
        }
    }

    fn nhs_app() -> Context {
        ctx("V-nhs-app", &[Role::ProviderAdmin])
    }

    fn other_app() -> Context {
        ctx("V-other-app", &[Role::ProviderAdmin])
    }

    /// A machine caller: the only one that may learn that a platform or issue is missing.
    fn service() -> Context {
        ctx("X24", &[Role::Service])
    }

    fn practice(code: &str) -> Context {
        ctx(code, &[Role::PracticeManager])
    }

    fn given(events: Vec<PlatformEvent>) -> Platform {
        let mut platform = Platform::default();
        for event in &events {
            platform.apply(event);
        }
        platform
    }

    fn given_issue(events: Vec<IssueEvent>) -> UsabilityIssue {
        let mut issue = UsabilityIssue::default();
        for event in &events {
            issue.apply(event);
        }
        issue
    }

    /// The field an `Invalid`, `NotFound`, `AlreadyExists` or `Precondition` names, with
    /// the variant's name; `Forbidden` as ("Forbidden", "").
    fn rejection<T: std::fmt::Debug>(result: Result<T>) -> (&'static str, String) {
        match result.expect_err("expected a rejection") {
            DomainError::Invalid { field, .. } => ("Invalid", field),
            DomainError::NotFound { field, .. } => ("NotFound", field),
            DomainError::AlreadyExists { field, .. } => ("AlreadyExists", field),
            DomainError::Precondition { field, .. } => ("Precondition", field),
            DomainError::Forbidden(_) => ("Forbidden", String::new()),
        }
    }

    fn invalid(field: &str) -> (&'static str, String) {
        ("Invalid", field.to_owned())
    }

    fn forbidden() -> (&'static str, String) {
        ("Forbidden", String::new())
    }

    fn register_request() -> RegisterPlatformRequest {
        RegisterPlatformRequest {
            provider_code: "V-nhs-app".into(),
            name: "NHS App".into(),
            category: PlatformCategory::PatientApp.into(),
            services: vec![
                DigitalService::NhsApp.into(),
                DigitalService::OnlinePrescriptions.into(),
            ],
            website_url: "https://www.nhs.uk/nhs-app/".into(),
            description: "The NHS's own app for patients in England".into(),
            ..Default::default()
        }
    }

    fn registered() -> PlatformEvent {
        PlatformRegistered {
            platform_id: PLATFORM.to_string(),
            provider_code: "V-nhs-app".into(),
            name: "NHS App".into(),
            category: PlatformCategory::PatientApp.into(),
            services: vec![DigitalService::NhsApp.into()],
            ..Default::default()
        }
        .into()
    }

    fn change_request() -> AnnouncePlatformChangeRequest {
        AnnouncePlatformChangeRequest {
            platform_id: PLATFORM.to_string(),
            effective_date: "2026-06-01".into(),
            roles_affected: vec![
                StaffRole::Receptionist.into(),
                StaffRole::CareNavigator.into(),
            ],
            retraining_required: true,
            summary: "Proxy access moves to a new menu".into(),
            patient_facing: true,
            services_affected: vec![DigitalService::NhsApp.into()],
            ..Default::default()
        }
    }

    fn announced() -> PlatformEvent {
        PlatformChangeAnnounced {
            change_id: CHANGE.to_string(),
            platform_id: PLATFORM.to_string(),
            effective_date: "2026-06-01".into(),
            retraining_required: true,
            ..Default::default()
        }
        .into()
    }

    fn material_request() -> PublishTrainingMaterialRequest {
        PublishTrainingMaterialRequest {
            platform_id: PLATFORM.to_string(),
            title: "Setting up proxy access: a guide for reception".into(),
            formats: vec![
                MaterialFormat::Guide.into(),
                MaterialFormat::BslVideo.into(),
            ],
            languages: vec!["en".into(), "en-GB".into(), "bfi".into()],
            url: "https://example.org/proxy-guide".into(),
            change_id: CHANGE.to_string(),
            audience_roles: vec![StaffRole::Receptionist.into()],
            ..Default::default()
        }
    }

    fn issue_request() -> ReportUsabilityIssueRequest {
        ReportUsabilityIssueRequest {
            platform_id: PLATFORM.to_string(),
            practice_code: "A81001".into(),
            category: UsabilityIssueCategory::Accessibility.into(),
            severity: IssueSeverity::High.into(),
            description: "Screen reader skips the repeat prescription button".into(),
            service: DigitalService::OnlinePrescriptions.into(),
            patient_groups_affected: vec![PatientGroup::SensoryImpairment.into()],
            ..Default::default()
        }
    }

    fn reported() -> IssueEvent {
        UsabilityIssueReported {
            issue_id: ISSUE.to_string(),
            platform_id: PLATFORM.to_string(),
            provider_code: "V-nhs-app".into(),
            practice_code: "A81001".into(),
            category: UsabilityIssueCategory::Accessibility.into(),
            severity: IssueSeverity::High.into(),
            description: "Screen reader skips a button".into(),
            ..Default::default()
        }
        .into()
    }

    fn acknowledged() -> IssueEvent {
        UsabilityIssueAcknowledged {
            issue_id: ISSUE.to_string(),
            ..Default::default()
        }
        .into()
    }

    fn resolved() -> IssueEvent {
        UsabilityIssueResolved {
            issue_id: ISSUE.to_string(),
            resolution: "Fixed in release 2.3".into(),
            resolution_kind: IssueResolutionKind::Fixed.into(),
        }
        .into()
    }

    fn acknowledge_request() -> AcknowledgeUsabilityIssueRequest {
        AcknowledgeUsabilityIssueRequest {
            issue_id: ISSUE.to_string(),
            note: "Reproduced; a fix is planned".into(),
            expected_resolution_date: "2026-07-01".into(),
            ..Default::default()
        }
    }

    fn resolve_request() -> ResolveUsabilityIssueRequest {
        ResolveUsabilityIssueRequest {
            issue_id: ISSUE.to_string(),
            resolution: "Fixed in release 2.3".into(),
            resolution_kind: IssueResolutionKind::Fixed.into(),
            ..Default::default()
        }
    }

    // ---- RegisterPlatform ----

    #[test]
    fn a_provider_registers_its_platform() {
        let events = given(vec![])
            .register(PLATFORM, register_request(), &nhs_app())
            .expect("registered");
        assert_eq!(
            events,
            vec![PlatformEvent::from(PlatformRegistered {
                platform_id: PLATFORM.to_string(),
                provider_code: "V-nhs-app".into(),
                name: "NHS App".into(),
                category: PlatformCategory::PatientApp.into(),
                services: vec![
                    DigitalService::NhsApp.into(),
                    DigitalService::OnlinePrescriptions.into(),
                ],
                website_url: "https://www.nhs.uk/nhs-app/".into(),
                description: "The NHS's own app for patients in England".into(),
            })]
        );
        let platform = given(events);
        assert_eq!(
            platform.require_registered("platform_id", "x"),
            Ok(PLATFORM)
        );
        assert_eq!(platform.provider_code, "V-nhs-app");
    }

    #[test]
    fn a_national_lead_registers_for_a_provider() {
        let national = ctx("X24", &[Role::NationalLead]);
        assert!(
            given(vec![])
                .register(PLATFORM, register_request(), &national)
                .is_ok()
        );
    }

    #[test]
    fn a_provider_registers_only_for_itself() {
        assert_eq!(
            rejection(given(vec![]).register(PLATFORM, register_request(), &other_app())),
            forbidden()
        );
        assert_eq!(
            rejection(given(vec![]).register(PLATFORM, register_request(), &practice("A81001"))),
            forbidden()
        );
    }

    #[test]
    fn the_provider_must_be_a_registered_provider() {
        let national = ctx("X24", &[Role::NationalLead]);
        let as_practice = RegisterPlatformRequest {
            provider_code: "A81001".into(),
            ..register_request()
        };
        assert_eq!(
            rejection(given(vec![]).register(PLATFORM, as_practice, &national)),
            invalid("provider_code")
        );
        let unknown = RegisterPlatformRequest {
            provider_code: "V-nobody".into(),
            ..register_request()
        };
        // Only a machine caller is allowed for an organisation outside the tree.
        let service = ctx("X24", &[Role::Service]);
        assert_eq!(
            rejection(given(vec![]).register(PLATFORM, unknown, &service)),
            ("NotFound", "provider_code".to_owned())
        );
    }

    #[test]
    fn a_platform_is_registered_once() {
        assert_eq!(
            rejection(given(vec![registered()]).register(PLATFORM, register_request(), &nhs_app())),
            ("AlreadyExists", "platform_id".to_owned())
        );
    }

    #[test]
    fn registration_input_names_the_field() {
        let cases: Vec<(RegisterPlatformRequest, &str)> = vec![
            (
                RegisterPlatformRequest {
                    provider_code: String::new(),
                    ..register_request()
                },
                "provider_code",
            ),
            (
                RegisterPlatformRequest {
                    name: " ".into(),
                    ..register_request()
                },
                "name",
            ),
            (
                RegisterPlatformRequest {
                    category: 0,
                    ..register_request()
                },
                "category",
            ),
            (
                RegisterPlatformRequest {
                    category: 99,
                    ..register_request()
                },
                "category",
            ),
            (
                RegisterPlatformRequest {
                    services: vec![DigitalService::NhsApp.into(), DigitalService::NhsApp.into()],
                    ..register_request()
                },
                "services[1]",
            ),
            (
                RegisterPlatformRequest {
                    website_url: "http://www.nhs.uk/nhs-app/".into(),
                    ..register_request()
                },
                "website_url",
            ),
            (
                RegisterPlatformRequest {
                    description: "questions to support@example.com".into(),
                    ..register_request()
                },
                "description",
            ),
        ];
        for (request, field) in cases {
            assert_eq!(
                rejection(given(vec![]).register(PLATFORM, request, &nhs_app())),
                invalid(field)
            );
        }
        let no_website = RegisterPlatformRequest {
            website_url: String::new(),
            description: String::new(),
            services: vec![],
            ..register_request()
        };
        assert!(
            given(vec![])
                .register(PLATFORM, no_website, &nhs_app())
                .is_ok(),
            "website, description and services are optional"
        );
    }

    // ---- AnnouncePlatformChange ----

    #[test]
    fn the_provider_announces_a_change() {
        let events = given(vec![registered()])
            .announce_change(CHANGE, change_request(), &nhs_app())
            .expect("announced");
        assert_eq!(
            events,
            vec![PlatformEvent::from(PlatformChangeAnnounced {
                change_id: CHANGE.to_string(),
                platform_id: PLATFORM.to_string(),
                effective_date: "2026-06-01".into(),
                roles_affected: vec![
                    StaffRole::Receptionist.into(),
                    StaffRole::CareNavigator.into()
                ],
                retraining_required: true,
                summary: "Proxy access moves to a new menu".into(),
                patient_facing: true,
                services_affected: vec![DigitalService::NhsApp.into()],
            })]
        );
        let platform = given(vec![registered(), events[0].clone()]);
        assert_eq!(
            platform.change(&CHANGE).map(|c| c.retraining_required),
            Some(true)
        );
    }

    #[test]
    fn only_the_platforms_provider_announces() {
        assert_eq!(
            rejection(given(vec![registered()]).announce_change(
                CHANGE,
                change_request(),
                &other_app()
            )),
            forbidden()
        );
    }

    #[test]
    fn a_change_needs_a_registered_platform() {
        assert_eq!(
            rejection(given(vec![]).announce_change(CHANGE, change_request(), &service())),
            ("NotFound", "platform_id".to_owned())
        );
        // Anyone else cannot tell a missing one from another provider's.
        assert_eq!(
            rejection(given(vec![]).announce_change(CHANGE, change_request(), &nhs_app())),
            forbidden()
        );
    }

    #[test]
    fn a_change_is_announced_once() {
        assert_eq!(
            rejection(given(vec![registered(), announced()]).announce_change(
                CHANGE,
                change_request(),
                &nhs_app()
            )),
            ("AlreadyExists", "change_id".to_owned())
        );
    }

    #[test]
    fn change_input_names_the_field() {
        let cases: Vec<(AnnouncePlatformChangeRequest, &str)> = vec![
            (
                AnnouncePlatformChangeRequest {
                    effective_date: "01/06/2026".into(),
                    ..change_request()
                },
                "effective_date",
            ),
            (
                AnnouncePlatformChangeRequest {
                    roles_affected: vec![],
                    ..change_request()
                },
                "roles_affected",
            ),
            (
                AnnouncePlatformChangeRequest {
                    roles_affected: vec![99],
                    ..change_request()
                },
                "roles_affected[0]",
            ),
            (
                AnnouncePlatformChangeRequest {
                    summary: String::new(),
                    ..change_request()
                },
                "summary",
            ),
            (
                AnnouncePlatformChangeRequest {
                    summary: "as reported for 943 476 5919".into(),
                    ..change_request()
                },
                "summary",
            ),
            (
                AnnouncePlatformChangeRequest {
                    services_affected: vec![0],
                    ..change_request()
                },
                "services_affected[0]",
            ),
        ];
        for (request, field) in cases {
            assert_eq!(
                rejection(given(vec![registered()]).announce_change(CHANGE, request, &nhs_app())),
                invalid(field)
            );
        }
        let no_retraining = AnnouncePlatformChangeRequest {
            roles_affected: vec![],
            retraining_required: false,
            ..change_request()
        };
        assert!(
            given(vec![registered()])
                .announce_change(CHANGE, no_retraining, &nhs_app())
                .is_ok(),
            "roles are needed only when staff need retraining"
        );
    }

    // ---- PublishTrainingMaterial ----

    #[test]
    fn the_provider_publishes_material_for_a_change() {
        let events = given(vec![registered(), announced()])
            .publish_material(MATERIAL, material_request(), &nhs_app())
            .expect("published");
        assert_eq!(
            events,
            vec![PlatformEvent::from(TrainingMaterialPublished {
                material_id: MATERIAL.to_string(),
                platform_id: PLATFORM.to_string(),
                title: "Setting up proxy access: a guide for reception".into(),
                formats: vec![
                    MaterialFormat::Guide.into(),
                    MaterialFormat::BslVideo.into()
                ],
                languages: vec!["en".into(), "en-GB".into(), "bfi".into()],
                url: "https://example.org/proxy-guide".into(),
                change_id: CHANGE.to_string(),
                audience_roles: vec![StaffRole::Receptionist.into()],
                for_patients: false,
            })]
        );
        let platform = given(vec![registered(), announced(), events[0].clone()]);
        assert_eq!(platform.material_ids, vec![MATERIAL]);
    }

    #[test]
    fn material_for_patients_needs_no_staff_audience_nor_change() {
        let request = PublishTrainingMaterialRequest {
            change_id: String::new(),
            audience_roles: vec![],
            for_patients: true,
            formats: vec![MaterialFormat::EasyRead.into()],
            ..material_request()
        };
        assert!(
            given(vec![registered()])
                .publish_material(MATERIAL, request, &nhs_app())
                .is_ok()
        );
    }

    #[test]
    fn only_the_platforms_provider_publishes() {
        assert_eq!(
            rejection(given(vec![registered(), announced()]).publish_material(
                MATERIAL,
                material_request(),
                &other_app()
            )),
            forbidden()
        );
        assert_eq!(
            rejection(given(vec![]).publish_material(MATERIAL, material_request(), &service())),
            ("NotFound", "platform_id".to_owned())
        );
        // Anyone else cannot tell a missing one from another provider's.
        assert_eq!(
            rejection(given(vec![]).publish_material(MATERIAL, material_request(), &nhs_app())),
            forbidden()
        );
    }

    #[test]
    fn material_names_only_announced_changes_and_is_published_once() {
        assert_eq!(
            rejection(given(vec![registered()]).publish_material(
                MATERIAL,
                material_request(),
                &nhs_app()
            )),
            ("NotFound", "change_id".to_owned())
        );
        let published = given(vec![registered(), announced()])
            .publish_material(MATERIAL, material_request(), &nhs_app())
            .expect("published");
        let mut history = vec![registered(), announced()];
        history.extend(published);
        assert_eq!(
            rejection(given(history).publish_material(MATERIAL, material_request(), &nhs_app())),
            ("AlreadyExists", "material_id".to_owned())
        );
    }

    #[test]
    fn material_input_names_the_field() {
        let long_url = format!("https://example.org/{}", "a".repeat(MAX_URL_CHARS));
        let cases: Vec<(PublishTrainingMaterialRequest, &str)> = vec![
            (
                PublishTrainingMaterialRequest {
                    title: "for jo@example.org".into(),
                    ..material_request()
                },
                "title",
            ),
            (
                PublishTrainingMaterialRequest {
                    formats: vec![],
                    ..material_request()
                },
                "formats",
            ),
            (
                PublishTrainingMaterialRequest {
                    languages: vec![],
                    ..material_request()
                },
                "languages",
            ),
            (
                PublishTrainingMaterialRequest {
                    languages: vec!["en".into(), "English".into()],
                    ..material_request()
                },
                "languages[1]",
            ),
            (
                PublishTrainingMaterialRequest {
                    languages: vec!["pl".into(), "pl".into()],
                    ..material_request()
                },
                "languages[1]",
            ),
            (
                PublishTrainingMaterialRequest {
                    url: "http://example.org/proxy-guide".into(),
                    ..material_request()
                },
                "url",
            ),
            (
                PublishTrainingMaterialRequest {
                    url: "https:///no-host".into(),
                    ..material_request()
                },
                "url",
            ),
            (
                PublishTrainingMaterialRequest {
                    url: long_url,
                    ..material_request()
                },
                "url",
            ),
            (
                PublishTrainingMaterialRequest {
                    url: String::new(),
                    ..material_request()
                },
                "url",
            ),
            (
                PublishTrainingMaterialRequest {
                    change_id: "not-a-uuid".into(),
                    ..material_request()
                },
                "change_id",
            ),
            (
                PublishTrainingMaterialRequest {
                    audience_roles: vec![],
                    for_patients: false,
                    ..material_request()
                },
                "audience_roles",
            ),
        ];
        for (request, field) in cases {
            assert_eq!(
                rejection(given(vec![registered(), announced()]).publish_material(
                    MATERIAL,
                    request,
                    &nhs_app()
                )),
                invalid(field)
            );
        }
    }

    #[test]
    fn language_codes_look_like_bcp_47() {
        for tag in ["en", "pl", "ur", "bfi", "en-GB", "zh-Hant-HK", "sr-Latn"] {
            assert!(languages("languages", &[tag.into()]).is_ok(), "{tag}");
        }
        for tag in [
            "",
            "e",
            "EN",
            "english",
            "en_GB",
            "en-",
            "en-G",
            "toolongsubtag-x",
        ] {
            assert!(languages("languages", &[tag.into()]).is_err(), "{tag}");
        }
    }

    // ---- ReportUsabilityIssue ----

    #[test]
    fn a_practice_reports_an_issue_for_the_platforms_provider() {
        let platform = given(vec![registered()]);
        let events = given_issue(vec![])
            .report(ISSUE, issue_request(), &platform, &practice("A81001"))
            .expect("reported");
        assert_eq!(
            events,
            vec![IssueEvent::from(UsabilityIssueReported {
                issue_id: ISSUE.to_string(),
                platform_id: PLATFORM.to_string(),
                provider_code: "V-nhs-app".into(),
                practice_code: "A81001".into(),
                category: UsabilityIssueCategory::Accessibility.into(),
                severity: IssueSeverity::High.into(),
                description: "Screen reader skips the repeat prescription button".into(),
                service: DigitalService::OnlinePrescriptions.into(),
                patient_groups_affected: vec![PatientGroup::SensoryImpairment.into()],
            })]
        );
        let issue = given_issue(events);
        assert_eq!(issue.status, IssueStatus::Reported);
        assert_eq!(issue.provider_code, "V-nhs-app");
        // Practice staff may report too, and the service is optional.
        let staff = ctx("A81001", &[Role::PracticeStaff]);
        let no_service = ReportUsabilityIssueRequest {
            service: 0,
            ..issue_request()
        };
        assert!(
            given_issue(vec![])
                .report(ISSUE, no_service, &platform, &staff)
                .is_ok()
        );
    }

    #[test]
    fn a_practice_reports_only_for_itself() {
        let platform = given(vec![registered()]);
        assert_eq!(
            rejection(given_issue(vec![]).report(
                ISSUE,
                issue_request(),
                &platform,
                &practice("B82001")
            )),
            forbidden()
        );
        assert_eq!(
            rejection(given_issue(vec![]).report(ISSUE, issue_request(), &platform, &nhs_app())),
            forbidden(),
            "providers do not report issues against themselves"
        );
    }

    #[test]
    fn the_reporter_must_be_a_practice() {
        let service = ctx("X24", &[Role::Service]);
        let as_provider = ReportUsabilityIssueRequest {
            practice_code: "V-other-app".into(),
            ..issue_request()
        };
        assert_eq!(
            rejection(given_issue(vec![]).report(
                ISSUE,
                as_provider,
                &given(vec![registered()]),
                &service
            )),
            invalid("practice_code")
        );
    }

    #[test]
    fn an_issue_needs_a_registered_platform() {
        assert_eq!(
            rejection(given_issue(vec![]).report(
                ISSUE,
                issue_request(),
                &given(vec![]),
                &practice("A81001")
            )),
            ("NotFound", "platform_id".to_owned())
        );
    }

    #[test]
    fn an_issue_is_reported_once() {
        assert_eq!(
            rejection(given_issue(vec![reported()]).report(
                ISSUE,
                issue_request(),
                &given(vec![registered()]),
                &practice("A81001")
            )),
            ("AlreadyExists", "issue_id".to_owned())
        );
    }

    #[test]
    fn issue_input_names_the_field() {
        let cases: Vec<(ReportUsabilityIssueRequest, &str)> = vec![
            (
                ReportUsabilityIssueRequest {
                    platform_id: "nope".into(),
                    ..issue_request()
                },
                "platform_id",
            ),
            (
                ReportUsabilityIssueRequest {
                    practice_code: String::new(),
                    ..issue_request()
                },
                "practice_code",
            ),
            (
                ReportUsabilityIssueRequest {
                    category: 0,
                    ..issue_request()
                },
                "category",
            ),
            (
                ReportUsabilityIssueRequest {
                    severity: 99,
                    ..issue_request()
                },
                "severity",
            ),
            (
                ReportUsabilityIssueRequest {
                    description: String::new(),
                    ..issue_request()
                },
                "description",
            ),
            (
                ReportUsabilityIssueRequest {
                    description: "Mrs B (b.smith@example.com) could not log in".into(),
                    ..issue_request()
                },
                "description",
            ),
            (
                ReportUsabilityIssueRequest {
                    service: 42,
                    ..issue_request()
                },
                "service",
            ),
            (
                ReportUsabilityIssueRequest {
                    patient_groups_affected: vec![
                        PatientGroup::OlderPeople.into(),
                        PatientGroup::OlderPeople.into(),
                    ],
                    ..issue_request()
                },
                "patient_groups_affected[1]",
            ),
        ];
        let platform = given(vec![registered()]);
        for (request, field) in cases {
            assert_eq!(
                rejection(given_issue(vec![]).report(
                    ISSUE,
                    request,
                    &platform,
                    &practice("A81001")
                )),
                invalid(field)
            );
        }
    }

    // ---- AcknowledgeUsabilityIssue ----

    #[test]
    fn the_provider_acknowledges_an_issue() {
        let events = given_issue(vec![reported()])
            .acknowledge(acknowledge_request(), &nhs_app())
            .expect("acknowledged");
        assert_eq!(
            events,
            vec![IssueEvent::from(UsabilityIssueAcknowledged {
                issue_id: ISSUE.to_string(),
                note: "Reproduced; a fix is planned".into(),
                expected_resolution_date: "2026-07-01".into(),
            })]
        );
        assert_eq!(
            given_issue(vec![reported(), events[0].clone()]).status,
            IssueStatus::Acknowledged
        );
    }

    #[test]
    fn only_the_platforms_provider_acknowledges() {
        let issue = given_issue(vec![reported()]);
        assert_eq!(
            rejection(issue.acknowledge(acknowledge_request(), &other_app())),
            forbidden()
        );
        assert_eq!(
            rejection(issue.acknowledge(acknowledge_request(), &practice("A81001"))),
            forbidden(),
            "not even the reporting practice"
        );
    }

    #[test]
    fn acknowledging_needs_a_reported_issue() {
        assert_eq!(
            rejection(given_issue(vec![]).acknowledge(acknowledge_request(), &service())),
            ("NotFound", "issue_id".to_owned())
        );
        // Anyone else cannot tell a missing one from another provider's.
        assert_eq!(
            rejection(given_issue(vec![]).acknowledge(acknowledge_request(), &nhs_app())),
            forbidden()
        );
        for history in [
            vec![reported(), acknowledged()],
            vec![reported(), resolved()],
            vec![reported(), acknowledged(), resolved()],
        ] {
            assert_eq!(
                rejection(given_issue(history).acknowledge(acknowledge_request(), &nhs_app())),
                ("Precondition", "issue_id".to_owned())
            );
        }
    }

    #[test]
    fn acknowledgement_input_names_the_field() {
        let issue = given_issue(vec![reported()]);
        for (request, field) in [
            (
                AcknowledgeUsabilityIssueRequest {
                    note: "rang 07700 900123".into(),
                    ..acknowledge_request()
                },
                "note",
            ),
            (
                AcknowledgeUsabilityIssueRequest {
                    expected_resolution_date: "July".into(),
                    ..acknowledge_request()
                },
                "expected_resolution_date",
            ),
            (
                AcknowledgeUsabilityIssueRequest {
                    expected_resolution_date: "2026-04-30".into(),
                    ..acknowledge_request()
                },
                "expected_resolution_date",
            ),
        ] {
            assert_eq!(
                rejection(issue.acknowledge(request, &nhs_app())),
                invalid(field)
            );
        }
        let bare = AcknowledgeUsabilityIssueRequest {
            issue_id: ISSUE.to_string(),
            ..Default::default()
        };
        assert!(
            issue.acknowledge(bare, &nhs_app()).is_ok(),
            "note and date are optional"
        );
    }

    // ---- ResolveUsabilityIssue ----

    #[test]
    fn the_provider_resolves_a_reported_or_acknowledged_issue() {
        for history in [vec![reported()], vec![reported(), acknowledged()]] {
            let events = given_issue(history.clone())
                .resolve(resolve_request(), &nhs_app())
                .expect("resolved");
            assert_eq!(events, vec![resolved()]);
            let mut after = history;
            after.extend(events);
            let issue = given_issue(after);
            assert_eq!(issue.status, IssueStatus::Resolved);
            assert_eq!(issue.resolution_kind, IssueResolutionKind::Fixed);
        }
    }

    #[test]
    fn only_the_platforms_provider_resolves() {
        assert_eq!(
            rejection(given_issue(vec![reported()]).resolve(resolve_request(), &other_app())),
            forbidden()
        );
    }

    #[test]
    fn resolving_needs_an_open_issue() {
        assert_eq!(
            rejection(given_issue(vec![]).resolve(resolve_request(), &service())),
            ("NotFound", "issue_id".to_owned())
        );
        // Anyone else cannot tell a missing one from another provider's.
        assert_eq!(
            rejection(given_issue(vec![]).resolve(resolve_request(), &nhs_app())),
            forbidden()
        );
        assert_eq!(
            rejection(
                given_issue(vec![reported(), resolved()]).resolve(resolve_request(), &nhs_app())
            ),
            ("Precondition", "issue_id".to_owned())
        );
    }

    #[test]
    fn resolution_input_names_the_field() {
        let issue = given_issue(vec![reported()]);
        for (request, field) in [
            (
                ResolveUsabilityIssueRequest {
                    resolution: "  ".into(),
                    ..resolve_request()
                },
                "resolution",
            ),
            (
                ResolveUsabilityIssueRequest {
                    resolution: "told NHS no 9434765919".into(),
                    ..resolve_request()
                },
                "resolution",
            ),
            (
                ResolveUsabilityIssueRequest {
                    resolution_kind: 77,
                    ..resolve_request()
                },
                "resolution_kind",
            ),
        ] {
            assert_eq!(
                rejection(issue.resolve(request, &nhs_app())),
                invalid(field)
            );
        }
        let unspecified = ResolveUsabilityIssueRequest {
            resolution_kind: 0,
            ..resolve_request()
        };
        assert!(
            issue.resolve(unspecified, &nhs_app()).is_ok(),
            "the kind is optional"
        );
    }

    #[test]
    fn a_service_caller_answers_any_issue() {
        let service = ctx("X24", &[Role::Service]);
        assert!(
            given_issue(vec![reported()])
                .acknowledge(acknowledge_request(), &service)
                .is_ok()
        );
    }
}
