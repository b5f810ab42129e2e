//! The two ODS files written as NHS England publishes them, for a tree made up elsewhere
//! (the demo's, which then goes in through the importer as a real deployment's does):
//! what [`crate::epraccur::parse`] and [`crate::map::parse`] read back is what was
//! written.

use chrono::NaiveDate;

use crate::map::Area;

/// One open GP practice, placed in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PracticeRow {
    pub code: String,
    pub name: String,
    pub postcode: String,
    pub opened: NaiveDate,
    /// None: in no PCN.
    pub pcn: Option<Area>,
    pub sub_icb: Area,
    pub icb: Area,
    pub region: Area,
}

/// The map's first columns, before those the importer reads.
const MAP_PREFIX: [&str; 2] = ["PUBLICATION", "EXTRACT_DATE"];

/// `epraccur.csv`: no header, 27 quoted columns, `YYYYMMDD` dates, status `A`, sub-type
/// `B`, prescribing setting 4 (a GP practice).
pub fn epraccur(rows: &[PracticeRow]) -> Vec<u8> {
    let mut out = csv::WriterBuilder::new()
        .has_headers(false)
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(Vec::new());
    for row in rows {
        let opened = row.opened.format("%Y%m%d").to_string();
        let record: [&str; 27] = [
            &row.code,
            &row.name,
            &row.region.code,
            &row.icb.code,
            "",
            "",
            "",
            "",
            "",
            &row.postcode,
            &opened,
            "",
            "A",
            "B",
            &row.sub_icb.code,
            &opened,
            "",
            "",
            "",
            "",
            "",
            "0",
            "",
            "",
            "",
            "4",
            "",
        ];
        // Writing to a Vec cannot fail.
        let _ = out.write_record(record);
    }
    out.into_inner().unwrap_or_default()
}

/// `gp-reg-pat-prac-map.csv` of `extract`: a header, one row per practice, the extract
/// date written as NHS England writes it (`01APR2026`).
pub fn map(extract: NaiveDate, rows: &[PracticeRow]) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let _ = out.write_record(MAP_PREFIX.iter().chain(&crate::map::REQUIRED));
    let date = extract.format("%d%b%Y").to_string().to_ascii_uppercase();
    let none = Area {
        code: String::new(),
        name: String::new(),
    };
    for row in rows {
        let pcn = row.pcn.as_ref().unwrap_or(&none);
        let _ = out.write_record([
            "GP_PRAC_PAT_LIST",
            &date,
            &row.code,
            &row.name,
            &row.postcode,
            &pcn.code,
            &pcn.name,
            &row.sub_icb.code,
            &row.sub_icb.name,
            &row.icb.code,
            &row.icb.name,
            &row.region.code,
            &row.region.name,
        ]);
    }
    out.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::epraccur::{self, Status};
    use crate::map;

    fn area(code: String, name: &str) -> Area {
        Area {
            code,
            name: name.to_owned(),
        }
    }

    prop_compose! {
        fn practice_row()(
            name in "[A-Za-z][A-Za-z ,'()&-]{0,40}[A-Za-z)]",
            district in 1u32..30,
            days in 0i64..20_000,
            pcn in proptest::option::of(10_000u32..100_000),
            sub_icb in "[0-9]{2}[A-Z]",
            icb in "Q[A-Z0-9]{2}",
            region in 56u32..64,
        ) -> PracticeRow {
            PracticeRow {
                code: String::new(),
                name: name.clone(),
                postcode: format!("M{district} 4AB"),
                opened: NaiveDate::from_ymd_opt(1974, 4, 1).expect("a date")
                    + chrono::Days::new(days as u64),
                pcn: pcn.map(|n| area(format!("U{n:05}"), "A, PCN (demo)")),
                sub_icb: area(sub_icb, "Sub-ICB \"location\""),
                icb: area(icb, "NHS Somewhere Integrated Care Board"),
                region: area(format!("Y{region}"), "North West"),
            }
        }
    }

    proptest! {
        #[test]
        // Welsh codes (W…) are left out by default: not what this test is about.
        fn what_is_written_reads_back(
            rows in proptest::collection::btree_map("[A-HJ-NP-VXY][0-9]{5}", practice_row(), 1..20)
        ) {
            let rows: Vec<PracticeRow> = rows
                .into_iter()
                .map(|(code, row)| PracticeRow { code, ..row })
                .collect();
            let extract = NaiveDate::from_ymd_opt(2026, 4, 1).expect("a date");

            let file = epraccur::parse(&epraccur(&rows), false).expect("an epraccur");
            prop_assert!(file.bad.is_empty(), "{:?}", file.bad);
            prop_assert_eq!(file.practices.len(), rows.len());
            for (read, row) in file.practices.iter().zip(&rows) {
                prop_assert_eq!(&read.code, &row.code);
                prop_assert_eq!(&read.name, row.name.trim());
                prop_assert_eq!(&read.icb, &row.icb.code);
                prop_assert_eq!(&read.sub_icb, &row.sub_icb.code);
                prop_assert_eq!(&read.region, &row.region.code);
                prop_assert_eq!(read.opened, row.opened);
                prop_assert_eq!(read.status, Status::Active);
                prop_assert_eq!(&read.postcode_district, &epraccur::district(&row.postcode));
            }

            let file = map::parse(&map(extract, &rows)).expect("a map");
            prop_assert!(file.bad.is_empty(), "{:?}", file.bad);
            prop_assert_eq!(file.extract_date, Some(extract));
            for row in &rows {
                let placed = &file.practices[&row.code];
                prop_assert_eq!(&placed.pcn, &row.pcn);
                prop_assert_eq!(&placed.sub_icb, &row.sub_icb);
                prop_assert_eq!(&placed.icb, &row.icb);
                prop_assert_eq!(&placed.region, &row.region);
            }
        }
    }
}
