//! `gp-reg-pat-prac-map.csv` as NHS England publishes it monthly: with a header, one row
//! per practice with its PCN, sub-ICB location, ICB and region, codes and names. Columns
//! are found by their header, so columns added to the file are ignored.

use std::collections::HashMap;

use chrono::NaiveDate;
use domain::codes;
use proto::v1::OrganisationKind;

use super::file::{BadRow, each_row, quoted};

/// An area: its code and, when the file names it, its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    pub code: String,
    pub name: String,
}

/// One practice's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub line: u64,
    pub name: String,
    pub postcode_district: String,
    /// None when the practice is in no PCN.
    pub pcn: Option<Area>,
    pub sub_icb: Area,
    pub icb: Area,
    pub region: Area,
}

/// The file, read.
#[derive(Debug, Default)]
pub struct Map {
    pub rows: u32,
    pub practices: HashMap<String, Placement>,
    /// The EXTRACT_DATE the file states (the same on every row), when it has one.
    pub extract_date: Option<NaiveDate>,
    pub bad: Vec<BadRow>,
}

/// The columns the importer reads, by their header.
pub(crate) const REQUIRED: [&str; 11] = [
    "PRACTICE_CODE",
    "PRACTICE_NAME",
    "PRACTICE_POSTCODE",
    "PCN_CODE",
    "PCN_NAME",
    "SUB_ICB_LOCATION_CODE",
    "SUB_ICB_LOCATION_NAME",
    "ICB_CODE",
    "ICB_NAME",
    "COMM_REGION_CODE",
    "COMM_REGION_NAME",
];

/// Reads the file's text. `Err` is a sentence saying why it is not the map as a whole.
pub fn parse(bytes: &[u8]) -> Result<Map, String> {
    let (mut reader, header) = super::file::headed(bytes)?;
    let index = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let missing: Vec<&str> = REQUIRED
        .into_iter()
        .filter(|n| index(n).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "has no column {} in its header: is it gp-reg-pat-prac-map.csv?",
            missing.join(", ")
        ));
    }
    let column: Vec<usize> = REQUIRED.iter().filter_map(|n| index(n)).collect();
    let extract_column = index("EXTRACT_DATE");
    let mut out = Map::default();
    out.rows = each_row(&mut reader, &mut out.bad, |line, record, bad| {
        if out.extract_date.is_none() {
            out.extract_date = extract_column
                .and_then(|c| record.get(c))
                .and_then(extract_date);
        }
        match placement(line, record, &column) {
            Ok((code, placement)) => {
                out.practices.insert(code, placement);
            }
            Err(wrong) => bad.push(wrong),
        }
    });
    if out.rows == 0 {
        return Err("holds a header and no rows".into());
    }
    Ok(out)
}

fn placement(
    line: u64,
    record: &csv::StringRecord,
    column: &[usize],
) -> Result<(String, Placement), BadRow> {
    let get = |i: usize| record.get(column[i]).unwrap_or_default();
    let coded = |i: usize, kind: OrganisationKind| -> Result<String, BadRow> {
        let code = get(i);
        codes::check("code", code, kind)
            .map(|()| code.to_owned())
            .map_err(|_| BadRow {
                line,
                column: Some(column[i] + 1),
                reason: format!(
                    "{} is not a {} code ({})",
                    quoted(code),
                    kind.as_str_name(),
                    codes::example(kind)
                ),
            })
    };
    let area = |code: usize, name: usize, kind| -> Result<Area, BadRow> {
        Ok(Area {
            code: coded(code, kind)?,
            name: get(name).to_owned(),
        })
    };
    let practice = coded(0, OrganisationKind::Practice)?;
    let pcn = if get(3).is_empty() {
        None
    } else {
        Some(area(3, 4, OrganisationKind::Pcn)?)
    };
    Ok((
        practice,
        Placement {
            line,
            name: get(1).to_owned(),
            postcode_district: super::epraccur::district(get(2)),
            pcn,
            sub_icb: area(5, 6, OrganisationKind::SubIcb)?,
            icb: area(7, 8, OrganisationKind::Icb)?,
            region: area(9, 10, OrganisationKind::Region)?,
        },
    ))
}

/// The map's EXTRACT_DATE, in whichever of the forms NHS files use.
fn extract_date(text: &str) -> Option<NaiveDate> {
    [
        "%Y-%m-%d", "%d%b%Y", "%d-%b-%Y", "%d-%b-%y", "%d/%m/%Y", "%Y%m%d",
    ]
    .iter()
    .find_map(|format| NaiveDate::parse_from_str(text.trim(), format).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,PRACTICE_POSTCODE,PCN_CODE,PCN_NAME,SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,ICB_CODE,ICB_NAME,COMM_REGION_CODE,COMM_REGION_NAME,SUPPLIER_NAME\n";

    fn file(rows: &[&str]) -> Vec<u8> {
        let mut text = HEADER.to_owned();
        for row in rows {
            text.push_str(row);
            text.push('\n');
        }
        text.into_bytes()
    }

    #[test]
    fn a_row_places_a_practice_with_the_names_of_its_areas() {
        let map = parse(&file(&[
            "GP_PRAC_PAT_LIST,01JAN2026,F86082,ILFORD LANE SURGERY,IG1 2SN,U12345,ILFORD PCN,08N,NHS NORTH EAST LONDON ICB - A3A8R,QMF,NHS NORTH EAST LONDON ICB,Y56,LONDON,EMIS",
        ]))
        .expect("reads");
        assert_eq!(map.extract_date, NaiveDate::from_ymd_opt(2026, 1, 1));
        let ilford = &map.practices["F86082"];
        assert_eq!(
            ilford.pcn.as_ref().map(|p| p.name.as_str()),
            Some("ILFORD PCN")
        );
        assert_eq!(ilford.icb.code, "QMF");
        assert_eq!(ilford.region.name, "LONDON");
        assert_eq!(ilford.postcode_district, "IG1");
        assert_eq!(ilford.line, 2);
    }

    #[test]
    fn bad_rows_are_named_and_a_map_without_its_columns_refused() {
        let map = parse(&file(&[
            "GP_PRAC_PAT_LIST,01JAN2026,F86082,ILFORD LANE SURGERY,IG1 2SN,U1234,ILFORD PCN,08N,A,QMF,B,Y56,LONDON,EMIS",
        ]))
        .expect("reads");
        assert_eq!(map.bad[0].line, 2);
        assert_eq!(map.bad[0].column, Some(6));
        assert!(
            parse(b"PRACTICE_CODE,PRACTICE_NAME\nA81001,X\n")
                .expect_err("refused")
                .contains("PCN_CODE")
        );
        assert!(parse(HEADER.as_bytes()).is_err());
    }
}
