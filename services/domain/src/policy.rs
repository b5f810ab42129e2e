//! DESIGN.md §6 as one table: for every command, which roles may issue it and what each
//! role is checked against. A command names the organisations it concerns by their part
//! in it (a [`Party`]: the practice it records for, the partner running a session, the
//! organisation referring a person, the ICB a session serves, …). Each grant names the
//! parties it is judged on and how, and every one of its checks must hold:
//!
//! - `Own`: the party is the caller's own organisation;
//! - `Area`: the party is the caller's organisation or sits below it in the tree
//!   (commissioners: an ICB's practices, PCNs, partners; national: everything);
//! - `Home`: the caller's organisation is the party or sits below it (a practice books
//!   only on sessions of its own ICB);
//! - `Anywhere`: machine-to-machine callers (`service`), judged on nothing.
//!
//! A grant never borrows another party's check: naming oneself as the referrer does not
//! make a partner's session one's own. `auditor` has no grant anywhere: it reads only.
//! A denial changes nothing, and its message names only what the caller sent, so that a
//! thing that does not exist and a thing the caller may not touch answer alike.

use chrono::NaiveDate;
use difacto_auth::{Principal, Role};

use crate::error::DomainError;
use crate::registry::Registry;

/// How a grant relates the caller's organisation to one party of the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Own,
    Area,
    Home,
}

/// The part an organisation plays in a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The one organisation the command acts for or on (most commands name just one).
    Target,
    /// The partner running a session.
    Partner,
    /// The organisation referring a person to a session (on a booking: the one that made it).
    Referrer,
    /// The ICB a session serves.
    SessionIcb,
    /// The organisation a responsibility is assigned to.
    Assignee,
    /// The area an assignment covers.
    AssignmentArea,
}

