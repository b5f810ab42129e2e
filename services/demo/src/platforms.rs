//! Providers and their platforms (all synthetic but one listing of the NHS App), which
//! platforms each practice uses, the changes providers announce through the year with
//! training material, and the usability issues practices report, some answered days or
//! weeks later.

use chrono::NaiveDate;
use proto::v1::{
    AcknowledgeUsabilityIssueRequest, AnnouncePlatformChangeRequest, DigitalService,
    IssueResolutionKind, IssueSeverity, MaterialFormat, PatientGroup, PlatformCategory,
    PublishTrainingMaterialRequest, RegisterPlatformRequest, ReportUsabilityIssueRequest,
    ResolveUsabilityIssueRequest, StaffRole, UsabilityIssueCategory,
};
use rand::Rng;
use uuid::Uuid;

use super::Scale;
use super::command::{Script, Step, Who};
use super::england::Tree;
use super::seed::{DemoRng, Seed, Year, days, index, iso, weighted};

/// Provider codes and names.
pub(crate) const PROVIDERS: [(&str, &str); 15] = [
    ("V-nhs-app-team", "NHS App team (demo listing)"),
    (
        "V-northgate-clinical",
        "Northgate Clinical Systems (synthetic supplier)",
    ),
    ("V-meridian-gp", "Meridian GP Software (synthetic supplier)"),
    ("V-askfirst", "AskFirst Online (synthetic supplier)"),
    ("V-consultly", "Consultly (synthetic supplier)"),
    (
        "V-patchwork-health",
        "Patchwork Health Tech (synthetic supplier)",
    ),
    ("V-triagehub", "TriageHub (synthetic supplier)"),
    ("V-textwell", "TextWell Messaging (synthetic supplier)"),
    (
        "V-careline-telephony",
        "CareLine Telephony (synthetic supplier)",
    ),
    ("V-surgery-sites", "Surgery Sites (synthetic supplier)"),
    ("V-scriptswift", "ScriptSwift (synthetic supplier)"),
    ("V-bookwise", "BookWise (synthetic supplier)"),
    ("V-patient-pocket", "Patient Pocket (synthetic supplier)"),
    ("V-videovisit", "VideoVisit (synthetic supplier)"),
    (
        "V-clearview-access",
        "Clearview Access (synthetic supplier)",
    ),
];

/// What a practice chooses a platform for: it takes one platform of a group, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Group {
    ClinicalSystem,
    OnlineConsultation,
    NhsApp,
    Messaging,
    Telephony,
    Website,
    Triage,
    Video,
    Prescriptions,
    Booking,
    PatientApp,
}

/// Share of practices that use a platform of each group.
const GROUP_USE: [(Group, f64); 11] = [
    (Group::ClinicalSystem, 1.0),
    (Group::OnlineConsultation, 1.0),
    (Group::NhsApp, 0.9),
    (Group::Messaging, 0.7),
    (Group::Telephony, 0.25),
    (Group::Website, 0.3),
    (Group::Triage, 0.15),
    (Group::Video, 0.15),
    (Group::Prescriptions, 0.1),
    (Group::Booking, 0.1),
    (Group::PatientApp, 0.08),
];

pub(crate) struct PlatformInfo {
    pub provider: usize,
    pub name: &'static str,
    pub category: PlatformCategory,
    pub services: &'static [DigitalService],
    pub group: Group,
    /// Market share within its group.
    pub share: u32,
}

use DigitalService as S;
use PlatformCategory as C;

