//! DESIGN.md §6 as one table: for every command, which roles may issue it and over what
//! scope. A command names its *target* organisations (the practice it records for, the
//! assignee who accepts, the partner running a session); the caller is allowed when one of
//! their roles has a grant whose scope covers a target:
//!
//! - `Own`: the target is the caller's own organisation;
//! - `Area`: the target is the caller's organisation or sits below it in the tree
//!   (commissioners: an ICB's practices, PCNs, partners; national: everything);
//! - `Anywhere`: machine-to-machine callers (`service`).
//!
//! `auditor` has no grant anywhere: it reads only. A denial changes nothing.

use chrono::NaiveDate;
use difacto_auth::{Principal, Role};

use crate::error::DomainError;
use crate::registry::Registry;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Own,
    Area,
    Anywhere,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Icb,
    Practice,
    Partner,
    Provider,
}

/// Who may issue one command.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub command: &'static str,
    pub service: Service,
    pub grants: &'static [(Role, Scope)],
}

use Role::*;
use Scope::*;

const SERVICE: (Role, Scope) = (Role::Service, Anywhere);
const COMMISSIONERS: [(Role, Scope); 4] = [
    (NationalLead, Area),
    (RegionalLead, Area),
    (IcbCommissioner, Area),
    SERVICE,
];
const NATIONAL: [(Role, Scope); 2] = [(NationalLead, Area), SERVICE];
/// Whoever acts for the organisation itself: only the organisation can commit itself.
const THE_ORGANISATION: [(Role, Scope); 8] = [
    (NationalLead, Own),
    (RegionalLead, Own),
    (IcbCommissioner, Own),
    (PcnLead, Own),
    (PracticeManager, Own),
    (PartnerCoordinator, Own),
    (ProviderAdmin, Own),
    SERVICE,
];
const PRACTICE_TEAM: [(Role, Scope); 4] = [
    (PracticeManager, Own),
    (PracticeStaff, Own),
    (PcnLead, Area),
    SERVICE,
];
const PRACTICE_MANAGER: [(Role, Scope); 3] = [(PracticeManager, Own), (PcnLead, Area), SERVICE];
const PARTNER: [(Role, Scope); 3] = [(PartnerCoordinator, Own), (IcbCommissioner, Area), SERVICE];
/// Booking: the partner running the session, or the organisation referring the person.
const REFERRERS: [(Role, Scope); 8] = [
    (PartnerCoordinator, Own),
    (PracticeManager, Own),
    (PracticeStaff, Own),
    (PcnLead, Area),
    (IcbCommissioner, Area),
    (RegionalLead, Area),
    (NationalLead, Area),
    SERVICE,
];
const PROVIDER: [(Role, Scope); 2] = [(ProviderAdmin, Own), SERVICE];

