//! The scanner against two corpora made here: synthetic identifiers in
//! realistic report text, in many formats and spellings (every one must be
//! found, and gone after redaction), and identifier-free clinical text
//! (doses, incident dates, codes, equipment: nothing may be found). Then
//! property tests on NHS numbers.

use irmer_scan::{Kind, Person, Rules, Scanner, check_digit_ok};
use proptest::prelude::*;

fn rules() -> Rules {
    Rules {
        hospital_numbers: vec!["RXH#######".into(), "@@######".into()],
        known_numbers: vec!["QKB 004 7721".into()],
        people: vec![
            Person {
                role: "patient".into(),
                name: "Jane Q. Smith".into(),
                date_of_birth: Some((1958, 2, 3)),
            },
            Person {
                role: "radiographer".into(),
                name: "TWIST, Oliver".into(),
                date_of_birth: None,
            },
            Person {
                role: "radiographer".into(),
                name: "Ada Lovelace".into(),
                date_of_birth: None,
            },
        ],
    }
}

/// A valid NHS-style number from nine digits, or None when the check
/// digit would be 10.
fn with_check(nine: [u8; 9]) -> Option<[u8; 10]> {
    (0..10u8).find_map(|c| {
        let mut ten = [0u8; 10];
        ten[..9].copy_from_slice(&nine);
        ten[9] = c;
        check_digit_ok(&ten).then_some(ten)
    })
}

fn text_of(d: &[u8]) -> String {
    d.iter().map(|x| char::from(b'0' + x)).collect()
}

/// The digits in a few spacings people use.
fn spellings(d: &str) -> Vec<String> {
    vec![
        d.to_owned(),
        format!("{} {} {}", &d[..3], &d[3..6], &d[6..]),
        format!("{}-{}-{}", &d[..3], &d[3..6], &d[6..]),
        format!(
            "{} {} {} {} {}",
            &d[..2],
            &d[2..4],
            &d[4..6],
            &d[6..8],
            &d[8..]
        ),
        format!("{} {}", &d[..6], &d[6..]),
    ]
}

/// A simple deterministic generator, so the corpus is the same every run.
struct Lcg(u64);
impl Lcg {
    fn digit(&mut self) -> u8 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % 10) as u8
    }
}