pub(crate) const PLATFORMS: [PlatformInfo; 23] = [
    PlatformInfo {
        provider: 0,
        name: "NHS App",
        category: C::PatientApp,
        services: &[
            S::NhsApp,
            S::OnlinePrescriptions,
            S::OnlineAppointments,
            S::OnlineRecords,
        ],
        group: Group::NhsApp,
        share: 1,
    },
    PlatformInfo {
        provider: 1,
        name: "Northgate GP",
        category: C::ClinicalSystem,
        services: &[],
        group: Group::ClinicalSystem,
        share: 55,
    },
    PlatformInfo {
        provider: 1,
        name: "Northgate Patient",
        category: C::PatientApp,
        services: &[
            S::OnlineAppointments,
            S::OnlinePrescriptions,
            S::OnlineRecords,
        ],
        group: Group::PatientApp,
        share: 40,
    },
    PlatformInfo {
        provider: 2,
        name: "Meridian Practice",
        category: C::ClinicalSystem,
        services: &[],
        group: Group::ClinicalSystem,
        share: 45,
    },
    PlatformInfo {
        provider: 2,
        name: "Meridian Records View",
        category: C::RecordsAccess,
        services: &[S::OnlineRecords],
        group: Group::PatientApp,
        share: 25,
    },
    PlatformInfo {
        provider: 3,
        name: "AskFirst Consult",
        category: C::OnlineConsultationTool,
        services: &[S::OnlineConsultation],
        group: Group::OnlineConsultation,
        share: 35,
    },
    PlatformInfo {
        provider: 3,
        name: "AskFirst Triage",
        category: C::Triage,
        services: &[S::OnlineConsultation],
        group: Group::Triage,
        share: 50,
    },
    PlatformInfo {
        provider: 4,
        name: "Consultly",
        category: C::OnlineConsultationTool,
        services: &[S::OnlineConsultation],
        group: Group::OnlineConsultation,
        share: 25,
    },
    PlatformInfo {
        provider: 5,
        name: "Patchwork Consult",
        category: C::OnlineConsultationTool,
        services: &[S::OnlineConsultation, S::VideoConsultation],
        group: Group::OnlineConsultation,
        share: 20,
    },
    PlatformInfo {
        provider: 5,
        name: "Patchwork Video",
        category: C::VideoConsultation,
        services: &[S::VideoConsultation],
        group: Group::Video,
        share: 30,
    },
    PlatformInfo {
        provider: 5,
        name: "Patchwork Messages",
        category: C::Messaging,
        services: &[],
        group: Group::Messaging,
        share: 35,
    },
    PlatformInfo {
        provider: 6,
        name: "TriageHub Flow",
        category: C::Triage,
        services: &[S::OnlineConsultation],
        group: Group::Triage,
        share: 50,
    },
    PlatformInfo {
        provider: 6,
        name: "TriageHub Forms",
        category: C::OnlineConsultationTool,
        services: &[S::OnlineConsultation],
        group: Group::OnlineConsultation,
        share: 20,
    },
    PlatformInfo {
        provider: 7,
        name: "TextWell",
        category: C::Messaging,
        services: &[],
        group: Group::Messaging,
        share: 65,
    },
    PlatformInfo {
        provider: 7,
        name: "TextWell Video",
        category: C::VideoConsultation,
        services: &[S::VideoConsultation],
        group: Group::Video,
        share: 40,
    },
    PlatformInfo {
        provider: 8,
        name: "CareLine Cloud Phone",
        category: C::Telephony,
        services: &[],
        group: Group::Telephony,
        share: 60,
    },
    PlatformInfo {
        provider: 8,
        name: "CareLine Call-back",
        category: C::Telephony,
        services: &[],
        group: Group::Telephony,
        share: 40,
    },
    PlatformInfo {
        provider: 9,
        name: "SurgerySites",
        category: C::PracticeWebsite,
        services: &[S::PracticeWebsite],
        group: Group::Website,
        share: 70,
    },
    PlatformInfo {
        provider: 10,
        name: "ScriptSwift",
        category: C::PrescriptionOrdering,
        services: &[S::OnlinePrescriptions],
        group: Group::Prescriptions,
        share: 1,
    },
    PlatformInfo {
        provider: 11,
        name: "BookWise",
        category: C::OnlineBooking,
        services: &[S::OnlineAppointments],
        group: Group::Booking,
        share: 1,
    },
    PlatformInfo {
        provider: 12,
        name: "Patient Pocket",
        category: C::PatientApp,
        services: &[S::OnlineAppointments, S::OnlinePrescriptions],
        group: Group::PatientApp,
        share: 35,
    },
    PlatformInfo {
        provider: 13,
        name: "VideoVisit",
        category: C::VideoConsultation,
        services: &[S::VideoConsultation],
        group: Group::Video,
        share: 30,
    },
    PlatformInfo {
        provider: 14,
        name: "Clearview Sites",
        category: C::PracticeWebsite,
        services: &[S::PracticeWebsite],
        group: Group::Website,
        share: 30,
    },
];