/// The table. Tests generate the authorisation matrix from it.
pub const POLICY: &[Rule] = &[
    Rule {
        command: "RegisterOrganisation",
        service: Service::Icb,
        grants: &COMMISSIONERS,
    },
    Rule {
        command: "RenameOrganisation",
        service: Service::Icb,
        grants: &COMMISSIONERS,
    },
    Rule {
        command: "ReparentOrganisation",
        service: Service::Icb,
        grants: &COMMISSIONERS,
    },
    Rule {
        command: "MergeOrganisations",
        service: Service::Icb,
        grants: &COMMISSIONERS,
    },
    Rule {
        command: "CloseOrganisation",
        service: Service::Icb,
        grants: &COMMISSIONERS,
    },
    Rule {
        command: "DefineDuty",
        service: Service::Icb,
        grants: &NATIONAL,
    },
    Rule {
        command: "RetireDuty",
        service: Service::Icb,
        grants: &NATIONAL,
    },
    Rule {
        command: "ProposeResponsibility",
        service: Service::Icb,
        grants: &[
            (NationalLead, Area),
            (RegionalLead, Area),
            (IcbCommissioner, Area),
            (PcnLead, Area),
            SERVICE,
        ],
    },
    Rule {
        command: "AcceptResponsibility",
        service: Service::Icb,
        grants: &THE_ORGANISATION,
    },
    Rule {
        command: "DeclineResponsibility",
        service: Service::Icb,
        grants: &THE_ORGANISATION,
    },
    Rule {
        command: "EndResponsibility",
        service: Service::Icb,
        grants: &[
            (NationalLead, Area),
            (RegionalLead, Area),
            (IcbCommissioner, Area),
            (PcnLead, Area),
            (PracticeManager, Own),
            (PartnerCoordinator, Own),
            (ProviderAdmin, Own),
            SERVICE,
        ],
    },
    Rule {
        command: "AttributeResponsibility",
        service: Service::Icb,
        grants: &[
            (NationalLead, Own),
            (RegionalLead, Own),
            (IcbCommissioner, Own),
            (PcnLead, Own),
            (PracticeManager, Own),
            (PracticeStaff, Own),
            (PartnerCoordinator, Own),
            (ProviderAdmin, Own),
            SERVICE,
        ],
    },
    Rule {
        command: "LaunchTrainingProgramme",
        service: Service::Icb,
        grants: &COMMISSIONERS,
    },
    Rule {
        command: "SetRolloutTarget",
        service: Service::Icb,
        grants: &COMMISSIONERS,
    },
    Rule {
        command: "RecordFacilitation",
        service: Service::Practice,
        grants: &PRACTICE_TEAM,
    },
    Rule {
        command: "ChangeServiceStatus",
        service: Service::Practice,
        grants: &PRACTICE_MANAGER,
    },
    Rule {
        command: "NameDigitalChampion",
        service: Service::Practice,
        grants: &PRACTICE_MANAGER,
    },
    Rule {
        command: "EnrolStaff",
        service: Service::Practice,
        grants: &PRACTICE_TEAM,
    },
    Rule {
        command: "CompleteModule",
        service: Service::Practice,
        grants: &PRACTICE_TEAM,
    },
    Rule {
        command: "CompleteTraining",
        service: Service::Practice,
        grants: &PRACTICE_TEAM,
    },
    Rule {
        command: "AdoptPlatform",
        service: Service::Practice,
        grants: &PRACTICE_MANAGER,
    },
    Rule {
        command: "ScheduleSession",
        service: Service::Partner,
        grants: &PARTNER,
    },
    Rule {
        command: "ConfirmHosting",
        service: Service::Partner,
        grants: &PRACTICE_MANAGER,
    },
    Rule {
        command: "DeclineHosting",
        service: Service::Partner,
        grants: &PRACTICE_MANAGER,
    },
    Rule {
        command: "BookSeat",
        service: Service::Partner,
        grants: &REFERRERS,
    },
    Rule {
        command: "CancelBooking",
        service: Service::Partner,
        grants: &REFERRERS,
    },
    Rule {
        command: "JoinWaitlist",
        service: Service::Partner,
        grants: &REFERRERS,
    },
    Rule {
        command: "CancelSession",
        service: Service::Partner,
        grants: &PARTNER,
    },
    Rule {
        command: "RecordAttendance",
        service: Service::Partner,
        grants: &PARTNER,
    },
    Rule {
        command: "RegisterPlatform",
        service: Service::Provider,
        grants: &[(ProviderAdmin, Own), (NationalLead, Area), SERVICE],
    },
    Rule {
        command: "AnnouncePlatformChange",
        service: Service::Provider,
        grants: &PROVIDER,
    },
    Rule {
        command: "PublishTrainingMaterial",
        service: Service::Provider,
        grants: &PROVIDER,
    },
    Rule {
        command: "ReportUsabilityIssue",
        service: Service::Provider,
        grants: &PRACTICE_TEAM,
    },
    Rule {
        command: "AcknowledgeUsabilityIssue",
        service: Service::Provider,
        grants: &PROVIDER,
    },
    Rule {
        command: "ResolveUsabilityIssue",
        service: Service::Provider,
        grants: &PROVIDER,
    },
];

/// The rule of `command`. Every command handler calls [`authorize`] with its own name, and
/// a test checks that every pinned command has a rule.
pub fn rule(command: &str) -> Option<&'static Rule> {
    POLICY.iter().find(|rule| rule.command == command)
}

/// Whether one grant covers `target` for `actor` on `date`.
fn covers(
    actor: &Principal,
    scope: Scope,
    target: &str,
    registry: &Registry,
    date: NaiveDate,
) -> bool {
    match scope {
        Anywhere => true,
        Own => actor.organisation == target,
        Area => registry.is_within(target, &actor.organisation, date),
    }
}