/// (text, the identifier in it, its kind)
fn identifier_corpus() -> Vec<(String, String, Kind)> {
    let mut corpus = Vec::new();
    let mut add = |template: &str, id: &str, kind: Kind| {
        corpus.push((template.replace("{}", id), id.to_owned(), kind));
    };
    let templates = [
        "Patient NHS number {} was scanned in CT2.",
        "NHS No: {}",
        "The request form ({}) named the wrong patient.",
        "Identity was checked against {}. The exposure was 0.3 mSv.",
        "{}\n",
    ];
    let mut rng = Lcg(7);
    let mut made = 0;
    while made < 40 {
        let mut nine = [0u8; 9];
        nine[0] = [4, 6, 7][usize::from(rng.digit()) % 3];
        for d in &mut nine[1..] {
            *d = rng.digit();
        }
        let Some(ten) = with_check(nine) else {
            continue;
        };
        let d = text_of(&ten);
        for (n, s) in spellings(&d).iter().enumerate() {
            add(templates[(made + n) % templates.len()], s, Kind::NhsNumber);
        }
        made += 1;
    }
    // CHI numbers: date of birth, then four digits.
    for (dob, rest) in [
        ("030258", "123"),
        ("311299", "456"),
        ("010100", "789"),
        ("290280", "001"),
    ] {
        let nine: Vec<u8> = format!("{dob}{rest}").bytes().map(|b| b - b'0').collect();
        let Some(ten) = with_check(nine.try_into().expect("nine")) else {
            continue;
        };
        for s in spellings(&text_of(&ten)) {
            add(
                "CHI {} (Scotland) referred from Ninewells.",
                &s,
                Kind::ChiNumber,
            );
        }
    }
    // Health and Care numbers: 320 to 399.
    for prefix in ["320", "355", "399"] {
        let nine: Vec<u8> = format!("{prefix}123456")
            .bytes()
            .map(|b| b - b'0')
            .collect();
        let Some(ten) = with_check(nine.try_into().expect("nine")) else {
            continue;
        };
        for s in spellings(&text_of(&ten)) {
            add("H&C number {} (Belfast).", &s, Kind::HealthAndCareNumber);
        }
    }
    for (t, id) in [
        ("DOB {} on the request.", "03/02/1958"),
        ("D.O.B. {}", "3.2.58"),
        ("Date of birth: {}.", "3 February 1958"),
        ("date of birth {}", "03-Feb-1958"),
        ("born on {}, scanned today", "1958-02-03"),
        ("Born {}", "February 3, 1958"),
        ("born in {}.", "1958"),
        ("DOB: {}", "12/11/2001"),
        // A recorded person's date of birth, with no words around it.
        ("Checked {} against the wristband.", "03/02/1958"),
        ("Checked {} again.", "3rd Feb 58"),
    ] {
        add(t, id, Kind::DateOfBirth);
    }
    for id in [
        "SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "EC1A 1BB", "W1A 0AX", "LS11 5DT",
        "sw1a 1aa", "G2 5RJ", "BT9 7AB", "SW1A1AA",
    ] {
        add("Home address postcode {}, Leeds.", id, Kind::Postcode);
    }
    for id in [
        "01632 960123",
        "(01632) 960 123",
        "+44 20 7946 0958",
        "+44 (0)20 7946 0958",
        "07700 900123",
        "020 7946 0958",
        "0113 496 0000",
        "07700900123",
        "0161-496-0123",
        // Ten digits from 0 that pass the modulus-11 check: still a telephone.
        "0161 496 016",
        "0161496016",
    ] {
        add("Call the ward on {} to confirm.", id, Kind::Telephone);
    }
    for id in ["4567", "23456"] {
        add("Radiographer on ext. {} informed.", id, Kind::Telephone);
        add("Registrar (bleep {}) reviewed.", id, Kind::Telephone);
    }
    for id in [
        "jane.smith@nhs.net",
        "j.smith1@example.nhs.uk",
        "radiology-office@trust.nhs.uk",
        "A.N.Other+ir@hospital.scot.nhs.uk",
        // Spelt out to get past a filter.
        "jane.smith at nhs.net",
        "jane dot smith at nhs dot net",
        "JANE DOT SMITH AT NHS DOT NET",
        "jane.smith [at] nhs [dot] net",
        "jane.smith[at]nhs[dot]net",
        "jane.smith (at) trust.nhs.uk",
        "jane(at)nhs.net",
        "jane{at}nhs.net",
        "jane.smith @ nhs.net",
        "jane.smith@nhs dot net",
        "j.smith at example dot org",
        "radiology-office at trust dot nhs dot uk",
    ] {
        add("Sent by e-mail to {}.", id, Kind::Email);
        add("Her address is {} (given on the form).", id, Kind::Email);
    }
    for id in ["RXH1234567", "rxh7654321", "AB123456"] {
        add(
            "Hospital number {} on the request card.",
            id,
            Kind::HospitalNumber,
        );
    }
    for id in [
        "Jane Smith",
        "SMITH, Jane",
        "smith jane",
        "J. Smith",
        "Ms Smith",
        "jane SMITH",
        "Smith",
        "SMITH",
        "Oliver Twist",
        "TWIST",
        "Twist, Oliver",
        "Oliver",
        "Ada Lovelace",
        "LOVELACE",
        "Mrs Lovelace",
        "Jane",
    ] {
        add(
            "The exposure was made by {} in Room 3.",
            id,
            Kind::RecordedName,
        );
    }
    for id in [
        "Mr Patel",
        "Mrs. O'Neil",
        "Dr A. Khan",
        "Prof Brown",
        "Miss Smith-Jones",
        "Mx Taylor",
        "Sir Lancelot Du Lake",
        "Dr Zoë Müller",
        "Professor Okafor",
        "Dr Khan",
    ] {
        add(
            "The referrer, {}, was told on the day.",
            id,
            Kind::TitledName,
        );
    }
    // Written so as to slip past a byte-for-byte reader: other separators,
    // Unicode spaces, full-width forms, characters that join or hide.
    let full_width = |text: &str| -> String {
        text.chars()
            .map(|c| {
                if c.is_ascii_graphic() {
                    char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)
                } else {
                    c
                }
            })
            .collect()
    };
    for id in [
        "943.476.5919".to_owned(),
        "943/476/5919".to_owned(),
        "943\u{a0}476\u{a0}5919".to_owned(),
        "943\u{202f}476\u{2009}5919".to_owned(),
        full_width("9434765919"),
        full_width("943 476 5919"),
        "943\u{200b}476\u{200b}5919".to_owned(),
    ] {
        add("Patient {} was scanned twice.", &id, Kind::NhsNumber);
    }
    for id in ["RXH 123 4567", "RXH-1234567", "rxh 1234567"] {
        add(
            "Hospital number {} on the request.",
            id,
            Kind::HospitalNumber,
        );
    }
    for id in ["QKB0047721", "qkb-004-7721", "0047721", "004 7721"] {
        add(
            "Her number {} was on the request.",
            id,
            Kind::HospitalNumber,
        );
    }
    for id in ["sw1a1aa", "m13 9wl", "SW1A1AA"] {
        add("The patient lives at {} in the city.", id, Kind::Postcode);
    }
    for id in [
        full_width("Smith"),
        "Sm\u{200b}ith".to_owned(),
        "Smi\u{ad}th".to_owned(),
        "Jane\u{a0}Smith".to_owned(),
    ] {
        add("The scan of {} was repeated.", &id, Kind::RecordedName);
    }
    add(
        "Reference CT-{}-2 was notified.",
        "Smith",
        Kind::RecordedName,
    );
    corpus
}