pub(crate) fn platform_id(seed: Seed, platform: usize) -> Uuid {
    seed.id("platform", platform)
}

fn provider(platform: usize) -> &'static str {
    PROVIDERS[PLATFORMS[platform].provider].0
}

fn slug(platform: usize) -> String {
    PLATFORMS[platform]
        .name
        .to_lowercase()
        .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
}

/// A practice started using a platform.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Adoption {
    pub platform: usize,
    pub on: NaiveDate,
}

/// The platforms practice `practice` uses, from its own random stream (shared by the
/// practice's script and the issues it reports).
pub(crate) fn adoptions(
    seed: Seed,
    practice: usize,
    tree: &Tree,
    today: NaiveDate,
) -> Vec<Adoption> {
    let mut rng = seed.rng("adopt", practice as u64);
    let span = (today - tree.established).num_days().max(61) - 60;
    let mut adopted = Vec::new();
    for (group, share) in GROUP_USE {
        if !rng.random_bool(share) {
            continue;
        }
        let choices: Vec<(usize, u32)> = PLATFORMS
            .iter()
            .enumerate()
            .filter(|(_, p)| p.group == group)
            .map(|(i, p)| (i, p.share))
            .collect();
        adopted.push(Adoption {
            platform: weighted(&mut rng, &choices),
            on: days(tree.established, rng.random_range(0..span)),
        });
    }
    adopted
}

/// Each platform registered by its provider on the year's first day, with the changes it
/// announced (weeks before they take effect) and the material it published: one script a
/// platform (its stream).
pub(crate) fn platforms(seed: Seed, year: Year) -> Vec<Script> {
    (0..PLATFORMS.len())
        .map(|n| platform_script(seed, n, year))
        .collect()
}

const CHANGES: [&str; 6] = [
    "New home screen: appointments and prescriptions move to a single menu",
    "Identity checks move to NHS login for all new registrations",
    "Request form shortened and reordered to reduce abandoned requests",
    "Proxy access set-up moves into the app, replacing the paper form",
    "Staff inbox redesigned with new filters for urgent requests",
    "Text size and contrast settings added for patients",
];

const LANGUAGES: [&str; 10] = [
    "pl", "ur", "pa-Guru", "ro", "bn", "ar", "so", "pt", "gu", "ti",
];

fn platform_script(seed: Seed, n: usize, year: Year) -> Script {
    let today = year.today;
    let info = &PLATFORMS[n];
    let mut rng = seed.rng("platform", n as u64);
    let admin = || Who::ProviderAdmin(provider(n).to_owned());
    let id = platform_id(seed, n).to_string();
    let mut script = vec![Step::new(
        year.start,
        admin(),
        RegisterPlatformRequest {
            request_id: seed.request_id(format_args!("platform-{n}")),
            platform_id: id.clone(),
            provider_code: provider(n).to_owned(),
            name: info.name.to_owned(),
            category: info.category.into(),
            services: info.services.iter().map(|s| i32::from(*s)).collect(),
            website_url: format!("https://example.org/difacto-demo/{}", slug(n)),
            description: format!("{} (synthetic platform for the difacto demo)", info.name),
        },
    )];
    for change in 0..rng.random_range(0..=3) {
        let change_id = seed.id("change", format_args!("{n}-{change}"));
        let retraining = rng.random_bool(0.5);
        let effective = days(today, rng.random_range(-180..60));
        let announced = year.day(days(effective, -rng.random_range(14..45)));
        script.push(Step::new(
            announced,
            admin(),
            AnnouncePlatformChangeRequest {
                request_id: seed.request_id(format_args!("change-{n}-{change}")),
                change_id: change_id.to_string(),
                platform_id: id.clone(),
                effective_date: iso(effective),
                roles_affected: [StaffRole::Receptionist, StaffRole::CareNavigator]
                    .into_iter()
                    .take(rng.random_range(1..=2))
                    .map(i32::from)
                    .collect(),
                retraining_required: retraining,
                summary: CHANGES[index(&mut rng, CHANGES.len())].to_owned(),
                patient_facing: rng.random_bool(0.5),
                services_affected: info.services.iter().map(|s| i32::from(*s)).collect(),
            },
        ));
        if retraining {
            let on = year.day(days(announced, rng.random_range(0..7)));
            script.push(material(
                on,
                seed,
                n,
                &format!("change-{change}"),
                Some(change_id),
                false,
                &mut rng,
            ));
        }
    }
    if rng.random_bool(0.4) {
        let on = year.day(days(year.start, rng.random_range(7..300)));
        script.push(material(on, seed, n, "patients", None, true, &mut rng));
    }
    // Stable: a change's material stays after its announcement.
    script.sort_by_key(|s| s.on);
    script
}

