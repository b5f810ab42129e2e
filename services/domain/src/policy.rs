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

use auth::{Principal, Role};
use chrono::NaiveDate;

pub use crate::command::{Command, Service};
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
    /// The body paying for a commission.
    Commissioner,
    /// A partner holding a commission that reaches a session (there may be several).
    CommissionHolder,
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
            Party::Commissioner => "commissioner",
            Party::CommissionHolder => "commissioned partner",
        }
    }
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
    pub command: Command,
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
/// names as referrer), or a partner referring for itself on a session one of its
/// commissions reaches, or the referring organisation on a session of its own ICB, or a
/// commissioner over both the referrer and the session's ICB.
const REFERRERS: [Grant; 9] = [
    checks(PartnerCoordinator, &[(Partner, Own)]),
    checks(
        PartnerCoordinator,
        &[(Referrer, Own), (CommissionHolder, Own)],
    ),
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
/// Commissioning a partner, or ending a commission: a commissioner acting for the body
/// that pays, over the area the sessions are for.
const COMMISSIONING: [Grant; 4] = [
    checks(NationalLead, &[(Commissioner, Own), (Target, Area)]),
    checks(RegionalLead, &[(Commissioner, Own), (Target, Area)]),
    checks(IcbCommissioner, &[(Commissioner, Own), (Target, Area)]),
    SERVICE,
];
const PROVIDER: [Grant; 2] = [own(ProviderAdmin), SERVICE];
const PLATFORM_REGISTRARS: [Grant; 3] = [own(ProviderAdmin), area(NationalLead), SERVICE];
/// Proposing a responsibility: commissioners and PCN leads, over their area.
const PROPOSERS: [Grant; 5] = [
    area(NationalLead),
    area(RegionalLead),
    area(IcbCommissioner),
    area(PcnLead),
    SERVICE,
];
/// Saying whom one believes owns a duty: any organisation, for itself (not auditors).
const ANYONE_FOR_ITSELF: [Grant; 9] = [
    own(NationalLead),
    own(RegionalLead),
    own(IcbCommissioner),
    own(PcnLead),
    own(PracticeManager),
    own(PracticeStaff),
    own(PartnerCoordinator),
    own(ProviderAdmin),
    SERVICE,
];

/// The grants of `command`: the table. Exhaustive, so that a command without a rule
/// does not compile; tests generate the authorisation matrix from it.
pub fn grants(command: Command) -> &'static [Grant] {
    use Command as C;
    match command {
        C::RegisterOrganisation => &COMMISSIONERS,
        C::RenameOrganisation => &COMMISSIONERS,
        C::ReparentOrganisation => &COMMISSIONERS,
        C::MergeOrganisations => &COMMISSIONERS,
        C::CloseOrganisation => &COMMISSIONERS,
        // The whole registry is brought in line with a national file: national only.
        C::RecordRegistryImport => &NATIONAL,
        C::DefineDuty => &NATIONAL,
        C::RetireDuty => &NATIONAL,
        C::ProposeResponsibility => &PROPOSERS,
        C::AcceptResponsibility => &THE_ORGANISATION,
        C::DeclineResponsibility => &THE_ORGANISATION,
        C::EndResponsibility => &ENDERS,
        C::AttributeResponsibility => &ANYONE_FOR_ITSELF,
        C::LaunchTrainingProgramme => &COMMISSIONERS,
        C::SetRolloutTarget => &COMMISSIONERS,
        C::CommissionPartner => &COMMISSIONING,
        C::EndCommission => &COMMISSIONING,
        C::RecordFacilitation => &PRACTICE_TEAM,
        C::ChangeServiceStatus => &PRACTICE_MANAGER,
        C::NameDigitalChampion => &PRACTICE_MANAGER,
        C::ReportStaffInPost => &PRACTICE_MANAGER,
        C::EnrolStaff => &PRACTICE_TEAM,
        C::CompleteModule => &PRACTICE_TEAM,
        C::CompleteTraining => &PRACTICE_TEAM,
        C::AdoptPlatform => &PRACTICE_MANAGER,
        C::ScheduleSession => &PARTNER,
        C::ConfirmHosting => &PRACTICE_MANAGER,
        C::DeclineHosting => &PRACTICE_MANAGER,
        C::BookSeat => &REFERRERS,
        C::CancelBooking => &REFERRERS,
        C::JoinWaitlist => &REFERRERS,
        C::CancelSession => &PARTNER,
        C::RecordAttendance => &PARTNER,
        C::RegisterPlatform => &PLATFORM_REGISTRARS,
        C::AnnouncePlatformChange => &PROVIDER,
        C::PublishTrainingMaterial => &PROVIDER,
        C::ReportUsabilityIssue => &PRACTICE_TEAM,
        C::AcknowledgeUsabilityIssue => &PROVIDER,
        C::ResolveUsabilityIssue => &PROVIDER,
    }
}

