//! `epraccur.csv` as NHS ODS publishes it: no header, 27 quoted columns, one row per
//! prescribing cost centre ever opened in England and Wales, closed ones included. Only
//! GP practices (prescribing setting 4) are organisations of difacto; the rest are
//! counted by the reason they are left out.

use chrono::NaiveDate;
use domain::codes;
use proto::v1::OrganisationKind;

use super::file::{BadRow, quoted};

/// The file's columns, numbered from 1 as ODS documents them.
const COLUMNS: usize = 27;
const CODE: usize = 1;
const NAME: usize = 2;
/// "National grouping": the NHS England region (W00 for Wales).
const REGION: usize = 3;
/// "High level health geography": the ICB.
const ICB: usize = 4;
const POSTCODE: usize = 10;
const OPEN_DATE: usize = 11;
const CLOSE_DATE: usize = 12;
const STATUS: usize = 13;
/// The commissioner: the sub-ICB location.
const COMMISSIONER: usize = 15;
const PRESCRIBING_SETTING: usize = 26;
/// The prescribing setting of a GP practice; others are walk-in centres, out-of-hours
/// services, prisons, clinics and so on.
const GP_PRACTICE: u32 = 4;

/// Where a practice stands in ODS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Closed,
    Dormant,
    Proposed,
}

/// A GP practice as the file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Practice {
    pub line: u64,
    pub code: String,
    pub name: String,
    pub region: String,
    pub icb: String,
    pub sub_icb: String,
    /// The outward part of the postcode (`LS6`), the only part difacto keeps.
    pub postcode_district: String,
    pub opened: NaiveDate,
    pub closed: Option<NaiveDate>,
    pub status: Status,
}

/// Why a row that reads well is not a practice of difacto.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    OutsideEngland,
    NotGpPractice,
}

/// The file, read.
#[derive(Debug, Default)]
pub struct Epraccur {
    /// Data rows in the file.
    pub rows: u32,
    /// GP practices in scope, whatever their status.
    pub practices: Vec<Practice>,
    pub outside_england: u32,
    pub not_gp_practice: u32,
    pub bad: Vec<BadRow>,
}

/// Reads the file's text. `Err` is a sentence saying why the file as a whole is not an
/// epraccur (then nothing may be recorded); rows that do not read are in `bad`.
pub fn parse(bytes: &[u8], include_wales: bool) -> Result<Epraccur, String> {
    super::file::check_text(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut out = Epraccur::default();
    let mut wrong_width = 0u32;
    let mut record = csv::StringRecord::new();
    let mut counted = (0usize, 1u64);
    loop {
        let line = line_at(bytes, &mut counted, reader.position().byte() as usize);
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(err) => {
                // The reader cannot go on after a broken quote: the rest is one bad row.
                out.rows += 1;
                let line = err
                    .position()
                    .map_or(line, |p| line_at(bytes, &mut counted, p.byte() as usize));
                out.bad.push(BadRow {
                    line,
                    column: None,
                    reason: format!("is not CSV: {err}"),
                });
                if matches!(err.kind(), csv::ErrorKind::Utf8 { .. }) {
                    continue;
                }
                break;
            }
        }
        let line = record
            .position()
            .map_or(line, |p| line_at(bytes, &mut counted, p.byte() as usize));
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        out.rows += 1;
        if out.rows == 1 && looks_like_a_header(&record) {
            return Err(format!(
                "starts with a header ({}): epraccur.csv has none; is this gp-reg-pat-prac-map.csv (--map)?",
                quoted(record.get(0).unwrap_or_default())
            ));
        }
        if record.len() != COLUMNS {
            wrong_width += 1;
            out.bad.push(BadRow {
                line,
                column: None,
                reason: format!("has {} columns; epraccur.csv has {COLUMNS}", record.len()),
            });
            continue;
        }
        match row(line, &record, include_wales) {
            Ok(Ok(practice)) => out.practices.push(practice),
            Ok(Err(Skip::OutsideEngland)) => out.outside_england += 1,
            Ok(Err(Skip::NotGpPractice)) => out.not_gp_practice += 1,
            Err(bad) => out.bad.push(bad),
        }
    }
    if out.rows > 0 && wrong_width == out.rows {
        return Err(format!(
            "has no row of {COLUMNS} columns: it is not epraccur.csv as NHS ODS publishes it"
        ));
    }
    if out.rows == 0 {
        return Err("holds no rows".into());
    }
    Ok(out)
}

/// A first row whose first field is no organisation code: words such as
/// `Organisation Code`, or the map's `PUBLICATION`.
fn looks_like_a_header(record: &csv::StringRecord) -> bool {
    let first = record.get(0).unwrap_or_default().trim();
    first.is_empty()
        || first.len() > 8
        || !first
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        || !first.chars().any(|c| c.is_ascii_digit())
}

