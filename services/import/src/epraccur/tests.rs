//! The parser against the real sample (its quirks: closed, dormant, Welsh, and
//! prescribing settings that are not GP practices) and against files that are wrong.

use super::*;

const SAMPLE: &[u8] = include_bytes!("../../tests/data/epraccur-sample.csv");

fn sample() -> Epraccur {
    parse(SAMPLE, false).expect("the sample reads")
}

fn practice<'a>(file: &'a Epraccur, code: &str) -> Option<&'a Practice> {
    file.practices.iter().find(|p| p.code == code)
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
}

#[test]
fn the_sample_reads_whole_and_every_row_is_counted_once() {
    let file = sample();
    assert_eq!(file.rows, 48);
    assert!(file.bad.is_empty(), "{:?}", file.bad);
    assert_eq!(file.outside_england, 4, "W00010 to W00013");
    assert_eq!(file.not_gp_practice, 8, "settings 0, 2, 8 and 13");
    assert_eq!(file.practices.len(), 36);
    let count = |status| file.practices.iter().filter(|p| p.status == status).count();
    assert_eq!(
        (
            count(Status::Active),
            count(Status::Closed),
            count(Status::Dormant)
        ),
        (25, 7, 4)
    );
}

#[test]
fn a_practice_carries_its_place_in_the_tree_and_its_dates() {
    let file = sample();
    let ilford = practice(&file, "F86082").expect("Ilford Lane Surgery");
    assert_eq!(ilford.name, "ILFORD LANE SURGERY");
    assert_eq!(
        (
            ilford.region.as_str(),
            ilford.icb.as_str(),
            ilford.sub_icb.as_str()
        ),
        ("Y56", "Q71", "08N")
    );
    assert_eq!(ilford.postcode_district, "IG1");
    assert_eq!(ilford.opened, day("1986-09-20"));
    assert_eq!(ilford.closed, None);
    assert_eq!(ilford.line, 20);
}

#[test]
fn closed_and_dormant_practices_are_read_with_their_status() {
    let file = sample();
    let castle = practice(&file, "F81162").expect("a closed practice");
    assert_eq!(castle.status, Status::Closed);
    assert_eq!(castle.closed, Some(day("2017-07-31")));
    let apple_tree = practice(&file, "C84125").expect("a dormant practice");
    assert_eq!(apple_tree.status, Status::Dormant);
}

#[test]
fn services_that_are_not_gp_practices_are_left_out() {
    let file = sample();
    // A recovery centre (setting 8), services for travelling families (0), an
    // out-of-hours service (2) and a medical centre of setting 0.
    for code in ["A83642", "A85619", "A85621", "A91020"] {
        assert!(practice(&file, code).is_none(), "{code}");
    }
}

#[test]
fn welsh_rows_are_outside_england_unless_asked_for() {
    let with_wales = parse(SAMPLE, true).expect("reads");
    // The sample's Welsh rows are deputising services, not GP practices.
    assert_eq!(with_wales.outside_england, 0);
    assert_eq!(with_wales.not_gp_practice, 12);
    let welsh_practice = b"\"W91001\",\"A WELSH SURGERY\",\"W00\",\"Q99\",\"\",\"\",\"\",\"\",\"\",\"CF10 1AA\",\"19740401\",\"\",\"A\",\"B\",\"7A4\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"4\",\"\"\n";
    assert_eq!(
        parse(welsh_practice, false).expect("reads").outside_england,
        1
    );
    let read = parse(welsh_practice, true).expect("reads");
    assert_eq!(read.practices.len(), 1, "{:?}", read.bad);
    assert_eq!(read.practices[0].region, "W00");
}

/// The sample with line `n` (from 1) replaced by what `change` makes of its fields.
fn with_row(n: usize, change: impl Fn(&mut Vec<String>)) -> Vec<u8> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(SAMPLE);
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(Vec::new());
    for (i, record) in reader.records().enumerate() {
        let mut fields: Vec<String> = record.expect("a row").iter().map(str::to_owned).collect();
        if i + 1 == n {
            change(&mut fields);
        }
        writer.write_record(&fields).expect("written");
    }
    writer.into_inner().expect("flushed")
}

#[test]
fn a_bad_row_is_reported_by_line_and_column_and_the_rest_read() {
    let bytes = with_row(20, |f| f[10] = "1986-09-20".into());
    let file = parse(&bytes, false).expect("reads");
    assert_eq!(
        file.bad,
        [BadRow {
            line: 20,
            column: Some(11),
            reason: "\"1986-09-20\" is not a date (YYYYMMDD)".into(),
        }]
    );
    assert_eq!(file.practices.len(), 35);
    assert!(practice(&file, "F86082").is_none(), "never half-read");

    let bytes = with_row(21, |f| f[12] = "X".into());
    assert_eq!(parse(&bytes, false).expect("reads").bad[0].column, Some(13));
    let bytes = with_row(21, |f| f[14] = "not a ccg".into());
    assert_eq!(parse(&bytes, false).expect("reads").bad[0].column, Some(15));
    let bytes = with_row(21, |f| f[0] = "F8608".into());
    assert_eq!(parse(&bytes, false).expect("reads").bad[0].column, Some(1));
    let bytes = with_row(21, |f| f.truncate(20));
    let file = parse(&bytes, false).expect("reads");
    assert_eq!((file.bad[0].line, file.bad[0].column), (21, None));
    assert_eq!(file.rows, 48);
}

#[test]
fn files_of_the_wrong_shape_are_refused_whole() {
    let refused = |bytes: &[u8]| parse(bytes, false).expect_err("refused");
    assert!(refused(b"").contains("empty"));
    assert!(refused(b" \n\n").contains("empty"));
    let header = [&b"\"ORGANISATION_CODE\",\"NAME\"\n"[..], SAMPLE].concat();
    assert!(refused(&header).contains("header"), "{}", refused(&header));
    let map = b"PUBLICATION,EXTRACT_DATE,PRACTICE_CODE\nGP_PRAC_PAT_LIST,01JAN2026,A81001\n";
    assert!(refused(map).contains("header"));
    let narrow = b"\"A81001\",\"A SURGERY\",\"Y63\"\n\"A81002\",\"B SURGERY\",\"Y63\"\n";
    assert!(
        refused(narrow).contains("27 columns"),
        "{}",
        refused(narrow)
    );
    let latin1 = [&SAMPLE[..200], &[0xE9], &SAMPLE[200..]].concat();
    assert!(refused(&latin1).contains("UTF-8"));
    let utf16: Vec<u8> = "\"A81001\""
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    assert!(parse(&utf16, false).is_err());
}

#[test]
fn postcode_districts_keep_the_outward_part_only() {
    assert_eq!(district("DL15 4SB"), "DL15");
    assert_eq!(district("ne9 5ur"), "NE9");
    assert_eq!(district(""), "");
    assert_eq!(district("NOT A POSTCODE"), "");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// Whatever the bytes, the parser answers: a file, or a sentence.
    #[test]
    fn parsing_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..4096)) {
        let _ = parse(&bytes, false);
        let _ = parse(&bytes, true);
    }

    /// Cutting the real file anywhere never panics either, and never invents rows.
    #[test]
    fn a_cut_sample_never_panics(cut in 0..SAMPLE.len()) {
        if let Ok(file) = parse(&SAMPLE[..cut], false) {
            proptest::prop_assert!(file.rows <= 48);
        }
    }
}
