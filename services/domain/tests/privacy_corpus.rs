//! DESIGN.md §7 against a corpus: what practice managers, partners and providers write in
//! free-text fields, with and without patient-identifiable data, in the forms issue 8
//! found missed (odd separators, glued letters, other digit forms, internationalised
//! addresses, phones in every UK form, dates of birth in words). Every string is checked
//! and every failure reported at once, so one run shows the whole picture.
//!
//! The NHS numbers are made up and pass modulus 11 (943 476 5919 is the NHS's published
//! example); the phone numbers are from Ofcom's ranges for drama; the postcodes are
//! real districts with made-up units.

use std::ops::Range;

use chrono::NaiveDate;
use domain::privacy::{Finding, check_free_text_on, find, is_nhs_number};
use proptest::prelude::*;

/// A fixed "today", so that "more than 16 years past" does not move under the tests.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 29).expect("a valid date")
}

const MUST_REFUSE: &[&str] = &[
    // NHS numbers, in every way they get written down.
    "Patient NHS number 943 476 5919 asked for help with the app",
    "NHS no. 943.476.5919 – proxy access set up",
    "nhs 943 4765 919 could not log in",
    "ref9434765919 needs a call back",
    "Mrs B's number is 9434765919",
    "９４３ ４７６ ５９１９ (from the web form)",
    "NHS#0830166130 locked out of NHS App",
    "Checked ID against 186-091-3903 before proxy access",
    "996 030 8243 — repeat prescriptions not showing",
    "helped 628 194 8211 reset her password",
    "Pt 9935181901 wants help booking",
    "NHS: 937/865/7974",
    "5432 319 489 struggled with the NHS login ID check",
    "Number given as 25 27 601 898",
    "5559797111.",
    "NHSNo5075291708",
    "(342) 366 7125 on the form",
    "768 426 8465 asked about the session",
    "patient 563\u{00A0}212\u{00A0}2336 (copied from the clinical system)",
    "NHS 079 244 0269",
    "859\u{2011}952\u{2011}8904",
    "786_666_1766",
    "٠٣١٣٧٢١٥٩٩",
    "०१०९ २८१ ५९४",
    "𝟎𝟏𝟑𝟗𝟔𝟐𝟒𝟓𝟗𝟕",
    "571\u{200B}177\u{200B}7742",
    "Excel showed it as 1,215,472,803",
    "385 280 8413 / needs large print",
    "ID 4852538883; message sent",
    "539-336-3389 was on the referral",
    "NHS number: 7500474393",
    "Patient (5755131376) attended",
    "no.3537990758",
    "1163726516abc",
    "676 122 2028 – digital champion helped",
    "⁹⁴³⁴⁷⁶⁵⁹¹⁹",
    "⑨④③④⑦⑥⑤⑨①⑨",
    "9 4 3 4 7 6 5 9 1 9",
    "NHS No.9434765919.",
    "943.476.5919!",
    "9\u{0336}4\u{0336}3\u{0336}4\u{0336}7\u{0336}6\u{0336}5\u{0336}9\u{0336}1\u{0336}9\u{0336}",
    "943．476．5919",
    // E-mail addresses, internationalised ones included.
    "Contact jo.bloggs@example.com for her login",
    "jö@example.com asked for a callback",
    "email: mary.o'neill@gmail.com",
    "Her daughter's email is zoë.smith@bücher.de",
    "send the link to patient123@hotmail.co.uk",
    "JOHN.SMITH@NHS.NET",
    "user+nhsapp@example.org wanted reminders",
    "email jo [at] example [dot] com",
    "jo.bloggs(at)nhs.net",
    "Reply to ｊｏ＠ｅｘａｍｐｌｅ．ｃｏｍ",
    "Ivan: иван@пример.рф",
    "王伟@例子.中国",
    "patient's son - dave_b@yahoo.com",
    "write to jo at example dot com",
    "a.b@c.io",
    "jo﹫example.com",
    "\"jo bloggs\"@example.com",
    "reach her via jo@xn--bcher-kva.de",
    // UK phone numbers in each written form.
    "Call her on 07700 900123",
    "0044 7700 900123",
    "44 7700 900123 (mobile)",
    "07700.900.123",
    "(0113) 496 0000 landline",
    "+44 (0)20 7946 0958",
    "+447700900456",
    "Tel: 0161 496 0123",
    "mob 07700-900-789",
    "ring 020 7946 0111 after 4pm",
    "0121-496-0555",
    "Phone 0117 496 0999, ask for Ann",
    "+44 7700 900 321",
    "tel07700900654",
    "0141 496 0777",
    "028 9018 0123",
    "029 2018 0456",
    "01632 960 123",
    "Her number +44 161 496 0000",
    "０７７００ ９００１２３",
    "+33 1 23 45 67 89 (French mobile)",
    "0191 498 0246",
    "07700 900 246 – prefers texts",
    "07700 900135 / 07700 900136",
    "+44-7700-900-987",
    "０１１３ ４９６ ００００",
    "+44 (0) 113 496 0000",
    // A full postcode with a date of birth.
    "DOB 4th July 1941, LS6 2AB",
    "born 4 July 1941, lives LS6 2AB",
    "Mr T, LS6 2AB, DOB 04/07/1941",
    "d.o.b. 12.03.1950 postcode BD7 1DP",
    "LS6 2AB born on the fourth of July nineteen forty-one",
    "Address LS17 8QR, date of birth 1 Jan 1938",
    "date of birth: 23/11/52, LS11 5AB",
    "SW1A 2AA birthday 12 March",
    "M14 5RB, aged 82, needs help with the app",
    "NE1 4LP, 79 years old, no smartphone",
    "S10 2TN 1947-06-15",
    "Visited at home, B15 2TT, born 1939",
    "L8 0SY, DoB Sept 3rd 1944",
    "lives EC1A 1BB, born March 1960",
    "HU3 2JZ; 3 Feb 1930",
    "CF10 1EP, DOB 1/2/49",
    "Patient in LS6 2AB aged eighty-two",
    "postcode ls6 2ab, dob 04-07-1941",
    "LS62AB born 04.07.1941",
    "Carer says DOB is July 4, 1941 and postcode is LS6 2AB",
    "G12 8QQ – 91 yo – wants video consults",
    "BS1 4ST, birth date 09/09/2009",
    "Postcode WF1 2AB, born 2015",
    "ＬＳ６ ２ＡＢ, DOB 4 July 1941",
    "LS6 2AB d/o/b 4/7/41",
    "LS6 2AB, 85-year-old widow",
    "Lives at 12 High St, LS6 2AB; DOB 4-Jul-1941",
    "DOB:1941-07-04 PC: LS6 2AB",
    "Mrs K (born 1 Sept 1950) from OL1 1AA",
    "YO1 7HH; date of birth the twenty-first of May 1960",
    "LS6 2AB, seen with her grandson, 17/05/1933",
    "born 4th of July '41 – LS6 2AB",
    "LS6 2AB, DOB 04/07",
    "LS6 2AB, 82 years of age, lives alone",
    "DOB (as given by her carer on the phone): 4 July 1941, LS6 2AB",
    // More than one kind.
    "Missed session; NHS 943 476 5919, mobile 07700 900123",
    "Spreadsheet row: 9434765919,07700900123,LS6 2AB",
    "contact: jo@example.com / 07700 900123",
];

