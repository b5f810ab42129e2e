//! What every page's frame shows: who is signed in, the navigation their roles open,
//! the CSRF token of the sign-out form, and the URLs of the shared files.

use auth::Role;

use super::assets::url;
use super::session::Visitor;
use crate::http::Gateway;

/// The signed-in caller, in the words of the header.
#[derive(Debug, Clone)]
pub struct Who {
    pub role_name: String,
    /// "Name (CODE)", or the code alone when the tree does not know it.
    pub organisation: String,
    pub code: String,
    pub roles: Vec<Role>,
}

#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: &'static str,
    pub text: &'static str,
    pub current: bool,
}

#[derive(Debug, Clone)]
pub struct Layout {
    pub who: Option<Who>,
    pub nav: Vec<NavItem>,
    /// The session's CSRF token as this page carries it ([`super::csrf::masked`]).
    pub csrf: String,
    pub favicon: String,
    pub css: String,
    pub own_css: String,
    pub js: String,
}

/// The roles that read the responsibility map: the commissioners and those above them.
pub const READS_RESPONSIBILITY: [Role; 6] = [
    Role::IcbCommissioner,
    Role::RegionalLead,
    Role::NationalLead,
    Role::PcnLead,
    Role::Auditor,
    Role::PracticeManager,
];

/// The roles that follow training rollout: the national and regional leads, and the
/// commissioners and PCNs who see their own area's (the API scopes what each sees).
pub const READS_ROLLOUT: [Role; 6] = [
    Role::NationalLead,
    Role::RegionalLead,
    Role::IcbCommissioner,
    Role::PcnLead,
    Role::Auditor,
    Role::PracticeManager,
];

/// The roles the heat map of ownership is for: those whose area holds regions or ICBs.
pub const READS_HEAT_MAP: [Role; 4] = [
    Role::NationalLead,
    Role::RegionalLead,
    Role::IcbCommissioner,
    Role::Auditor,
];

/// The roles that run or book community sessions: partners, and the practices that
/// refer people to them and host them.
pub const READS_SESSIONS: [Role; 3] = [
    Role::PartnerCoordinator,
    Role::PracticeManager,
    Role::PracticeStaff,
];

/// The roles whose organisation is asked things: duties to accept, sessions to host.
pub const ANSWERS_INBOX: [Role; 3] = [Role::PracticeManager, Role::PracticeStaff, Role::PcnLead];

/// The roles that commission partners and follow what they delivered.
pub const READS_COMMISSIONING: [Role; 4] = [
    Role::IcbCommissioner,
    Role::RegionalLead,
    Role::NationalLead,
    Role::Auditor,
];

/// The roles of a practice's own team: they record its facilitation and report the
/// problems it has with platforms.
pub const PRACTICE_TEAM: [Role; 2] = [Role::PracticeManager, Role::PracticeStaff];

/// The role of a platform provider: it answers usability issues on its platforms and
/// publishes their changes and training material.
pub const PROVIDER: [Role; 1] = [Role::ProviderAdmin];

/// Each page of the menu and the roles it is for (empty: everyone signed in).
const PAGES: [(&str, &str, &[Role]); 15] = [
    ("/", "Home", &[]),
    ("/inbox", "Inbox", &ANSWERS_INBOX),
    ("/facilitation", "Facilitation", &PRACTICE_TEAM),
    ("/usability", "Usability problems", &PRACTICE_TEAM),
    ("/provider/issues", "Issues to answer", &PROVIDER),
    ("/provider/changes", "Changes", &PROVIDER),
    ("/provider/materials", "Training material", &PROVIDER),
    ("/staff", "Staff", &[Role::PracticeManager]),
    (
        "/responsibility",
        "Responsibility map",
        &READS_RESPONSIBILITY,
    ),
    ("/heatmap", "Heat map", &READS_HEAT_MAP),
    ("/commissioning", "Commissioning", &READS_COMMISSIONING),
    ("/service-status", "Service status", &READS_COMMISSIONING),
    ("/rollout", "Training rollout", &READS_ROLLOUT),
    ("/sessions", "Sessions", &READS_SESSIONS),
    (
        "/host-practices",
        "Host practices",
        &[Role::PartnerCoordinator],
    ),
];

/// A role as its holders say it.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::NationalLead => "National training lead",
        Role::RegionalLead => "Regional lead",
        Role::IcbCommissioner => "ICB commissioner",
        Role::PcnLead => "PCN lead",
        Role::PracticeManager => "Practice manager",
        Role::PracticeStaff => "Practice staff",
        Role::PartnerCoordinator => "Partner coordinator",
        Role::ProviderAdmin => "Platform provider",
        Role::Auditor => "Auditor",
        Role::Service => "Service",
    }
}

impl Layout {
    /// The frame of a page at `path` for `visitor`.
    pub fn new(gw: &Gateway, visitor: &Visitor, path: &str) -> Self {
        let who = visitor.caller().map(|caller| {
            let principal = &caller.principal;
            let code = principal.organisation.clone();
            let name = gw
                .projection
                .live()
                .read(|model| model.tree.get(&code).map(|org| org.name.clone()));
            Who {
                role_name: principal
                    .roles
                    .iter()
                    .map(|r| role_name(*r))
                    .collect::<Vec<_>>()
                    .join(", "),
                organisation: match name {
                    Some(name) if !name.is_empty() => format!("{name} ({code})"),
                    _ => code.clone(),
                },
                code,
                roles: principal.roles.clone(),
            }
        });
        let nav = match &who {
            None => Vec::new(),
            Some(who) => PAGES
                .iter()
                .filter(|(_, _, roles)| {
                    roles.is_empty() || roles.iter().any(|r| who.roles.contains(r))
                })
                .map(|(href, text, _)| NavItem {
                    href,
                    text,
                    current: *href == path,
                })
                .collect(),
        };
        Self {
            who,
            nav,
            csrf: super::csrf::masked(&visitor.csrf),
            favicon: url("vendor/nhsuk-frontend/images/favicon.ico"),
            css: url("vendor/nhsuk-frontend/nhsuk-frontend.min.css"),
            own_css: url("difacto.css"),
            js: url("web.js"),
        }
    }

    /// The frame of a page shown to nobody in particular (an error before a session).
    pub fn bare() -> Self {
        Self {
            who: None,
            nav: Vec::new(),
            csrf: String::new(),
            favicon: url("vendor/nhsuk-frontend/images/favicon.ico"),
            css: url("vendor/nhsuk-frontend/nhsuk-frontend.min.css"),
            own_css: url("difacto.css"),
            js: url("web.js"),
        }
    }

    pub fn may(&self, roles: &[Role]) -> bool {
        self.who
            .as_ref()
            .is_some_and(|w| roles.iter().any(|r| w.roles.contains(r)))
    }
}
