//! The organisation tree (stream `organisations`): who sits under whom, as of any date.
//! Every relationship has an effective date; a merger is its own event, after which the
//! predecessors' subtrees count as the successor's. One stream keeps the tree consistent
//! (a parent exists before its child) at the price of serialising changes to it, which
//! are rare next to everything else.

use std::collections::HashMap;

use chrono::NaiveDate;
use proto::v1::{
    OrganisationClosed, OrganisationKind, OrganisationRegistered, OrganisationRenamed,
    OrganisationReparented, OrganisationsMerged, RegistryImported,
};

use crate::aggregate::{Aggregate, Context};
use crate::codes;
use crate::command::Command;
use crate::error::{DomainError, Result};
use crate::policy::{Targets, authorize};
use crate::values;
use crate::values::parsed;

/// The stream holding the whole tree.
pub const STREAM: &str = "organisations";
/// The root of the tree: NHS England.
pub const NATIONAL_CODE: &str = "X24";
/// Deeper than any real tree (national → region → ICB → sub-ICB → PCN → practice); a
/// guard against a cycle in bad data, not a limit users meet.
const MAX_DEPTH: usize = 16;

crate::event_set! {
    pub enum OrganisationEvent {
        OrganisationRegistered,
        OrganisationRenamed,
        OrganisationReparented,
        OrganisationsMerged,
        OrganisationClosed,
        RegistryImported,
    }
}

/// Serialisable so that read models can checkpoint the tree with the rest of their state.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Organisation {
    pub code: String,
    #[serde(with = "kind_number")]
    pub kind: OrganisationKind,
    pub name: String,
    /// Parents with the date each took effect, oldest first.
    pub parents: Vec<(NaiveDate, String)>,
    pub registered_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub merged_into: Option<(String, NaiveDate)>,
    pub covers: Vec<String>,
    pub postcode_district: String,
}

impl Organisation {
    /// The parent on `date` (the latest one effective by then).
    pub fn parent_on(&self, date: NaiveDate) -> Option<&str> {
        self.parents
            .iter()
            .rev()
            .find(|(from, _)| *from <= date)
            .map(|(_, code)| code.as_str())
    }

    pub fn is_active_on(&self, date: NaiveDate) -> bool {
        self.registered_on <= date
            && self.closed_on.is_none_or(|closed| date < closed)
            && self
                .merged_into
                .as_ref()
                .is_none_or(|(_, merged)| date < *merged)
    }
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Registry {
    organisations: HashMap<String, Organisation>,
}

/// The kind as its proto number, so that a checkpoint is as stable as the proto.
mod kind_number {
    use proto::v1::OrganisationKind;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(kind: &OrganisationKind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(*kind as i32)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OrganisationKind, D::Error> {
        let number = i32::deserialize(d)?;
        Ok(OrganisationKind::try_from(number).unwrap_or(OrganisationKind::Unspecified))
    }
}

fn date_of(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
}

impl Aggregate for Registry {
    type Event = OrganisationEvent;

    fn apply(&mut self, event: &OrganisationEvent) {
        match event {
            OrganisationEvent::OrganisationRegistered(e) => {
                let on = date_of(&e.effective_date);
                let parents = if e.parent_code.is_empty() {
                    Vec::new()
                } else {
                    vec![(on, e.parent_code.clone())]
                };
                self.organisations.insert(
                    e.code.clone(),
                    Organisation {
                        code: e.code.clone(),
                        kind: e.kind(),
                        name: e.name.clone(),
                        parents,
                        registered_on: on,
                        closed_on: None,
                        merged_into: None,
                        covers: e.covers_codes.clone(),
                        postcode_district: e.postcode_district.clone(),
                    },
                );
            }
            OrganisationEvent::OrganisationRenamed(e) => {
                if let Some(org) = self.organisations.get_mut(&e.code) {
                    org.name = e.name.clone();
                }
            }
            OrganisationEvent::OrganisationReparented(e) => {
                if let Some(org) = self.organisations.get_mut(&e.code) {
                    org.parents
                        .push((date_of(&e.effective_date), e.parent_code.clone()));
                    org.parents.sort_by_key(|(from, _)| *from);
                }
            }
            OrganisationEvent::OrganisationsMerged(e) => {
                let on = date_of(&e.effective_date);
                for code in &e.predecessor_codes {
                    if let Some(org) = self.organisations.get_mut(code) {
                        org.merged_into = Some((e.successor_code.clone(), on));
                    }
                }
            }
            OrganisationEvent::OrganisationClosed(e) => {
                if let Some(org) = self.organisations.get_mut(&e.code) {
                    org.closed_on = Some(date_of(&e.effective_date));
                }
            }
            OrganisationEvent::RegistryImported(_) => {}
        }
    }
}

impl Registry {
    pub fn get(&self, code: &str) -> Option<&Organisation> {
        self.organisations.get(code)
    }

