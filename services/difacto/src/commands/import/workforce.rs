//! `difacto import workforce`: staff in post per practice and role from NHS England's
//! "General Practice Workforce" practice-level CSV, recorded as `StaffInPostReported`
//! through PracticeService's ReportStaffInPost: the rollout's denominators. A figure
//! the file leaves blank or `NA` is unknown, and nothing is reported for it (a zero
//! would claim nobody is in post).

use std::io::Write as _;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use domain::codes;
use proto::v1 as pb;
use proto::v1::{OrganisationKind, StaffRole};

use super::send::{self, RequestIds};
use super::target::Target;
use crate::cli::{AuthArgs, ImportWorkforceArgs};
use import::file::{BadRow, Source, each_row, quoted};

const PRACTICE: &str = "PRAC_CODE";
const GPS: &str = "TOTAL_GP_HC";
const NURSES: &str = "TOTAL_NURSES_HC";
const RECEPTIONISTS: &str = "ADMIN_RECEPT_HC";
const MANAGERS: &str = "ADMIN_MANAGER_HC";
const ADMIN: &str = "TOTAL_ADMIN_HC";
/// Direct patient care: pharmacists, healthcare assistants, social prescribers and others.
const DIRECT_PATIENT_CARE: &str = "TOTAL_DPC_HC";
const HEADCOUNTS: [&str; 6] = [
    GPS,
    NURSES,
    RECEPTIONISTS,
    MANAGERS,
    ADMIN,
    DIRECT_PATIENT_CARE,
];

/// One practice's headcounts, by the roles difacto has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staffing {
    pub line: u64,
    pub practice: String,
    /// Only the roles whose figure the file gives.
    pub roles: Vec<(StaffRole, u32)>,
}

#[derive(Debug, Default)]
pub struct Workforce {
    pub rows: u32,
    pub practices: Vec<Staffing>,
    pub bad: Vec<BadRow>,
}

/// Reads the file's text. `Err` is a sentence saying why it is not the workforce file.
pub fn parse(bytes: &[u8]) -> Result<Workforce, String> {
    let (mut reader, header) = import::file::headed(bytes)?;
    let index = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let Some(code_column) = index(PRACTICE) else {
        return Err(format!(
            "has no {PRACTICE} column: is it the practice-level General Practice Workforce CSV?"
        ));
    };
    let columns: Vec<(&str, usize)> = HEADCOUNTS
        .iter()
        .filter_map(|name| index(name).map(|i| (*name, i)))
        .collect();
    if columns.is_empty() {
        return Err(format!(
            "has none of the headcount columns difacto reads ({})",
            HEADCOUNTS.join(", ")
        ));
    }
    let mut out = Workforce::default();
    out.rows = each_row(
        &mut reader,
        &mut out.bad,
        |line, record, bad| match staffing(line, record, code_column, &columns) {
            Ok(staffing) => out.practices.push(staffing),
            Err(wrong) => bad.push(wrong),
        },
    );
    Ok(out)
}

fn staffing(
    line: u64,
    record: &csv::StringRecord,
    code_column: usize,
    columns: &[(&str, usize)],
) -> Result<Staffing, BadRow> {
    let code = record.get(code_column).unwrap_or_default();
    if codes::check("code", code, OrganisationKind::Practice).is_err() {
        return Err(BadRow {
            line,
            column: Some(code_column + 1),
            reason: format!("{} is not a practice code", quoted(code)),
        });
    }
    let mut figures = std::collections::HashMap::new();
    for &(name, column) in columns {
        if let Some(n) =
            headcount(record.get(column).unwrap_or_default()).map_err(|reason| BadRow {
                line,
                column: Some(column + 1),
                reason: format!("{name} {reason}"),
            })?
        {
            figures.insert(name, n);
        }
    }
    let figure = |name: &str| figures.get(name).copied();
    let mut roles: Vec<(StaffRole, u32)> = [
        (StaffRole::Gp, figure(GPS)),
        (StaffRole::Nurse, figure(NURSES)),
        (StaffRole::Receptionist, figure(RECEPTIONISTS)),
        (StaffRole::PracticeManagerRole, figure(MANAGERS)),
    ]
    .into_iter()
    .filter_map(|(role, n)| n.map(|n| (role, n)))
    .collect();
    // Everyone else: direct patient care, and admin staff who are neither receptionists
    // nor managers. Known only when every part is.
    if let (Some(dpc), Some(admin), Some(reception), Some(managers)) = (
        figure(DIRECT_PATIENT_CARE),
        figure(ADMIN),
        figure(RECEPTIONISTS),
        figure(MANAGERS),
    ) {
        // Headcounts per role count a person in two roles twice, so the parts may
        // exceed the total.
        let other_admin = admin.saturating_sub(reception + managers);
        roles.push((StaffRole::OtherStaff, dpc + other_admin));
    }
    Ok(Staffing {
        line,
        practice: code.to_owned(),
        roles,
    })
}

/// A headcount: a whole number of people (written `12` or `12.0`), or unknown (`NA`,
/// blank).
fn headcount(text: &str) -> Result<Option<u32>, String> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("NA") {
        return Ok(None);
    }
    let whole = text.strip_suffix(".0").unwrap_or(text);
    whole
        .parse::<u32>()
        .ok()
        .filter(|n| *n <= 10_000)
        .map(Some)
        .ok_or_else(|| format!("{} is not a number of people", quoted(text)))
}