/// The rule of `command`.
pub fn rule(command: Command) -> Rule {
    Rule {
        command,
        service: command.service(),
        grants: grants(command),
    }
}

/// Every rule, in the order of [`Command::ALL`].
pub fn rules() -> impl Iterator<Item = Rule> {
    Command::ALL.iter().map(|&command| rule(command))
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

    /// The organisations playing `party` (most parties have one; a session may be
    /// reached by several commissions).
    fn codes(&self, party: Party) -> impl Iterator<Item = &'a str> + '_ {
        self.parties
            .iter()
            .filter(move |(p, code)| *p == party && !code.is_empty())
            .map(|(_, code)| *code)
    }
}

/// Whether `check` holds for `actor` against one of the party's organisations on `date`.
/// A party the command does not name, or names as nothing (a thing that does not exist),
/// holds for nobody.
fn holds(
    actor: &Principal,
    (party, scope): (Party, Scope),
    targets: &Targets<'_>,
    registry: &Registry,
    date: NaiveDate,
) -> bool {
    targets.codes(party).any(|code| match scope {
        Own => actor.organisation == code,
        Area => registry.is_within(code, &actor.organisation, date),
        Home => registry.is_within(&actor.organisation, code, date),
    })
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
    command: Command,
    targets: &Targets<'_>,
    registry: &Registry,
    date: NaiveDate,
) -> Result<(), DomainError> {
    if grants(command)
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
pub fn reaches_anywhere(actor: &Principal, command: Command) -> bool {
    grants(command)
        .iter()
        .any(|grant| matches!(grant.reach, Reach::Anywhere) && actor.has_role(grant.role))
}

/// The table as Markdown, for ARCHITECTURE.md (a test keeps the document equal to this).
pub fn render_markdown() -> String {
    let mut out = String::from("| command | service | who (scope) |\n|---|---|---|\n");
    for rule in rules() {
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
            "ARCHITECTURE.md's policy table differs from the policy; paste this:\n{}",
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
                // Not in DESIGN.md §9's table: §4 and §11 name its event, RegistryImported,
                // which `difacto import ods` records through IcbService.
                "RecordRegistryImport",
                "DefineDuty",
                "RetireDuty",
                "ProposeResponsibility",
                "AcceptResponsibility",
                "DeclineResponsibility",
                "EndResponsibility",
                "AttributeResponsibility",
                "LaunchTrainingProgramme",
                "SetRolloutTarget",
                "CommissionPartner",
                "EndCommission",
            ],
        ),
        (
            "practice",
            &[
                "RecordFacilitation",
                "ChangeServiceStatus",
                "NameDigitalChampion",
                "ReportStaffInPost",
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
    fn the_commands_are_the_ones_design_pins_by_service() {
        let services = [
            ("icb", Service::Icb),
            ("practice", Service::Practice),
            ("partner", Service::Partner),
            ("provider", Service::Provider),
        ];
        let mut pinned = 0;
        for (service, names) in PINNED {
            let (_, expected) = services
                .iter()
                .find(|(s, _)| s == service)
                .expect("service");
            for name in *names {
                let command = Command::named(name).unwrap_or_else(|| panic!("{name} not listed"));
                assert_eq!(command.service(), *expected, "{name}");
                pinned += 1;
            }
        }
        assert_eq!(pinned, 39);
        assert_eq!(Command::ALL.len(), pinned, "a command DESIGN does not pin");
    }

    #[test]
    fn auditors_never_write() {
        assert!(rules().all(|rule| rule.grants.iter().all(|grant| grant.role != Auditor)));
    }

    #[test]
    fn only_the_service_role_reaches_anywhere() {
        for rule in rules() {
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