const MUST_ACCEPT: &[&str] = &[
    "Reception ran NHS App sign-up drop-ins on Tuesdays",
    "12 patients helped, 3 referred to the library session",
    "Leeds Central Library, LS1 3AB, on 12 March 2027 at 10:00",
    "Session 2 of 4 moved to 14:00 because of the staff meeting",
    "40 people supported in week 2026-W14",
    "ODS code A81001 now hosts the drop-in",
    "Partner U00001 took over from Y02345",
    "Booking REF-000123 cancelled by the partner",
    "Session 3fa85f64-5717-4562-b3fc-2c963f66afa6 has a hearing loop",
    "75% of staff completed module 3 by 31 March 2027",
    "Year 2025/26 target: 1,200 patients",
    "Drop-ins at 09:30, 11:00, 13:30 and 15:00",
    "Drop-ins 12.03.2027 10.00-12.00",
    "Room 2, Bradford Central Library, BD1 1NN, Saturday 6 March 2027",
    "Venue LS6 3EX; sessions every Tuesday from 5 January 2027",
    "Clinic moved from LS6 to LS7",
    "Ran 3 sessions for 18 learners; 2 needed BSL interpreters",
    "Practice list size 12,450; 61% registered for the NHS App",
    "We printed 250 leaflets and 40 posters",
    "Use 111 online or call 999 in an emergency",
    "Module 4 takes about 45 minutes",
    "Session capacity raised from 12 to 20",
    "Next review 2027-01-15",
    "Budget £3,500 for 2026/27",
    "8 volunteers, 2 staff, 1 coordinator",
    "Covered weeks 45-48 of 2026",
    "Digital skills for people aged 65+ at Leeds Central Library, LS1 3AB",
    "Sessions for carers aged 18-25 at Hyde Park Source, LS6 1BN, 20 January 2027",
    "Audience: adults aged 70 and over, LS1 3AB",
    "WiFi at the venue was down from 10:15 to 10:45",
    "Interpreter booked for Polish (pl) and Punjabi (pa-Guru)",
    "Asked 3 questions about repeat prescriptions and 2 about test results",
    "The library opens its doors on 1 March 2027 at 9am, LS1 3AB",
    "Born in Bradford drop-in at Bradford Central Library, BD1 1NN, 3 March 2027",
    "Practice manager training: 4 of 6 modules done",
    "Staff ref REC-07 completed the champion course",
    "Attendance: week 1 = 14, week 2 = 9, week 3 = 17",
    "Feedback score 4.6/5 from 23 responses",
    "Moved from Room 101 to Room 203",
    "Session ID 550e8400-e29b-41d4-a716-446655440000",
    "Referred by partner P12345",
    "Planned 2027-02-01 to 2027-03-31",
    "Between 01/04/2026 and 31/03/2027 we ran 48 sessions",
    "No show rate 12.5% (was 18.2% last quarter)",
    "App version 2.84.1 fixed the login loop",
    "Q3 2026: 310 sign-ups",
    "Held at St Mark's Church Hall, LS2 9BZ, 10 February 2027, 2pm-4pm",
    "Bus 56 stops outside",
    "Pilot in 5 practices across 2 PCNs",
    "Cancelled because of the 2026-12-24 closure",
    "Helped a patient set up NHS login with the ID check",
    "Patient struggled with the face scan; advised to visit the practice",
    "Proxy access explained to a carer",
    "Large print guides handed out: 30",
    "Translated leaflets in 6 languages",
    "Session full; waitlist of 7",
    "Two people needed wheelchair access",
    "Email support address is on the poster",
    "Follow us @LeedsLibraries",
    "Drop-in @ the library, 10am",
    "Room capacity 30 (fire limit)",
    "Time slots 10:00-10:30, 10:30-11:00, 11:00-11:30",
    "Ratio 1:8 staff to learners",
    "The session ran 1.5 hours over 2 rooms",
    "Version 1.2.3.4 of the kiosk app",
    "Booking refs REF-000123, REF-000124 and REF-000125",
    "Practices A81001, A81002, B82005 and C84001 signed up",
    "Fiscal year 2026-27 plan agreed",
    "Week commencing 7 December 2026",
    "Held on 15/12/2026 at LS6 3EX",
    "Next sessions 12/01/2027, 19/01/2027, 26/01/2027",
    "Data as of 2026-11-28T17:00:00Z",
    "Population 2.4m in the ICB",
    "Phone support line opens at 8am",
    "Call 111 for urgent advice",
    "Ring the practice on the usual number",
    "In 2019 the library hosted a similar pilot",
    "Founded 1884, the library at LS1 3AB hosts the sessions",
    "Since March 2008 the venue at LS1 3AB has had step-free access",
    "Scores improved from 42 to 67 out of 100",
    "Patients over 75: 1,234; under 16: 2,345",
    "43 of 120 invites accepted (36%)",
    "Completed by 100% of reception staff",
    "Agreement v2 signed 2026-10-01",
    "Uploaded 3 files (2.3 MB)",
    "Slots at 9.30, 10.30 and 11.30",
    "Team of 12 in 3 shifts: 8-4, 12-8, 4-12",
    "Kiosk serial KX-2026-0042",
    "Postcode district LS6 only, as agreed",
    "Training cohort 2027-A, 15 places",
    "Partner code 00J; ICB QWO",
    "Ran out of chairs: 35 came, 30 seats",
    "Sessions cost £0 to attend",
    "Met on Monday, 30 November 2026",
    "Expected 1,500–2,000 downloads by April",
    "Patients aged 16 and over can use the NHS App",
    "Learners' average age was 71",
    "Birthday party room booked for the volunteers' social on 18 December 2026",
    "Born in Bradford team asked for 20 leaflets",
    "Hearing loop tested at 14:05 and at 14:50",
    "NHS App downloads up 12% from 3,400 to 3,808",
    "Used rooms 1, 2, 3, 4 and 5",
    "Sessions planned for weeks 2, 4, 6, 8 and 10",
    "Q1 2nd week was busiest",
    "Staff rota RC-01 RC-02 RC-03",
    "Survey ID 7f9c2ba4e88f827d616045507605853e",
    "Drop-in 10am–12pm, Leeds Central Library, LS1 3AB",
    "Venue: Chapeltown Library, LS7 3AP. Dates: 7, 14 and 21 January 2027",
    "The 2027 programme starts in February",
    "Shared the link nhs.uk/nhs-app with 45 people",
    "Met the team at the library (at 10am)",
    "Capacity 20; booked 18; attended 16",
    "Invoice INV-2026-1187 paid",
    "Helped 5 people on 24/11/2026 and 6 on 25/11/2026",
    "Phone numbers removed from the sign-in sheet as agreed",
    "Age UK Leeds co-hosted the session at LS1 3AB on 2 February 2027",
    "Sessions for over-65s at LS1 3AB, 9 March 2027",
    "Reception team (4 people) completed modules 1-3",
    "Coordinates 53.8008, -1.5491 for the venue",
    "Dial-in code 123 456 for the Teams call",
    "Wave 2 starts 2027-04-06; wave 3 starts 2027-07-05",
    "Old leaflets (printed 2009) were recycled",
    "ten digits that fail the check: 9434765918",
    "Mosque community centre, BD8 7AT, Friday 15 January 2027 after Jummah",
    "Sessions in Urdu and Bengali; 2 interpreters; 1 hour each",
    "Gurdwara hall, LS7 4BN, 5–7pm on 3 February 2027",
    "Reported at 2026-11-20 14:32 via the portal",
    "Order PO 4500012345 for 50 tablets",
    "Café Nero vouchers for 12 volunteers",
    "Über-busy week: 214 people, 9 sessions",
    "Session notes: see the shared drive, folder 2026/11",
    "Attendance by week 12 34 56 78 90 11 (from the sign-in sheets)",
    "Slots 9.15 10.30 11.45 13.00 14.15 15.30",
    "3/10 learners at LS1 3AB finished the course by 12.5",
    "Staff born and bred in Leeds ran the session at LS1 3AB on 4 March 2027",
];

