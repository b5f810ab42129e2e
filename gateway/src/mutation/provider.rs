//! Mutations of `ProviderService`: platforms, changes that need retraining, training
//! material, and usability issues (reported by practices, answered by providers).

use crate::services::DomainEndpoints;
use crate::vocabulary::{
    DigitalService, IssueResolutionKind, IssueSeverity, MaterialFormat, PatientGroup,
    PlatformCategory, StaffRole, UsabilityIssueCategory,
};

mutations! {
    /// Commands of provider admins, and the usability reports of practices.
    ProviderMutations, DomainEndpoints::provider {
        /// Puts one of your platforms on difacto, so practices can adopt it, hear about its
        /// changes and report problems with it.
        register_platform(RegisterPlatformInput);
        /// Tells practices about a coming change to a platform: when it goes live, which staff
        /// will notice, and whether they need retraining first.
        announce_platform_change(AnnouncePlatformChangeInput);
        /// Publishes training material for a platform: its formats, languages, audience and
        /// where to find it.
        publish_training_material(PublishTrainingMaterialInput);
        /// Reports a usability problem your practice has with a platform it uses; the
        /// platform's provider answers it.
        report_usability_issue(ReportUsabilityIssueInput);
        /// Records that you have seen a usability issue on your platform and are dealing with
        /// it, and when you expect to resolve it.
        acknowledge_usability_issue(AcknowledgeUsabilityIssueInput);
        /// Closes a usability issue on your platform, saying what was done.
        resolve_usability_issue(ResolveUsabilityIssueInput);
    }
}

command_input! {
    /// A platform of yours.
    RegisterPlatformInput => RegisterPlatformRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        /// A UUID of your choosing; generated when left out.
        platform_id: Option<String>,
        /// Your code, e.g. `V-acme-health`.
        provider_code: String,
        /// The product name.
        name: String,
        category: PlatformCategory,
        /// The digital services it delivers.
        #[graphql(default)]
        services: Vec<DigitalService>,
        /// An https URL.
        website_url: Option<String>,
        description: Option<String>,
    }
}

command_input! {
    /// A coming change to a platform.
    AnnouncePlatformChangeInput => AnnouncePlatformChangeRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        /// A UUID of your choosing; generated when left out.
        change_id: Option<String>,
        platform_id: String,
        /// `YYYY-MM-DD`, when the change goes live.
        effective_date: String,
        /// Staff who will notice the change.
        #[graphql(default)]
        roles_affected: Vec<StaffRole>,
        /// Whether staff in `rolesAffected` need retraining.
        #[graphql(default)]
        retraining_required: bool,
        /// What changes; free text, must not identify a patient.
        summary: String,
        /// Whether patients will see the change too.
        #[graphql(default)]
        patient_facing: bool,
        #[graphql(default)]
        services_affected: Vec<DigitalService>,
    }
}

command_input! {
    /// Training material for a platform.
    PublishTrainingMaterialInput => PublishTrainingMaterialRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        /// A UUID of your choosing; generated when left out.
        material_id: Option<String>,
        platform_id: String,
        title: String,
        /// At least one.
        formats: Vec<MaterialFormat>,
        /// BCP-47 codes; at least one.
        languages: Vec<String>,
        /// An https URL where it can be found.
        url: String,
        /// The announced change of this platform it trains for, if any.
        change_id: Option<String>,
        /// Staff it is written for; empty when for patients only.
        #[graphql(default)]
        audience_roles: Vec<StaffRole>,
        /// Whether it is fit to give to patients.
        #[graphql(default)]
        for_patients: bool,
    }
}

command_input! {
    /// A usability problem with a platform.
    ReportUsabilityIssueInput => ReportUsabilityIssueRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        /// A UUID of your choosing; generated when left out.
        issue_id: Option<String>,
        platform_id: String,
        /// The practice reporting it.
        practice_code: String,
        category: UsabilityIssueCategory,
        severity: IssueSeverity,
        /// What goes wrong; free text, must not identify a patient.
        description: String,
        /// The service affected, if one.
        service: Option<DigitalService>,
        /// Who struggles most; empty when not known.
        #[graphql(default)]
        patient_groups_affected: Vec<PatientGroup>,
    }
}

command_input! {
    /// A provider's acknowledgement of an issue.
    AcknowledgeUsabilityIssueInput => AcknowledgeUsabilityIssueRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        issue_id: String,
        /// Free text; must not identify a patient.
        note: Option<String>,
        /// `YYYY-MM-DD`, if known.
        expected_resolution_date: Option<String>,
    }
}

command_input! {
    /// How an issue was closed.
    ResolveUsabilityIssueInput => ResolveUsabilityIssueRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        issue_id: String,
        /// What was done; free text, must not identify a patient.
        resolution: String,
        resolution_kind: Option<IssueResolutionKind>,
    }
}