pub async fn run(args: ImportWorkforceArgs, auth: &AuthArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let source = Source::read("FILE", &args.file)?;
    let file = parse(&source.bytes).map_err(|r| anyhow::anyhow!("{} {r}", source.name))?;
    for row in &file.bad {
        tracing::warn!("{}: {row}; row skipped", source.name);
    }
    let as_of: NaiveDate = args.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let target = Target::open(&args.target, auth).await?;
    let registry = target.registry().await?;
    let mut ids = RequestIds::new("import-workforce");
    let mut unknown = 0u32;
    let mut commands = Vec::new();
    for staffing in &file.practices {
        let known = registry
            .get(&staffing.practice)
            .is_some_and(|p| p.kind == OrganisationKind::Practice && p.is_active_on(as_of));
        if !known {
            unknown += 1;
            tracing::warn!(
                "{}: line {}: practice {} is not open in the registry; row skipped (import the ODS registry first)",
                source.name,
                staffing.line,
                staffing.practice
            );
            continue;
        }
        for (role, headcount) in &staffing.roles {
            let request = pb::ReportStaffInPostRequest {
                request_id: ids.next(),
                practice_code: staffing.practice.clone(),
                staff_role: (*role).into(),
                headcount: *headcount,
                as_of: as_of.format("%Y-%m-%d").to_string(),
            };
            let what = format!(
                "ReportStaffInPost {} {}",
                staffing.practice,
                role.as_str_name()
            );
            commands.push((what, request));
        }
    }
    drop(registry);
    let mut out = format!(
        "read {} rows of {} (as of {as_of})\nskipped {}: {unknown} practices not in the registry, {} malformed\n",
        file.rows,
        source.name,
        unknown as usize + file.bad.len(),
        file.bad.len()
    );
    if args.dry_run {
        out.push_str(&format!(
            "would report {} figures; dry run: nothing recorded\n",
            commands.len()
        ));
        write!(std::io::stdout().lock(), "{out}")?;
        return target.close().await;
    }
    let bar = send::progress(commands.len() as u64, "recording staff in post");
    let sent = send::all(commands, &bar, |c| target.sender.staff_in_post(c)).await;
    bar.finish_and_clear();
    out.push_str(&format!(
        "reported {} figures ({} already so) in {:.1} s\n",
        sent.recorded,
        sent.unchanged,
        started.elapsed().as_secs_f64()
    ));
    write!(std::io::stdout().lock(), "{out}")?;
    target.close().await?;
    if !sent.refused.is_empty() {
        for refusal in sent.refused.iter().take(50) {
            tracing::error!("refused: {refusal}");
        }
        anyhow::bail!(
            "{} figure(s) were refused (listed above)",
            sent.refused.len()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
PRAC_CODE,PRAC_NAME,TOTAL_GP_HC,TOTAL_GP_FTE,TOTAL_NURSES_HC,TOTAL_DPC_HC,TOTAL_ADMIN_HC,ADMIN_RECEPT_HC,ADMIN_MANAGER_HC,SOMETHING_NEW
F86082,ILFORD LANE SURGERY,6,4.2,3,4,14,8,2,x
F86083,THE EASTERN AVENUE MEDICAL CENTRE,NA,,2,,9,5,1,
F86085,HAINAULT SURGERY,5,3.1,two,1,1,1,1,
";

    #[test]
    fn headcounts_become_roles_and_unknown_stays_unknown() {
        let file = parse(FILE.as_bytes()).expect("reads");
        assert_eq!(file.rows, 3);
        assert_eq!(
            file.practices[0],
            Staffing {
                line: 2,
                practice: "F86082".into(),
                roles: vec![
                    (StaffRole::Gp, 6),
                    (StaffRole::Nurse, 3),
                    (StaffRole::Receptionist, 8),
                    (StaffRole::PracticeManagerRole, 2),
                    // 4 in direct patient care and 14 - 8 - 2 other admin staff.
                    (StaffRole::OtherStaff, 8),
                ],
            }
        );
        // NA GPs and a blank DPC: no GP figure and no "other staff" figure, not zeros.
        assert_eq!(
            file.practices[1].roles,
            [
                (StaffRole::Nurse, 2),
                (StaffRole::Receptionist, 5),
                (StaffRole::PracticeManagerRole, 1)
            ]
        );
        assert_eq!(
            file.bad,
            [BadRow {
                line: 4,
                column: Some(5),
                reason: "TOTAL_NURSES_HC \"two\" is not a number of people".into(),
            }]
        );
    }

    #[test]
    fn a_file_without_the_practice_column_is_refused() {
        assert!(
            parse(b"CODE,TOTAL_GP_HC\nF86082,3\n")
                .expect_err("refused")
                .contains(PRACTICE)
        );
        assert!(parse(b"PRAC_CODE,NAME\nF86082,X\n").is_err());
        assert!(parse(b"").is_err());
        assert_eq!(headcount("12.0"), Ok(Some(12)));
        assert!(headcount("-1").is_err());
        assert!(headcount("2.5").is_err());
    }
}