#[test]
fn findings_in_folded_text_are_placed_in_the_text_as_written() {
    let scanner = Scanner::new(&rules()).expect("rules");
    let text = "Ｐatient ９４３ ４７６ ５９１９ and Sm\u{200b}ith, line one.\nAgain: 943.476.5919.";
    let found = scanner.scan(text);
    let got: Vec<(&str, Kind, usize, usize)> = found
        .iter()
        .map(|f| (&text[f.range.clone()], f.kind, f.line, f.column))
        .collect();
    assert_eq!(
        got,
        [
            ("９４３ ４７６ ５９１９", Kind::NhsNumber, 1, 9),
            ("Sm\u{200b}ith", Kind::RecordedName, 1, 26),
            ("943.476.5919", Kind::NhsNumber, 2, 8),
        ]
    );
    let redacted = scanner.redact(text).text;
    assert_eq!(
        redacted,
        "Ｐatient [NHS number] and [patient], line one.\nAgain: [NHS number]."
    );
}

#[test]
fn every_identifier_in_the_corpus_is_found_and_redacted() {
    let scanner = Scanner::new(&rules()).expect("rules");
    let corpus = identifier_corpus();
    assert!(corpus.len() > 300, "{} texts", corpus.len());
    let mut missed = Vec::new();
    for (text, id, kind) in &corpus {
        let found = scanner.scan(text);
        let start = text.find(id.as_str()).expect("embedded");
        let covered = found
            .iter()
            .any(|f| f.kind == *kind && f.range.start <= start && f.range.end >= start + id.len());
        if !covered {
            missed.push(format!("{kind}: {id:?} in {text:?}: found {found:?}"));
            continue;
        }
        let redacted = scanner.redact(text).text;
        if redacted.contains(id.as_str()) {
            missed.push(format!("{kind}: {id:?} still in {redacted:?}"));
        }
    }
    assert!(
        missed.is_empty(),
        "{} of {} missed:\n{}",
        missed.len(),
        corpus.len(),
        missed.join("\n")
    );
}