fn field(record: &csv::StringRecord, column: usize) -> &str {
    record.get(column - 1).unwrap_or_default().trim()
}

fn bad(line: u64, column: usize, reason: impl Into<String>) -> BadRow {
    BadRow {
        line,
        column: Some(column),
        reason: reason.into(),
    }
}

/// One row: a practice, a row left out and why, or what is wrong with it. Checks run in
/// the order that lets a row be left out for its kind before its details are judged
/// (a Welsh out-of-hours service need not have an English commissioner).
fn row(
    line: u64,
    record: &csv::StringRecord,
    include_wales: bool,
) -> Result<Result<Practice, Skip>, BadRow> {
    let code = field(record, CODE);
    if codes::check("code", code, OrganisationKind::Practice).is_err() {
        return Err(bad(
            line,
            CODE,
            format!(
                "{} is not a practice code (a letter and 5 digits)",
                quoted(code)
            ),
        ));
    }
    let region = field(record, REGION);
    if (code.starts_with('W') || region == "W00") && !include_wales {
        return Ok(Err(Skip::OutsideEngland));
    }
    let setting = field(record, PRESCRIBING_SETTING);
    match setting.parse::<u32>() {
        Ok(GP_PRACTICE) => {}
        Ok(_) => return Ok(Err(Skip::NotGpPractice)),
        Err(_) => {
            return Err(bad(
                line,
                PRESCRIBING_SETTING,
                format!("prescribing setting {} is not a number", quoted(setting)),
            ));
        }
    }
    let status = match field(record, STATUS) {
        "A" => Status::Active,
        "C" => Status::Closed,
        "D" => Status::Dormant,
        "P" => Status::Proposed,
        other => {
            return Err(bad(
                line,
                STATUS,
                format!("status {} is not A, C, D or P", quoted(other)),
            ));
        }
    };
    let name = field(record, NAME);
    if name.is_empty() {
        return Err(bad(line, NAME, "the practice has no name"));
    }
    let area = |column: usize, kind: OrganisationKind| {
        let code = field(record, column);
        codes::check("code", code, kind)
            .map(|()| code.to_owned())
            .map_err(|_| {
                bad(
                    line,
                    column,
                    format!(
                        "{} is not a {} code ({})",
                        quoted(code),
                        kind.as_str_name(),
                        codes::example(kind)
                    ),
                )
            })
    };
    let region = area(REGION, OrganisationKind::Region)?;
    let icb = area(ICB, OrganisationKind::Icb)?;
    let sub_icb = area(COMMISSIONER, OrganisationKind::SubIcb)?;
    let opened = date(line, record, OPEN_DATE)?
        .ok_or_else(|| bad(line, OPEN_DATE, "the practice has no open date"))?;
    let closed = date(line, record, CLOSE_DATE)?;
    Ok(Ok(Practice {
        line,
        code: code.to_owned(),
        name: name.to_owned(),
        region,
        icb,
        sub_icb,
        postcode_district: district(field(record, POSTCODE)),
        opened,
        closed,
        status,
    }))
}

/// A date as ODS writes it, `YYYYMMDD`; empty is none.
fn date(line: u64, record: &csv::StringRecord, column: usize) -> Result<Option<NaiveDate>, BadRow> {
    let text = field(record, column);
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y%m%d")
        .map(Some)
        .map_err(|_| {
            bad(
                line,
                column,
                format!("{} is not a date (YYYYMMDD)", quoted(text)),
            )
        })
}

/// The outward part of a postcode (`DL15 4SB` → `DL15`), or nothing when the text is no
/// postcode: one or two letters, a digit, and at most one more letter or digit.
pub fn district(postcode: &str) -> String {
    let outward = postcode
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let letters = outward
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .count();
    let rest: Vec<char> = outward.chars().skip(letters).collect();
    let shaped = (1..=2).contains(&letters)
        && rest.first().is_some_and(char::is_ascii_digit)
        && rest.len() <= 2
        && rest.iter().all(char::is_ascii_alphanumeric);
    if shaped { outward } else { String::new() }
}

/// The line (from 1) at which byte `offset` of `bytes` is, counted on from a known
/// `(offset, line)` so that a whole file is counted once. The csv reader's own line
/// count is one short after the first record.
fn line_at(bytes: &[u8], from: &mut (usize, u64), offset: usize) -> u64 {
    // The reader may stand on the line ending before a record: the record starts at
    // the first byte after it (and after any blank lines).
    let mut offset = offset.min(bytes.len());
    while bytes
        .get(offset)
        .is_some_and(|b| matches!(b, b'\n' | b'\r'))
    {
        offset += 1;
    }
    if offset >= from.0 {
        from.1 += bytes[from.0..offset]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        from.0 = offset;
    }
    from.1
}

#[cfg(test)]
mod tests;
