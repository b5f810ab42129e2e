//! Mutations of `IcbService`: the organisation tree, the duty catalogue, who is
//! responsible for what, training programmes, and commissioning partners.

use crate::services::DomainEndpoints;
use crate::vocabulary::{DigitalService, Level, OrganisationKind, RaciRole, StaffRole};

mutations! {
    /// Commands of commissioners at ICB, regional and national level.
    IcbMutations, DomainEndpoints::icb {
        /// Records that an organisation joined the NHS tree (a practice, PCN, sub-ICB location,
        /// ICB, region, partner or provider) under its parent, from a date.
        register_organisation(RegisterOrganisationInput);
        /// Records an organisation's new name, from a date.
        rename_organisation(RenameOrganisationInput);
        /// Records that an organisation moved to a new parent (e.g. a practice changed PCN),
        /// from a date.
        reparent_organisation(ReparentOrganisationInput);
        /// Records that organisations merged into a successor (e.g. ICBs merging), from a date.
        merge_organisations(MergeOrganisationsInput);
        /// Records that an organisation closed, from a date.
        close_organisation(CloseOrganisationInput);
        /// Records that the registry was brought in line with an NHS file (what
        /// `difacto import ods` sends once the file's differences are recorded).
        record_registry_import(RecordRegistryImportInput);
        /// Adds a duty to the catalogue: something that must have a Responsible and an
        /// Accountable owner at the levels given.
        define_duty(DefineDutyInput);
        /// Takes a duty out of the catalogue; what depends on it ends in the views.
        retire_duty(RetireDutyInput);
        /// Asks an organisation to take a RACI role for a duty in an area at a level. It is a
        /// commitment only once the organisation accepts.
        propose_responsibility(ProposeResponsibilityInput);
        /// Records that your organisation accepts a responsibility proposed to it.
        accept_responsibility(AcceptResponsibilityInput);
        /// Records that your organisation declines a responsibility proposed to it, and why.
        decline_responsibility(DeclineResponsibilityInput);
        /// Records that a responsibility ends, from a date, and why.
        end_responsibility(EndResponsibilityInput);
        /// Records whom your organisation believes owns a duty in an area: a perception, not
        /// a commitment, so that gaps between belief and acceptance show.
        attribute_responsibility(AttributeResponsibilityInput);
        /// Launches a training programme: who it is for, its modules, and the share of its
        /// audience to have completed it by a deadline.
        launch_training_programme(LaunchTrainingProgrammeInput);
        /// Sets a programme's rollout target for an area: a share of staff trained by a
        /// deadline.
        set_rollout_target(SetRolloutTargetInput);
        /// Commissions a third-sector partner to run community sessions in an area for a
        /// period. The partner may then book places on any session its commission reaches.
        commission_partner(CommissionPartnerInput);
        /// Ends a commission early, from a date, and says why.
        end_commission(EndCommissionInput);
    }
}

command_input! {
    /// A new organisation in the tree.
    RegisterOrganisationInput => RegisterOrganisationRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        /// The ODS code (e.g. `A81001`), or `P-<slug>` / `V-<slug>` for partners and providers.
        code: String,
        kind: OrganisationKind,
        name: String,
        /// The parent's code; left out only for the national body.
        parent_code: Option<String>,
        /// `YYYY-MM-DD`; today when left out.
        effective_date: Option<String>,
        /// Partners and providers: the codes of the areas they cover.
        #[graphql(default)]
        covers_codes: Vec<String>,
        /// Practices: the outward postcode only, e.g. `LS6`.
        postcode_district: Option<String>,
    }
}

command_input! {
    /// The NHS file the registry was last brought in line with.
    RecordRegistryImportInput => RecordRegistryImportRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        /// The file's name, e.g. `epraccur.csv`, without a directory.
        source_file: String,
        /// `YYYY-MM-DD`: the date the NHS extracted the file; today when left out.
        extract_date: Option<String>,
        /// How many data rows the file held.
        rows: i32,
        /// The blake3 digest of the file's bytes, 64 lower-case hex digits.
        digest: String,
    }
}

command_input! {
    /// An organisation's new name.
    RenameOrganisationInput => RenameOrganisationRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        code: String,
        name: String,
        /// `YYYY-MM-DD`; today when left out.
        effective_date: Option<String>,
    }
}

command_input! {
    /// An organisation's new parent.
    ReparentOrganisationInput => ReparentOrganisationRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        code: String,
        parent_code: String,
        /// `YYYY-MM-DD`; today when left out.
        effective_date: Option<String>,
    }
}