fn material(
    on: NaiveDate,
    seed: Seed,
    platform: usize,
    what: &str,
    change: Option<Uuid>,
    for_patients: bool,
    rng: &mut DemoRng,
) -> Step {
    let name = PLATFORMS[platform].name;
    let (title, formats, audience) = if for_patients {
        (
            format!("Getting started with {name}: a guide for patients"),
            vec![
                MaterialFormat::EasyRead,
                MaterialFormat::LargePrint,
                MaterialFormat::Poster,
            ],
            vec![],
        )
    } else {
        (
            format!("What changes in {name}: a guide for reception teams"),
            vec![MaterialFormat::Video, MaterialFormat::Guide],
            vec![
                i32::from(StaffRole::Receptionist),
                i32::from(StaffRole::CareNavigator),
            ],
        )
    };
    let mut languages = vec!["en".to_owned()];
    if for_patients {
        for _ in 0..rng.random_range(1..=4) {
            let language = LANGUAGES[index(rng, LANGUAGES.len())].to_owned();
            if !languages.contains(&language) {
                languages.push(language);
            }
        }
    }
    Step::new(
        on,
        Who::ProviderAdmin(provider(platform).to_owned()),
        PublishTrainingMaterialRequest {
            request_id: seed.request_id(format_args!("material-{platform}-{what}")),
            material_id: seed
                .id("material", format_args!("{platform}-{what}"))
                .to_string(),
            platform_id: platform_id(seed, platform).to_string(),
            title,
            formats: formats.into_iter().map(i32::from).collect(),
            languages,
            url: format!("https://example.org/difacto-demo/{}/{what}", slug(platform)),
            change_id: change.map(|c| c.to_string()).unwrap_or_default(),
            audience_roles: audience,
            for_patients,
        },
    )
}

use UsabilityIssueCategory as I;

const ISSUES: [(UsabilityIssueCategory, &str, u32); 9] = [
    (
        I::Accessibility,
        "Screen reader users cannot reach the submit button on the request form",
        12,
    ),
    (
        I::LoginIdentity,
        "Patients without photo identity cannot finish the identity check",
        16,
    ),
    (
        I::Navigation,
        "Patients cannot find where to order repeat prescriptions since the redesign",
        14,
    ),
    (
        I::Language,
        "The form is only in English and uses terms many patients do not understand",
        10,
    ),
    (
        I::Performance,
        "The request form times out on busy Monday mornings",
        12,
    ),
    (
        I::ChangeUnannounced,
        "The appointment screen changed without notice and staff had no guidance",
        9,
    ),
    (
        I::ProxyAccess,
        "Carers cannot switch between the people they act for",
        8,
    ),
    (
        I::DeviceCompatibility,
        "The app does not install on the older phones many older patients use",
        9,
    ),
    (
        I::StaffWorkflow,
        "Reception staff copy requests into the clinical system by hand",
        10,
    ),
];

const RESOLUTIONS: [(IssueResolutionKind, &str, u32); 4] = [
    (
        IssueResolutionKind::Fixed,
        "Fixed in the latest release; practices need do nothing",
        55,
    ),
    (
        IssueResolutionKind::Workaround,
        "A workaround is described in the help centre",
        25,
    ),
    (
        IssueResolutionKind::WillNotFix,
        "Not planned: the behaviour is required by the national specification",
        10,
    ),
    (
        IssueResolutionKind::CannotReproduce,
        "Could not reproduce on current versions; please report again if seen",
        10,
    ),
];

