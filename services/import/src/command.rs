//! The IcbService commands an import sends: the registry's own commands, nothing else.

use proto::v1 as pb;

/// A command of IcbService that an import sends.
#[derive(Debug, Clone, PartialEq)]
pub enum IcbCommand {
    Register(pb::RegisterOrganisationRequest),
    Rename(pb::RenameOrganisationRequest),
    Reparent(pb::ReparentOrganisationRequest),
    Merge(pb::MergeOrganisationsRequest),
    Close(pb::CloseOrganisationRequest),
    RecordImport(pb::RecordRegistryImportRequest),
}

impl IcbCommand {
    /// The command's name (DESIGN.md §9) and the organisation it is about, for reports.
    pub fn describe(&self) -> String {
        match self {
            Self::Register(r) => format!("RegisterOrganisation {}", r.code),
            Self::Rename(r) => format!("RenameOrganisation {}", r.code),
            Self::Reparent(r) => format!("ReparentOrganisation {}", r.code),
            Self::Merge(r) => format!("MergeOrganisations into {}", r.successor_code),
            Self::Close(r) => format!("CloseOrganisation {}", r.code),
            Self::RecordImport(r) => format!("RecordRegistryImport {}", r.source_file),
        }
    }

    /// The command with `id` as its request id.
    pub fn with_request_id(mut self, id: String) -> Self {
        match &mut self {
            Self::Register(r) => r.request_id = id,
            Self::Rename(r) => r.request_id = id,
            Self::Reparent(r) => r.request_id = id,
            Self::Merge(r) => r.request_id = id,
            Self::Close(r) => r.request_id = id,
            Self::RecordImport(r) => r.request_id = id,
        }
        self
    }
}