const CLINICAL: &str = "\
CT head repeated on 2026-03-02 because the wrong protocol was selected: 0.5 mSv intended, 6 mSv received.
Code 2.2 applies (12x intended, at least 10x); 4.2b for the verification images; M and E considered.
Notified to CQC on 12/03/2026; report due by 2026-05-25. Discovered 3 March 2026 by the IR(ME)R lead.
Prescription 2 Gy x 24 transcribed as 2.2 Gy x 24: 52.8 Gy against 48 Gy (1.1x). 66 Gy to the PTV.
Geographical miss of 12 mm on fraction 3 of 20. Miss of 5 mm found at the second fraction.
Equipment: Siemens Somatom Force in CT2, GE Discovery 710 in Room 3, Elekta Versa HD (Linac 4), Varian TrueBeam 3.
The MR scanner 2 and the DR room B12 were not involved. MS patients are scanned on MR1.
DLP 1234 mGy cm, CTDIvol 12.5 mGy, 120 kV, 250 mAs. I-131 3700 MBq given instead of 400 MBq.
Tc-99m 800 MBq; F-18 FDG 370 MBq; Ga-68 DOTATATE. SIRT with Y-90 microspheres, 1.8 GBq.
Datix 123456, reference IR-2026-0042, incident CT-L0. Serial number 12345678 on the tube.
The radiographer checked the request at 14:35; the registrar reviewed the images at 15:10.
Dr reviewed the plan. The adviser (MPE) agreed; Miss of the target was partial.
On 12 May 2026 the theme was identified over 3 incidents; 1 in 1000 exposures affected.
Field 10 x 10 cm, SSD 100 cm, 6 MV photons, 30 fractions, 2 Gy per fraction, 1st and 2nd fractions.
The patient, aged 45, was informed under the duty of candour. A 7-year-old child: 1.2 mSv.
Room 1-2, phantom 2024-11, software version 3.1.4, build 20260302, protocol v2.3.
Exposure index 350; DAP 2.5 Gy cm2; fluoroscopy time 12 min 30 s; 3 images in fraction 5.
Near miss: the wrong plan was found on 2026-11-20 before delivery. Authority: HIW, HIS, RQIA.
MHRA and ARSAC told; HSE not needed. Codes 1, 3, 5, 9.1 and 10 did not apply.
Guidance at www.gov.uk and at www.cqc.org.uk was read; the patient was seen at St. Mary's at 10.30.
Reviewed at home.Then the dose was checked at 2.5 mGy, at 1.2 mSv and at the dot of nine.
The marker dot at the isocentre was 2 mm out; seen at ward 4.2b; at version 3.1.4 at CT2.
Planning scans: 3 (2 repeated). Verification imaging: CBCT 4 times in fraction 2, kV pairs daily.
";

#[test]
fn clinical_text_without_identifiers_gives_no_finding() {
    let scanner = Scanner::new(&rules()).expect("rules");
    let found = scanner.scan(CLINICAL);
    let shown: Vec<String> = found
        .iter()
        .map(|f| {
            format!(
                "line {}: {} {:?}",
                f.line,
                f.kind,
                &CLINICAL[f.range.clone()]
            )
        })
        .collect();
    assert!(found.is_empty(), "{}", shown.join("\n"));
    // Redaction of clean text changes nothing.
    assert_eq!(scanner.redact(CLINICAL).text, CLINICAL);
}

#[test]
fn redaction_is_consistent_and_by_role() {
    let scanner = Scanner::new(&rules()).expect("rules");
    let text = "Jane Smith (NHS 943 476 5919) was scanned by Oliver Twist; \
                SMITH, Jane was then rescanned by Ada Lovelace. Mr Patel and Dr Khan were told; \
                Mr. Patel agreed.";
    let r = scanner.redact(text);
    assert_eq!(
        r.text,
        "[patient] (NHS [NHS number]) was scanned by [radiographer 1]; \
         [patient] was then rescanned by [radiographer 2]. [person 1] and [person 2] were told; \
         [person 1] agreed."
    );
    assert_eq!(r.findings.len(), 8);
    // A possessive is the name it belongs to, typed or typographic.
    let r = scanner.redact("Jane Smith's request; Twist's room; Lovelace\u{2019}s list.");
    assert_eq!(
        r.text,
        "[patient]'s request; [radiographer 1]'s room; [radiographer 2]\u{2019}s list."
    );
}

#[test]
fn findings_have_lines_and_columns() {
    let scanner = Scanner::default();
    let found = scanner.scan("first line\nsecond: 943 476 5919\n\tthird jo@x.org");
    let at: Vec<(usize, usize, Kind)> = found.iter().map(|f| (f.line, f.column, f.kind)).collect();
    assert_eq!(at, [(2, 9, Kind::NhsNumber), (3, 8, Kind::Email)]);
}