/// Usability issues practices report on platforms they use through the year, and what
/// providers did in the days and weeks after: one script an issue (its stream).
pub(crate) fn issues(seed: Seed, scale: &Scale, tree: &Tree, year: Year) -> Vec<Script> {
    let today = year.today;
    let mut scripts = Vec::new();
    for (n, practice) in tree.practices.iter().enumerate() {
        let mut rng = seed.rng("issues", n as u64);
        if !rng.random_bool(scale.issues_per_practice) {
            continue;
        }
        let adopted = adoptions(seed, n, tree, today);
        let reports = if rng.random_bool(0.2) { 2 } else { 1 };
        for report in 0..reports {
            let adoption = adopted[index(&mut rng, adopted.len())];
            let platform = adoption.platform;
            let info = &PLATFORMS[platform];
            let issue = seed.id("issue", format_args!("{}-{report}", practice.code));
            let what = format!("{}-{report}", practice.code);
            let categories: Vec<(usize, u32)> =
                ISSUES.iter().enumerate().map(|(i, c)| (i, c.2)).collect();
            let (category, description, _) = ISSUES[weighted(&mut rng, &categories)];
            let severity = weighted(
                &mut rng,
                &[
                    (IssueSeverity::Low, 25),
                    (IssueSeverity::Medium, 45),
                    (IssueSeverity::High, 25),
                    (IssueSeverity::Critical, 5),
                ],
            );
            let groups = match category {
                I::Accessibility => vec![PatientGroup::SensoryImpairment],
                I::Language => vec![
                    PatientGroup::LimitedEnglish,
                    PatientGroup::RefugeesAsylumSeekers,
                ],
                I::LoginIdentity => vec![PatientGroup::Homeless, PatientGroup::OlderPeople],
                I::DeviceCompatibility => vec![PatientGroup::OlderPeople],
                I::ProxyAccess => vec![PatientGroup::LearningDisability, PatientGroup::OlderPeople],
                _ => vec![],
            };
            // Reported once the practice has used the platform a while.
            let from = days(year.start, 14).max(days(adoption.on, 14));
            let reported = year.days_in_order(&mut rng, 1, from, today)[0];
            let mut script = vec![Step::new(
                reported,
                Who::PracticeManager(practice.code.clone()),
                ReportUsabilityIssueRequest {
                    request_id: seed.request_id(format_args!("issue-{what}")),
                    issue_id: issue.to_string(),
                    platform_id: platform_id(seed, platform).to_string(),
                    practice_code: practice.code.clone(),
                    category: category.into(),
                    severity: severity.into(),
                    description: description.to_owned(),
                    service: info.services.first().map_or(0, |s| i32::from(*s)),
                    patient_groups_affected: groups.into_iter().map(i32::from).collect(),
                },
            )];
            let admin = || Who::ProviderAdmin(provider(platform).to_owned());
            let mut answered = reported;
            if rng.random_bool(0.65) {
                answered = year.day(days(reported, rng.random_range(1..=14)));
                script.push(Step::new(
                    answered,
                    admin(),
                    AcknowledgeUsabilityIssueRequest {
                        request_id: seed.request_id(format_args!("issue-ack-{what}")),
                        issue_id: issue.to_string(),
                        note: "Thank you: our team is looking into this".to_owned(),
                        expected_resolution_date: if rng.random_bool(0.5) {
                            iso(days(answered, rng.random_range(14..90)))
                        } else {
                            String::new()
                        },
                    },
                ));
            }
            if rng.random_bool(0.4) {
                let kinds: Vec<(usize, u32)> = RESOLUTIONS
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (i, r.2))
                    .collect();
                let (kind, resolution, _) = RESOLUTIONS[weighted(&mut rng, &kinds)];
                script.push(Step::new(
                    year.day(days(answered, rng.random_range(7..=60))),
                    admin(),
                    ResolveUsabilityIssueRequest {
                        request_id: seed.request_id(format_args!("issue-resolve-{what}")),
                        issue_id: issue.to_string(),
                        resolution: resolution.to_owned(),
                        resolution_kind: kind.into(),
                    },
                ));
            }
            scripts.push(script);
        }
    }
    scripts
}