fn check(text: &str) -> Result<(), String> {
    check_free_text_on("note", text, today()).map_err(|e| e.to_string())
}

#[test]
fn the_corpus_is_large_enough() {
    assert!(MUST_REFUSE.len() >= 100, "{} to refuse", MUST_REFUSE.len());
    assert!(MUST_ACCEPT.len() >= 100, "{} to accept", MUST_ACCEPT.len());
}

#[test]
fn every_string_with_patient_data_is_refused_without_echoing_it() {
    let mut failures = Vec::new();
    for text in MUST_REFUSE {
        match check(text) {
            Ok(()) => failures.push(format!("accepted: {text:?}")),
            Err(message) => {
                if !message.starts_with("note: ") {
                    failures.push(format!("does not name the field: {message:?}"));
                }
                // The reasons are fixed sentences: no digit, address or input in them.
                if message.contains(text) || message.contains(|c: char| c.is_numeric() || c == '@')
                {
                    failures.push(format!("echoes the input: {message:?}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {}:\n{}",
        failures.len(),
        MUST_REFUSE.len(),
        failures.join("\n")
    );
}

#[test]
fn every_ordinary_note_is_accepted() {
    let failures: Vec<String> = MUST_ACCEPT
        .iter()
        .filter_map(|text| {
            check(text)
                .err()
                .map(|message| format!("{text:?}: {message}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} refused:\n{}",
        failures.len(),
        MUST_ACCEPT.len(),
        failures.join("\n")
    );
}

#[test]
fn each_kind_is_named_for_what_it_is() {
    let cases = [
        ("NHS no 943.476.5919", Finding::NhsNumber),
        ("jö@example.com", Finding::Email),
        ("0044 7700 900123", Finding::Phone),
        ("DOB 4th July 1941, LS6 2AB", Finding::PostcodeWithBirthDate),
    ];
    for (text, kind) in cases {
        assert_eq!(find(text, today()), Some(kind), "{text}");
    }
    let message = check("0044 7700 900123").expect_err("a phone");
    assert_eq!(
        message,
        "note: looks like it contains a phone number; free text must not identify a patient"
    );
}

#[test]
fn a_venue_date_becomes_a_birth_date_only_once_it_is_old() {
    // The same venue note passes today and is refused once the date is 16 years past.
    let text = "Leeds Central Library, LS1 3AB, on 12 March 2027 at 10:00";
    assert_eq!(find(text, today()), None);
    let later = NaiveDate::from_ymd_opt(2043, 3, 13).expect("a valid date");
    assert_eq!(find(text, later), Some(Finding::PostcodeWithBirthDate));
}

// ---------------------------------------------------------------------------------------
// Generated NHS numbers in generated forms

/// Nine digits and their check digit, when the check is not 10 (no such number exists).
fn nhs_number() -> impl Strategy<Value = [u8; 10]> {
    prop::array::uniform9(0u8..10).prop_filter_map("check digit 10", |nine| {
        let sum: u32 = nine
            .iter()
            .zip((2..=10).rev())
            .map(|(d, w)| u32::from(*d) * w)
            .sum();
        let check = match 11 - sum % 11 {
            11 => 0,
            10 => return None,
            c => u8::try_from(c).ok()?,
        };
        let mut digits = [0u8; 10];
        digits[..9].copy_from_slice(&nine);
        digits[9] = check;
        Some(digits)
    })
}

/// The first code point of ten digits in several scripts, and superscripts (not one run).
const DIGIT_ZEROS: &[u32] = &[
    0x30, 0x30, 0x30, 0xFF10, 0x660, 0x6F0, 0x966, 0x9E6, 0xE50, 0x1040, 0x1D7CE, 0x1D7D8, 0x1D7F6,
    0x1FBF0,
];
const SUPERSCRIPTS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];

/// What separates the groups of a written number: anything a keyboard, a word processor
/// or a spreadsheet puts there.
const VISIBLE: &[&str] = &[
    " ", " ", ".", "-", "  ", " - ", "\u{00A0}", "\u{2009}", "\u{202F}", "/", "_", "\u{2010}",
    "\u{2013}", "\u{2212}", "\u{3000}", "．", "－", "\t", ",", "(", ") ",
];
/// What may sit between any two digits without being seen.
const INVISIBLE: &[&str] = &[
    "", "", "", "", "\u{200B}", "\u{00AD}", "\u{FEFF}", "\u{2060}",
];
/// What may follow a digit without being seen: a combining mark, a keycap.
const DECORATIONS: &[&str] = &["", "", "", "", "\u{0336}", "\u{FE0F}\u{20E3}", "\u{0332}"];
const PREFIXES: &[&str] = &[
    "", "ref", "NHS", "NHS no ", "nhs#", "pt:", "(", "Patient ", "x", "ID=", "Number: ",
];
const SUFFIXES: &[&str] = &["", ", seen today", "x", ")", "abc", ".", " needs help", "!"];

fn render(digit: u8, form: usize) -> String {
    let index = form % (DIGIT_ZEROS.len() + 1);
    match DIGIT_ZEROS.get(index) {
        Some(zero) => char::from_u32(zero + u32::from(digit))
            .map(String::from)
            .unwrap_or_default(),
        None => SUPERSCRIPTS[usize::from(digit)].to_string(),
    }
}

/// Separators that the checker reads as date punctuation (`/`, `.`, `-` and look-alikes).
const DATE_PUNCTUATION: &[&str] = &[
    ".", "-", "/", "\u{2010}", "\u{2013}", "\u{2212}", "．", "－",
];

/// Whether three consecutive groups, joined by date punctuation, read as a date
/// `d.m.yyyy`, `m/d/yyyy` or `yyyy-m-d` (year 1900 to 2099). Written so, the number is
/// taken for a date (the known limit in `privacy.rs`), so the property leaves it out.
fn written_as_date(digits: &[u8; 10], groups: &[Range<usize>], separators: &[&str]) -> bool {
    let value = |r: &Range<usize>| {
        digits[r.clone()]
            .iter()
            .fold(0u32, |v, d| v * 10 + u32::from(*d))
    };
    let date = |y: u32, m: u32, d: u32| {
        (1900..=2099).contains(&y)
            && i32::try_from(y)
                .ok()
                .and_then(|y| NaiveDate::from_ymd_opt(y, m, d))
                .is_some()
    };
    groups.windows(3).zip(separators.windows(2)).any(|(g, s)| {
        if !s.iter().all(|s| DATE_PUNCTUATION.contains(s)) {
            return false;
        }
        let (a, b, c) = (value(&g[0]), value(&g[1]), value(&g[2]));
        match (g[0].len(), g[1].len(), g[2].len()) {
            (1..=2, 1..=2, 4) => date(c, b, a) || date(c, a, b),
            (4, 1..=2, 1..=2) => date(a, b, c),
            _ => false,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Up to three visible breaks (so up to four groups, as people write numbers) or a
    /// break between every digit, and invisible characters anywhere.
    #[test]
    fn a_valid_nhs_number_is_refused_however_it_is_written(
        digits in nhs_number(),
        forms in prop::array::uniform10(0usize..64),
        decorations in prop::array::uniform10(0usize..DECORATIONS.len()),
        breaks in prop::collection::btree_set(0usize..9, 0..=3),
        one_at_a_time in prop::bool::weighted(0.2),
        visible in prop::array::uniform9(0usize..VISIBLE.len()),
        invisible in prop::array::uniform9(0usize..INVISIBLE.len()),
        prefix in 0usize..PREFIXES.len(),
        suffix in 0usize..SUFFIXES.len(),
    ) {
        prop_assert!(is_nhs_number(&digits));
        let mut text = PREFIXES[prefix].to_owned();
        let (mut groups, mut separators, mut start) = (Vec::new(), Vec::new(), 0);
        for (i, digit) in digits.iter().enumerate() {
            text.push_str(&render(*digit, forms[i]));
            text.push_str(DECORATIONS[decorations[i]]);
            if i < 9 {
                if one_at_a_time || breaks.contains(&i) {
                    text.push_str(VISIBLE[visible[i]]);
                    groups.push(start..i + 1);
                    separators.push(VISIBLE[visible[i]]);
                    start = i + 1;
                } else {
                    text.push_str(INVISIBLE[invisible[i]]);
                }
            }
        }
        groups.push(start..10);
        prop_assume!(!written_as_date(&digits, &groups, &separators));
        text.push_str(SUFFIXES[suffix]);
        prop_assert_eq!(find(&text, today()), Some(Finding::NhsNumber), "{:?}", text);
        let message = check(&text).expect_err("refused");
        prop_assert!(!message.contains(&text));
    }

    #[test]
    fn any_text_gets_an_answer_without_echoing_it(text in any::<String>()) {
        if let Err(message) = check(&text) {
            prop_assert!(!message.contains(|c: char| c.is_numeric() || c == '@'), "{}", message);
        }
    }

    #[test]
    fn text_made_of_digits_and_separators_gets_an_answer(
        text in "[0-9٠-٩０-９ .\\-+()/,:@a-zA-Z\u{200B}]{0,80}"
    ) {
        if let Err(message) = check(&text) {
            prop_assert!(message.starts_with("note: "));
            prop_assert!(!message.contains(|c: char| c.is_numeric() || c == '@'), "{}", message);
        }
    }
}