impl Party {
    fn label(self) -> &'static str {
        match self {
            Party::Target => "",
            Party::Partner => "partner",
            Party::Referrer => "referrer",
            Party::SessionIcb => "session's ICB",
            Party::Assignee => "assignee",
            Party::AssignmentArea => "assignment's area",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Icb,
    Practice,
    Partner,
    Provider,
}

/// What one role must satisfy to issue a command.
#[derive(Debug, Clone, Copy)]
pub enum Reach {
    /// Machine to machine: judged on no organisation.
    Anywhere,
    /// Every check must hold.
    Checks(&'static [(Party, Scope)]),
}

/// One role's permission within a rule.
#[derive(Debug, Clone, Copy)]
pub struct Grant {
    pub role: Role,
    pub reach: Reach,
}

/// Who may issue one command.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub command: &'static str,
    pub service: Service,
    pub grants: &'static [Grant],
}

use Party::*;
use Role::*;
use Scope::*;

const fn own(role: Role) -> Grant {
    Grant {
        role,
        reach: Reach::Checks(&[(Target, Own)]),
    }
}
const fn area(role: Role) -> Grant {
    Grant {
        role,
        reach: Reach::Checks(&[(Target, Area)]),
    }
}
const fn checks(role: Role, checks: &'static [(Party, Scope)]) -> Grant {
    Grant {
        role,
        reach: Reach::Checks(checks),
    }
}

const SERVICE: Grant = Grant {
    role: Role::Service,
    reach: Reach::Anywhere,
};
const COMMISSIONERS: [Grant; 4] = [
    area(NationalLead),
    area(RegionalLead),
    area(IcbCommissioner),
    SERVICE,
];
const NATIONAL: [Grant; 2] = [area(NationalLead), SERVICE];
/// Whoever acts for the organisation itself: only the organisation can commit itself.
const THE_ORGANISATION: [Grant; 8] = [
    own(NationalLead),
    own(RegionalLead),
    own(IcbCommissioner),
    own(PcnLead),
    own(PracticeManager),
    own(PartnerCoordinator),
    own(ProviderAdmin),
    SERVICE,
];
const PRACTICE_TEAM: [Grant; 4] = [
    own(PracticeManager),
    own(PracticeStaff),
    area(PcnLead),
    SERVICE,
];
const PRACTICE_MANAGER: [Grant; 3] = [own(PracticeManager), area(PcnLead), SERVICE];
const PARTNER: [Grant; 3] = [own(PartnerCoordinator), area(IcbCommissioner), SERVICE];
/// Booking, waitlisting and cancelling: the partner running the session (whoever it
/// names as referrer), or the referring organisation on a session of its own ICB, or a
/// commissioner over both the referrer and the session's ICB.
const REFERRERS: [Grant; 8] = [
    checks(PartnerCoordinator, &[(Partner, Own)]),
    checks(PracticeManager, &[(Referrer, Own), (SessionIcb, Home)]),
    checks(PracticeStaff, &[(Referrer, Own), (SessionIcb, Home)]),
    checks(PcnLead, &[(Referrer, Area), (SessionIcb, Home)]),
    checks(IcbCommissioner, &[(Referrer, Area), (SessionIcb, Area)]),
    checks(RegionalLead, &[(Referrer, Area), (SessionIcb, Area)]),
    checks(NationalLead, &[(Referrer, Area), (SessionIcb, Area)]),
    SERVICE,
];
/// Ending an assignment: a commissioner over the area it covers, or the assignee itself.
const ENDERS: [Grant; 12] = [
    checks(NationalLead, &[(AssignmentArea, Area)]),
    checks(RegionalLead, &[(AssignmentArea, Area)]),
    checks(IcbCommissioner, &[(AssignmentArea, Area)]),
    checks(PcnLead, &[(AssignmentArea, Area)]),
    checks(NationalLead, &[(Assignee, Own)]),
    checks(RegionalLead, &[(Assignee, Own)]),
    checks(IcbCommissioner, &[(Assignee, Own)]),
    checks(PcnLead, &[(Assignee, Own)]),
    checks(PracticeManager, &[(Assignee, Own)]),
    checks(PartnerCoordinator, &[(Assignee, Own)]),
    checks(ProviderAdmin, &[(Assignee, Own)]),
    SERVICE,
];
const PROVIDER: [Grant; 2] = [own(ProviderAdmin), SERVICE];

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
            area(NationalLead),
            area(RegionalLead),
            area(IcbCommissioner),
            area(PcnLead),
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
        grants: &ENDERS,
    },
    Rule {
        command: "AttributeResponsibility",
        service: Service::Icb,
        grants: &[
            own(NationalLead),
            own(RegionalLead),
            own(IcbCommissioner),
            own(PcnLead),
            own(PracticeManager),
            own(PracticeStaff),
            own(PartnerCoordinator),
            own(ProviderAdmin),
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
        grants: &[own(ProviderAdmin), area(NationalLead), SERVICE],
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

/// The organisations one command concerns, by their part in it, and how a denial names
/// the thing asked about (only from what the caller sent: see the module documentation).
#[derive(Debug, Clone)]
pub struct Targets<'a> {
    about: String,
    parties: Vec<(Party, &'a str)>,
}

impl<'a> Targets<'a> {
    /// A command that acts for or on one organisation the caller named.
    pub fn of(code: &'a str) -> Self {
        Self {
            about: format!("for {code}"),
            parties: vec![(Target, code)],
        }
    }

    /// A command on an existing thing (`kind` `id`, as the caller sent it); its parties
    /// come from the thing's state, and are empty when it does not exist.
    pub fn on(kind: &str, id: &str) -> Self {
        // The id is the caller's own text; a denial echoes little of it.
        let id: String = id.trim().chars().take(64).collect();
        Self {
            about: format!("on {kind} {id}"),
            parties: Vec::new(),
        }
    }

    /// Adds `code` in the part `party`.
    pub fn with(mut self, party: Party, code: &'a str) -> Self {
        self.parties.push((party, code));
        self
    }

    fn code(&self, party: Party) -> Option<&'a str> {
        self.parties
            .iter()
            .find(|(p, _)| *p == party)
            .map(|(_, code)| *code)
    }
}

/// Whether `check` holds for `actor` against the party's organisation on `date`. A party
/// the command does not name, or names as nothing (a thing that does not exist), holds
/// for nobody.
fn holds(
    actor: &Principal,
    (party, scope): (Party, Scope),
    targets: &Targets<'_>,
    registry: &Registry,
    date: NaiveDate,
) -> bool {
    let Some(code) = targets.code(party).filter(|code| !code.is_empty()) else {
        return false;
    };
    match scope {
        Own => actor.organisation == code,
        Area => registry.is_within(code, &actor.organisation, date),
        Home => registry.is_within(&actor.organisation, code, date),
    }
}

/// Whether one grant admits `actor` for `targets`.
fn admits(
    grant: &Grant,
    actor: &Principal,
    targets: &Targets<'_>,
    registry: &Registry,
    date: NaiveDate,
) -> bool {
    actor.has_role(grant.role)
        && match grant.reach {
            Reach::Anywhere => true,
            Reach::Checks(checks) => checks
                .iter()
                .all(|check| holds(actor, *check, targets, registry, date)),
        }
}

/// Allows `actor` to issue `command` if one of its grants admits it for `targets`;
/// otherwise `Forbidden`, naming the command and what the caller asked about.
pub fn authorize(
    actor: &Principal,
    command: &str,
    targets: &Targets<'_>,
    registry: &Registry,
    date: NaiveDate,
) -> Result<(), DomainError> {
    let Some(rule) = rule(command) else {
        return Err(DomainError::Forbidden(format!(
            "{command} has no policy rule; refused"
        )));
    };
    if rule
        .grants
        .iter()
        .any(|grant| admits(grant, actor, targets, registry, date))
    {
        Ok(())
    } else {
        Err(DomainError::Forbidden(format!(
            "{} ({}) may not {command} {}",
            actor.subject, actor.organisation, targets.about
        )))
    }
}

/// Whether `actor` could issue `command` whatever the organisations involved (a `service`
/// caller): only such a caller may learn that a thing does not exist.
pub fn reaches_anywhere(actor: &Principal, command: &str) -> bool {
    rule(command).is_some_and(|rule| {
        rule.grants
            .iter()
            .any(|grant| matches!(grant.reach, Reach::Anywhere) && actor.has_role(grant.role))
    })
}

/// The table as Markdown, for ARCHITECTURE.md (a test keeps the document equal to this).
pub fn render_markdown() -> String {
    let mut out = String::from("| command | service | who (scope) |\n|---|---|---|\n");
    for rule in POLICY {
        let grants: Vec<String> = rule
            .grants
            .iter()
            .map(|grant| format!("{} ({})", grant.role.as_str(), render_reach(grant.reach)))
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

fn render_reach(reach: Reach) -> String {
    let Reach::Checks(checks) = reach else {
        return "any".to_owned();
    };
    let rendered: Vec<String> = checks
        .iter()
        .map(|(party, scope)| {
            let scope = match scope {
                Own => "own",
                Area => "area",
                Home => "within",
            };
            match party {
                Target => scope.to_owned(),
                party => format!("{scope} {}", party.label()),
            }
        })
        .collect();
    rendered.join("; ")
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
                .all(|rule| rule.grants.iter().all(|grant| grant.role != Auditor))
        );
    }

    #[test]
    fn only_the_service_role_reaches_anywhere() {
        for rule in POLICY {
            for grant in rule.grants {
                assert_eq!(
                    matches!(grant.reach, Reach::Anywhere),
                    grant.role == Role::Service,
                    "{}",
                    rule.command
                );
                if let Reach::Checks(checks) = grant.reach {
                    assert!(
                        !checks.is_empty(),
                        "{}: a grant with no check",
                        rule.command
                    );
                }
            }
        }
    }
}