/// Allows `actor` to issue `command` if one of its roles has a grant that covers one of
/// `targets`; otherwise `Forbidden`, naming the command and the first target.
pub fn authorize(
    actor: &Principal,
    command: &str,
    targets: &[&str],
    registry: &Registry,
    date: NaiveDate,
) -> Result<(), DomainError> {
    let Some(rule) = rule(command) else {
        return Err(DomainError::Forbidden(format!(
            "{command} has no policy rule; refused"
        )));
    };
    let allowed = rule.grants.iter().any(|(role, scope)| {
        actor.has_role(*role)
            && targets
                .iter()
                .any(|target| covers(actor, *scope, target, registry, date))
    });
    if allowed {
        Ok(())
    } else {
        Err(DomainError::Forbidden(format!(
            "{} ({}) may not {command} for {}",
            actor.subject,
            actor.organisation,
            targets.first().copied().unwrap_or("this organisation")
        )))
    }
}

/// The table as Markdown, for ARCHITECTURE.md (a test keeps the document equal to this).
pub fn render_markdown() -> String {
    let mut out = String::from("| command | service | who (scope) |\n|---|---|---|\n");
    for rule in POLICY {
        let grants: Vec<String> = rule
            .grants
            .iter()
            .map(|(role, scope)| {
                let scope = match scope {
                    Own => "own",
                    Area => "area",
                    Anywhere => "any",
                };
                format!("{} ({scope})", role.as_str())
            })
            .collect();
        out.push_str(&format!(
            "| {} | {:?} | {} |\n",
            rule.command,
            rule.service,
            grants.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn architecture_md_shows_this_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ARCHITECTURE.md");
        let document = std::fs::read_to_string(path).expect("ARCHITECTURE.md");
        assert!(
            document.contains(&render_markdown()),
            "ARCHITECTURE.md's policy table differs from POLICY; paste this:\n{}",
            render_markdown()
        );
    }

    /// The commands DESIGN.md §9 pins, by service.
    const PINNED: &[(&str, &[&str])] = &[
        (
            "icb",
            &[
                "RegisterOrganisation",
                "RenameOrganisation",
                "ReparentOrganisation",
                "MergeOrganisations",
                "CloseOrganisation",
                "DefineDuty",
                "RetireDuty",
                "ProposeResponsibility",
                "AcceptResponsibility",
                "DeclineResponsibility",
                "EndResponsibility",
                "AttributeResponsibility",
                "LaunchTrainingProgramme",
                "SetRolloutTarget",
            ],
        ),
        (
            "practice",
            &[
                "RecordFacilitation",
                "ChangeServiceStatus",
                "NameDigitalChampion",
                "EnrolStaff",
                "CompleteModule",
                "CompleteTraining",
                "AdoptPlatform",
            ],
        ),
        (
            "partner",
            &[
                "ScheduleSession",
                "ConfirmHosting",
                "DeclineHosting",
                "BookSeat",
                "CancelBooking",
                "JoinWaitlist",
                "CancelSession",
                "RecordAttendance",
            ],
        ),
        (
            "provider",
            &[
                "RegisterPlatform",
                "AnnouncePlatformChange",
                "PublishTrainingMaterial",
                "ReportUsabilityIssue",
                "AcknowledgeUsabilityIssue",
                "ResolveUsabilityIssue",
            ],
        ),
    ];

    #[test]
    fn every_pinned_command_has_exactly_one_rule() {
        let pinned: Vec<&str> = PINNED
            .iter()
            .flat_map(|(_, commands)| commands.iter().copied())
            .collect();
        assert_eq!(pinned.len(), 35);
        for command in &pinned {
            assert_eq!(
                POLICY.iter().filter(|r| r.command == *command).count(),
                1,
                "{command}"
            );
        }
        assert_eq!(POLICY.len(), pinned.len(), "no rule for an unknown command");
    }

    #[test]
    fn auditors_never_write() {
        assert!(
            POLICY
                .iter()
                .all(|rule| rule.grants.iter().all(|(role, _)| *role != Auditor))
        );
    }
}