command_input! {
    /// Organisations merging into a successor.
    MergeOrganisationsInput => MergeOrganisationsRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        predecessor_codes: Vec<String>,
        successor_code: String,
        /// `YYYY-MM-DD`; today when left out.
        effective_date: Option<String>,
    }
}

command_input! {
    /// An organisation closing.
    CloseOrganisationInput => CloseOrganisationRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        code: String,
        /// `YYYY-MM-DD`; today when left out.
        effective_date: Option<String>,
        /// Free text; must not identify a patient.
        reason: Option<String>,
    }
}

command_input! {
    /// A new duty.
    DefineDutyInput => DefineDutyRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        /// A UUID of your choosing; generated when left out.
        duty_id: Option<String>,
        title: String,
        description: Option<String>,
        /// The levels at which the duty must have an accepted Responsible and Accountable.
        required_levels: Vec<Level>,
    }
}

command_input! {
    /// A duty leaving the catalogue.
    RetireDutyInput => RetireDutyRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        duty_id: String,
        reason: Option<String>,
    }
}

command_input! {
    /// A responsibility proposed to an organisation.
    ProposeResponsibilityInput => ProposeResponsibilityRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        /// A UUID of your choosing; generated when left out.
        assignment_id: Option<String>,
        duty_id: String,
        /// The area the duty is owned for (an ICB, a PCN, a practice).
        area_code: String,
        level: Level,
        /// The organisation asked to own it.
        assignee_code: String,
        role: RaciRole,
        note: Option<String>,
    }
}

command_input! {
    /// A proposed responsibility, accepted.
    AcceptResponsibilityInput => AcceptResponsibilityRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        assignment_id: String,
    }
}

command_input! {
    /// A proposed responsibility, declined.
    DeclineResponsibilityInput => DeclineResponsibilityRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        assignment_id: String,
        /// Why; free text, must not identify a patient.
        reason: String,
    }
}

command_input! {
    /// A responsibility that ends.
    EndResponsibilityInput => EndResponsibilityRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        assignment_id: String,
        /// Why; free text, must not identify a patient.
        reason: String,
        /// `YYYY-MM-DD`; today when left out.
        effective_date: Option<String>,
    }
}

command_input! {
    /// Whom your organisation believes owns a duty.
    AttributeResponsibilityInput => AttributeResponsibilityRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        duty_id: String,
        area_code: String,
        level: Level,
        believed_owner_code: String,
        role: RaciRole,
    }
}

command_input! {
    /// A new training programme.
    LaunchTrainingProgrammeInput => LaunchTrainingProgrammeRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        /// A UUID of your choosing; generated when left out.
        programme_id: Option<String>,
        /// The body running it (national, a region, an ICB).
        owner_code: String,
        title: String,
        /// The short name people will use, e.g. `DFE-2026`: 2 to 20 capital letters,
        /// digits and hyphens. Derived from the title and deadline when left out.
        code: Option<String>,
        audience_roles: Vec<StaffRole>,
        module_ids: Vec<String>,
        /// The share of the audience (0–100) to have completed it by the deadline.
        target_percent: i32,
        /// `YYYY-MM-DD`.
        deadline: String,
    }
}

command_input! {
    /// A programme's target for one area.
    SetRolloutTargetInput => SetRolloutTargetRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        programme_id: String,
        area_code: String,
        /// The share of staff (0–100) to be trained by the deadline.
        target_percent: i32,
        /// `YYYY-MM-DD`.
        deadline: String,
    }
}

command_input! {
    /// A partner paid to run community sessions.
    CommissionPartnerInput => CommissionPartnerRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        /// A UUID of your choosing; generated when left out.
        commission_id: Option<String>,
        /// The body paying: your ICB, region or the national body.
        commissioner_code: String,
        partner_code: String,
        /// Where the sessions are to be held: the commissioner's area or part of it.
        area_code: String,
        /// `YYYY-MM-DD`; today when left out.
        starts_on: Option<String>,
        /// `YYYY-MM-DD`.
        ends_on: String,
        /// How many sessions the partner is to run.
        sessions_promised: i32,
        /// What the sessions help with; empty means any.
        #[graphql(default)]
        topics: Vec<DigitalService>,
    }
}

command_input! {
    /// A commission that ends early.
    EndCommissionInput => EndCommissionRequest {
        /// An id of your choosing: sending the same one again returns the first result.
        request_id: Option<String>,
        commission_id: String,
        /// Why; free text, must not identify a patient.
        reason: String,
        /// The last day it ran, `YYYY-MM-DD`; today when left out.
        ended_on: Option<String>,
    }
}