    pub fn len(&self) -> usize {
        self.organisations.len()
    }

    pub fn is_empty(&self) -> bool {
        self.organisations.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Organisation> {
        self.organisations.values()
    }

    /// `code`, then every organisation above it on `date`. A merged organisation is
    /// followed by its successor, so after a merger the successor's area includes the
    /// predecessors' subtrees.
    pub fn lineage(&self, code: &str, date: NaiveDate) -> Vec<String> {
        let mut lineage = vec![code.to_owned()];
        let mut current = code.to_owned();
        for _ in 0..MAX_DEPTH {
            let Some(org) = self.organisations.get(&current) else {
                break;
            };
            // A merged organisation's place in the tree is its successor's: climb from
            // there, not from the parent it had before the merger.
            let next = match &org.merged_into {
                Some((successor, on)) if *on <= date => Some(successor.as_str()),
                _ => org.parent_on(date),
            };
            let Some(next) = next else {
                break;
            };
            if lineage.iter().any(|c| c == next) {
                break;
            }
            lineage.push(next.to_owned());
            current = next.to_owned();
        }
        lineage
    }

    /// Whether `code` is `area` or sits anywhere below it on `date`.
    pub fn is_within(&self, code: &str, area: &str, date: NaiveDate) -> bool {
        code == area || self.lineage(code, date).iter().any(|c| c == area)
    }

    /// The organisation `code`, which must exist, be active on `date` and be one of `kinds`
    /// (any kind when empty).
    pub fn require(
        &self,
        field: &str,
        code: &str,
        kinds: &[OrganisationKind],
        date: NaiveDate,
    ) -> Result<&Organisation> {
        let org = self
            .organisations
            .get(code)
            .ok_or_else(|| DomainError::not_found(field, "organisation", code))?;
        if !kinds.is_empty() && !kinds.contains(&org.kind) {
            let names: Vec<_> = kinds.iter().map(|k| k.as_str_name()).collect();
            return Err(DomainError::invalid(
                field,
                format!(
                    "{code} is a {}, not a {}",
                    org.kind.as_str_name(),
                    names.join(" or ")
                ),
            ));
        }
        if !org.is_active_on(date) {
            return Err(DomainError::precondition(
                field,
                format!("{code} is closed or merged"),
            ));
        }
        Ok(org)
    }
}

/// `RegisterOrganisation`, parsed; an empty effective date is the context's today.
#[derive(Debug, Clone)]
pub struct RegisterOrganisation {
    pub code: String,
    pub kind: OrganisationKind,
    pub name: String,
    pub parent_code: String,
    pub effective_date: Option<NaiveDate>,
    pub covers_codes: Vec<String>,
    pub postcode_district: String,
}

impl TryFrom<proto::v1::RegisterOrganisationRequest> for RegisterOrganisation {
    type Error = DomainError;
    /// Shape checks that need no state.
    fn try_from(request: proto::v1::RegisterOrganisationRequest) -> Result<Self> {
        let kind: OrganisationKind = values::known_enum("kind", request.kind)?;
        let code = request.code.trim().to_owned();
        codes::check("code", &code, kind)?;
        let parent_code = request.parent_code.trim().to_owned();
        if kind == OrganisationKind::NationalBody && !parent_code.is_empty() {
            return Err(DomainError::invalid(
                "parent_code",
                "the national body has no parent",
            ));
        }
        if kind != OrganisationKind::NationalBody {
            codes::reference("parent_code", &parent_code)?;
        }
        let district = request.postcode_district.trim().to_uppercase();
        if district.len() > 4 || !district.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(DomainError::invalid(
                "postcode_district",
                "must be the outward part of a postcode only, e.g. LS6",
            ));
        }
        Ok(Self {
            code,
            kind,
            name: values::text("name", &request.name, 200)?,
            parent_code,
            effective_date: values::optional_date("effective_date", &request.effective_date)?,
            covers_codes: values::list_len(
                "covers_codes",
                request.covers_codes.len(),
                values::MAX_LIST,
            )
            .and_then(|()| {
                request
                    .covers_codes
                    .iter()
                    .enumerate()
                    .map(|(i, c)| codes::reference(&format!("covers_codes[{i}]"), c))
                    .collect::<Result<_>>()
            })?,
            postcode_district: district,
        })
    }
}

parsed! {
    /// `RenameOrganisation`, parsed; an empty effective date is the context's today.
    pub struct RenameOrganisation from proto::v1::RenameOrganisationRequest as request {
        code: String = codes::reference("code", &request.code)?,
        name: String = values::text("name", &request.name, 200)?,
        effective_date: Option<NaiveDate> =
            values::optional_date("effective_date", &request.effective_date)?,
    }
}

parsed! {
    /// `ReparentOrganisation`, parsed; an empty effective date is the context's today.
    pub struct ReparentOrganisation from proto::v1::ReparentOrganisationRequest as request {
        code: String = codes::reference("code", &request.code)?,
        parent_code: String = codes::reference("parent_code", &request.parent_code)?,
        effective_date: Option<NaiveDate> =
            values::optional_date("effective_date", &request.effective_date)?,
    }
}

/// `MergeOrganisations`, parsed; an empty effective date is the context's today.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeOrganisations {
    pub successor_code: String,
    pub predecessor_codes: Vec<String>,
    pub effective_date: Option<NaiveDate>,
}

impl TryFrom<proto::v1::MergeOrganisationsRequest> for MergeOrganisations {
    type Error = DomainError;
    fn try_from(request: proto::v1::MergeOrganisationsRequest) -> Result<Self> {
        let successor_code = codes::reference("successor_code", &request.successor_code)?;
        let effective_date = values::optional_date("effective_date", &request.effective_date)?;
        if request.predecessor_codes.is_empty() {
            return Err(DomainError::invalid(
                "predecessor_codes",
                "needs at least one organisation",
            ));
        }
        values::list_len(
            "predecessor_codes",
            request.predecessor_codes.len(),
            values::MAX_LIST,
        )?;
        Ok(Self {
            successor_code,
            predecessor_codes: request
                .predecessor_codes
                .iter()
                .enumerate()
                .map(|(i, c)| codes::reference(&format!("predecessor_codes[{i}]"), c))
                .collect::<Result<_>>()?,
            effective_date,
        })
    }
}

parsed! {
    /// `CloseOrganisation`, parsed; an empty effective date is the context's today.
    pub struct CloseOrganisation from proto::v1::CloseOrganisationRequest as request {
        code: String = codes::reference("code", &request.code)?,
        effective_date: Option<NaiveDate> =
            values::optional_date("effective_date", &request.effective_date)?,
        reason: String = values::optional_text("reason", &request.reason, 1000)?,
    }
}

parsed! {
    /// `RecordRegistryImport`, parsed; an empty extract date is the context's today.
    pub struct RecordRegistryImport from proto::v1::RecordRegistryImportRequest as request {
        source_file: String = file_name("source_file", &request.source_file)?,
        extract_date: Option<NaiveDate> =
            values::optional_date("extract_date", &request.extract_date)?,
        rows: u32 = request.rows,
        digest: String = digest("digest", &request.digest)?,
    }
}

/// A file's own name: what the commissioner would recognise, never a directory of the
/// machine the import ran on.
fn file_name(field: &str, text: &str) -> Result<String> {
    let name = values::text(field, text, 200)?;
    if name.contains(['/', '\\']) {
        return Err(DomainError::invalid(
            field,
            "must be the file's name only, without a directory",
        ));
    }
    Ok(name)
}

/// A blake3 digest as 64 lower-case hex digits, so two imports of one file compare equal.
fn digest(field: &str, text: &str) -> Result<String> {
    let text = text.trim();
    if text.len() != 64 || !text.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')) {
        return Err(DomainError::invalid(
            field,
            "must be a blake3 digest: 64 lower-case hex digits",
        ));
    }
    Ok(text.to_owned())
}

fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

impl Registry {
    pub fn register(
        &self,
        cmd: RegisterOrganisation,
        ctx: &Context,
    ) -> Result<Vec<OrganisationEvent>> {
        let on = cmd.effective_date.unwrap_or_else(|| ctx.today());
        let target = if cmd.parent_code.is_empty() {
            cmd.code.as_str()
        } else {
            cmd.parent_code.as_str()
        };
        authorize(
            &ctx.actor,
            Command::RegisterOrganisation,
            &Targets::of(target),
            self,
            ctx.today(),
        )?;
        if self.organisations.contains_key(&cmd.code) {
            return Err(DomainError::exists("code", "organisation", &cmd.code));
        }
        if !cmd.parent_code.is_empty() {
            self.require(
                "parent_code",
                &cmd.parent_code,
                codes::parent_kinds(cmd.kind),
                on,
            )?;
        }
        for (i, covered) in cmd.covers_codes.iter().enumerate() {
            self.require(&format!("covers_codes[{i}]"), covered, &[], on)?;
        }
        Ok(vec![
            OrganisationRegistered {
                code: cmd.code,
                kind: cmd.kind.into(),
                name: cmd.name,
                parent_code: cmd.parent_code,
                effective_date: iso(on),
                covers_codes: cmd.covers_codes,
                postcode_district: cmd.postcode_district,
            }
            .into(),
        ])
    }