#[test]
fn rules_that_would_match_everything_are_refused() {
    for mask in ["#", "RX", "R##", "ab#"] {
        let e = Scanner::new(&Rules {
            hospital_numbers: vec![mask.into()],
            known_numbers: Vec::new(),
            people: vec![],
        })
        .expect_err("refused");
        assert_eq!(e.field, "hospital_numbers[0]");
    }
    let e = Scanner::new(&Rules {
        hospital_numbers: vec![],
        known_numbers: Vec::new(),
        people: vec![Person {
            role: "patient".into(),
            name: "J.".into(),
            date_of_birth: None,
        }],
    })
    .expect_err("refused");
    assert_eq!(e.field, "people[0].name");
}

/// Random words of letters and punctuation, without digits (so that the
/// number's own boundaries are what is tested).
/// Random words, but never a telephone extension's keyword: "ext 400 …"
/// before a number is read as an extension, which is what it says.
fn words() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        "[A-Za-z]{1,9}[.,;:]?".prop_filter("an extension's keyword", |w| {
            let bare = w.trim_end_matches(['.', ',', ';', ':']);
            !["ext", "extension", "bleep"]
                .iter()
                .any(|k| bare.eq_ignore_ascii_case(k))
        }),
        0..8,
    )
    .prop_map(|w| w.join(" "))
}

/// A spacing for ten digits: after each of the first nine, nothing, a
/// space or a hyphen.
fn spaced(digits: &[u8; 10], seps: &[u8]) -> String {
    let mut s = String::new();
    for (i, d) in digits.iter().enumerate() {
        s.push(char::from(b'0' + d));
        if i < 9 {
            match seps[i] % 6 {
                0 => s.push(' '),
                1 => s.push('-'),
                _ => {}
            }
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_valid_nhs_number_in_random_text_is_found(
        first in prop::sample::select(vec![4u8, 6, 7]),
        rest in proptest::array::uniform8(0u8..10),
        seps in proptest::collection::vec(any::<u8>(), 9),
        before in words(),
        after in words(),
    ) {
        let mut nine = [first, 0, 0, 0, 0, 0, 0, 0, 0];
        nine[1..].copy_from_slice(&rest);
        // One nine-digit start in eleven has no check digit (it would be
        // 10): move its last digit on until it has one.
        while with_check(nine).is_none() {
            nine[8] = (nine[8] + 1) % 10;
        }
        let ten = with_check(nine).expect("valid");
        let number = spaced(&ten, &seps);
        let text = format!("{before} {number} {after}");
        let found = Scanner::default().scan(&text);
        let start = before.len() + 1;
        prop_assert!(
            found.iter().any(|f| f.kind == Kind::NhsNumber
                && f.range == (start..start + number.len())),
            "{text:?}: {found:?}"
        );
    }

    #[test]
    fn a_ten_digit_number_failing_the_check_digit_is_not_an_nhs_number(
        nine in proptest::array::uniform9(0u8..10),
        last in 0u8..10,
        seps in proptest::collection::vec(any::<u8>(), 9),
        before in words(),
        after in words(),
    ) {
        // Ten digits whose last is any but the valid check digit.
        let mut digits = [0u8; 10];
        digits[..9].copy_from_slice(&nine);
        digits[9] = last;
        if check_digit_ok(&digits) {
            digits[9] = (last + 1) % 10;
        }
        assert!(!check_digit_ok(&digits));
        let text = format!("{before} {} {after}", spaced(&digits, &seps));
        let found = Scanner::default().scan(&text);
        prop_assert!(
            !found.iter().any(|f| matches!(
                f.kind,
                Kind::NhsNumber | Kind::ChiNumber | Kind::HealthAndCareNumber
            )),
            "{text:?}: {found:?}"
        );
    }

    #[test]
    fn the_scanner_never_panics_and_ranges_are_on_character_boundaries(text in "\\PC{0,200}") {
        let scanner = Scanner::new(&rules()).expect("rules");
        for f in scanner.scan(&text) {
            prop_assert!(text.get(f.range.clone()).is_some());
        }
        let _ = scanner.redact(&text);
    }
}