    pub fn rename(
        &self,
        command: RenameOrganisation,
        ctx: &Context,
    ) -> Result<Vec<OrganisationEvent>> {
        let RenameOrganisation {
            code,
            name,
            effective_date,
        } = command;
        let on = effective_date.unwrap_or_else(|| ctx.today());
        authorize(
            &ctx.actor,
            Command::RenameOrganisation,
            &Targets::of(&code),
            self,
            ctx.today(),
        )?;
        let org = self.require("code", &code, &[], on)?;
        if org.name == name {
            return Ok(Vec::new());
        }
        Ok(vec![
            OrganisationRenamed {
                code,
                name,
                effective_date: iso(on),
            }
            .into(),
        ])
    }

    pub fn reparent(
        &self,
        command: ReparentOrganisation,
        ctx: &Context,
    ) -> Result<Vec<OrganisationEvent>> {
        let ReparentOrganisation {
            code,
            parent_code: parent,
            effective_date,
        } = command;
        let on = effective_date.unwrap_or_else(|| ctx.today());
        // Moving an organisation needs authority over it and over where it goes.
        authorize(
            &ctx.actor,
            Command::ReparentOrganisation,
            &Targets::of(&code),
            self,
            ctx.today(),
        )?;
        authorize(
            &ctx.actor,
            Command::ReparentOrganisation,
            &Targets::of(&parent),
            self,
            ctx.today(),
        )?;
        let org = self.require("code", &code, &[], on)?;
        self.require("parent_code", &parent, codes::parent_kinds(org.kind), on)?;
        if self.is_within(&parent, &code, on) {
            return Err(DomainError::invalid(
                "parent_code",
                format!("{parent} sits below {code}; that would make a cycle"),
            ));
        }
        Ok(vec![
            OrganisationReparented {
                code,
                parent_code: parent,
                effective_date: iso(on),
            }
            .into(),
        ])
    }

    pub fn merge(
        &self,
        command: MergeOrganisations,
        ctx: &Context,
    ) -> Result<Vec<OrganisationEvent>> {
        let MergeOrganisations {
            successor_code: successor,
            predecessor_codes: predecessors,
            effective_date,
        } = command;
        let on = effective_date.unwrap_or_else(|| ctx.today());
        authorize(
            &ctx.actor,
            Command::MergeOrganisations,
            &Targets::of(&successor),
            self,
            ctx.today(),
        )?;
        let kind = self.require("successor_code", &successor, &[], on)?.kind;
        for (i, code) in predecessors.iter().enumerate() {
            let field = format!("predecessor_codes[{i}]");
            authorize(
                &ctx.actor,
                Command::MergeOrganisations,
                &Targets::of(code),
                self,
                ctx.today(),
            )?;
            if *code == successor || predecessors[..i].contains(code) {
                return Err(DomainError::invalid(
                    field,
                    format!("{code} is named twice"),
                ));
            }
            self.require(&field, code, &[kind], on)?;
        }
        Ok(vec![
            OrganisationsMerged {
                predecessor_codes: predecessors,
                successor_code: successor,
                effective_date: iso(on),
            }
            .into(),
        ])
    }

    pub fn close(
        &self,
        command: CloseOrganisation,
        ctx: &Context,
    ) -> Result<Vec<OrganisationEvent>> {
        let CloseOrganisation {
            code,
            effective_date,
            reason,
        } = command;
        let on = effective_date.unwrap_or_else(|| ctx.today());
        authorize(
            &ctx.actor,
            Command::CloseOrganisation,
            &Targets::of(&code),
            self,
            ctx.today(),
        )?;
        self.require("code", &code, &[], on)?;
        Ok(vec![
            OrganisationClosed {
                code,
                effective_date: iso(on),
                reason,
            }
            .into(),
        ])
    }
}

impl Registry {
    /// Records that the registry was brought in line with an NHS file. It changes nothing
    /// in the tree: it says which file the tree now agrees with, so that a later import
    /// (or a person) can tell what the registry was last checked against.
    pub fn record_import(
        &self,
        command: RecordRegistryImport,
        ctx: &Context,
    ) -> Result<Vec<OrganisationEvent>> {
        authorize(
            &ctx.actor,
            Command::RecordRegistryImport,
            &Targets::of(NATIONAL_CODE),
            self,
            ctx.today(),
        )?;
        let on = command.extract_date.unwrap_or_else(|| ctx.today());
        Ok(vec![
            RegistryImported {
                source_file: command.source_file,
                extract_date: iso(on),
                rows: command.rows,
                digest: command.digest,
            }
            .into(),
        ])
    }
}

#[cfg(test)]
mod tests;
