//! The scanning pass: one walk over the bytes, trying at each word start
//! the kinds that can begin there. Every boundary it stops at is an ASCII
//! byte, so every range is on character boundaries.

use crate::health::{self, HealthNumber};
use crate::{Finding, Kind, Mask, Scanner};

/// Titles, as written before a name. Case matters: "MR" and "DR" in
/// capitals are modalities, "MS" is a diagnosis, and "miss" is a
/// geographical miss.
const TITLES: &[&str] = &[
    "Mr",
    "Mrs",
    "Ms",
    "Miss",
    "Mx",
    "Dr",
    "Prof",
    "Professor",
    "Sir",
    "Dame",
    "Rev",
    "Revd",
    "Lady",
    "Lord",
];

/// Capitalised words that follow a title at the start of a sentence
/// without being a name.
const NOT_NAMES: &[&str] = &[
    "The", "A", "An", "And", "Or", "Of", "In", "On", "At", "To", "Was", "Were", "Is", "Has", "Had",
    "No", "Not", "For", "With", "By", "This", "That", "It", "He", "She", "They", "We", "I", "Then",
    "When", "As", "But",
];

const MONTHS: &[(&str, u8)] = &[
    ("january", 1),
    ("jan", 1),
    ("february", 2),
    ("feb", 2),
    ("march", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("may", 5),
    ("june", 6),
    ("jun", 6),
    ("july", 7),
    ("jul", 7),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sept", 9),
    ("sep", 9),
    ("october", 10),
    ("oct", 10),
    ("november", 11),
    ("nov", 11),
    ("december", 12),
    ("dec", 12),
];

/// How e-mail domains end, for an address spelt with the plain word "at"
/// ("jane at nhs.net", "jane at nhs dot net").
const ADDRESS_ENDINGS: &[&str] = &[
    "uk", "net", "com", "org", "scot", "wales", "cymru", "ie", "io", "me", "info", "co", "eu",
    "edu", "gov", "int", "biz",
];

/// How far after "DOB", "born" or "birth" a date is read as a date of
/// birth (bytes).
const DOB_REACH: usize = 40;

pub(crate) fn is_title(word: &str) -> bool {
    TITLES.contains(&word)
}

/// A byte that continues a word: an ASCII letter or digit, or any byte of
/// a non-ASCII character (accented names).
fn word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// The first byte at or after `j` that is not a space.
fn skip_spaces(b: &[u8], mut j: usize) -> usize {
    while b.get(j) == Some(&b' ') {
        j += 1;
    }
    j
}

fn digit(b: &[u8], i: usize) -> bool {
    b.get(i).is_some_and(u8::is_ascii_digit)
}

/// A word without its possessive `'s`, typed or typographic.
fn possessive(word: &str) -> Option<&str> {
    ["'s", "'S", "\u{2019}s", "\u{2019}S"]
        .iter()
        .find_map(|end| word.strip_suffix(end))
}

/// Whether the text at `i` ends a token: the end, or a byte that does not
/// continue a word or a decimal number.
fn boundary(b: &[u8], i: usize) -> bool {
    match b.get(i) {
        None => true,
        Some(c) if word_byte(*c) => false,
        Some(b'.' | b',') => !digit(b, i + 1),
        Some(_) => true,
    }
}

/// A date read from the text.
struct Date {
    end: usize,
    day: u8,
    month: u8,
    /// The year as written: four digits, or two (`yy`).
    year: i32,
    two_digit_year: bool,
}

struct Pass<'a> {
    s: &'a Scanner,
    b: &'a [u8],
    text: &'a str,
    out: Vec<Finding>,
    /// A date before this byte is a date of birth ("DOB …").
    dob_until: usize,
    /// The last word read, for a given name written before a family name.
    prev_word: Option<(usize, usize)>,
    /// No e-mail address starts before this byte (the end of the last
    /// run of address characters read without an `@`).
    no_email_before: usize,
}

pub(crate) fn scan(s: &Scanner, text: &str) -> Vec<Finding> {
    let mut p = Pass {
        s,
        b: text.as_bytes(),
        text,
        out: Vec::new(),
        dob_until: 0,
        prev_word: None,
        no_email_before: 0,
    };
    p.run();
    p.out
}

impl Pass<'_> {
    fn push(&mut self, kind: Kind, start: usize, end: usize, person: Option<usize>) {
        self.out.push(Finding {
            kind,
            range: start..end,
            line: 0,
            column: 0,
            person,
        });
    }

    fn run(&mut self) {
        let b = self.b;
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            let starts = i == 0 || !word_byte(b[i - 1]);
            if !starts {
                i += 1;
                continue;
            }
            let next = if c.is_ascii_alphanumeric() {
                self.email(i).or_else(|| self.mask(i)).or_else(|| {
                    if c.is_ascii_digit() {
                        self.at_digit(i)
                    } else {
                        self.postcode(i).or_else(|| self.at_letter(i))
                    }
                })
            } else if c >= 0x80 {
                self.at_letter(i)
            } else if c == b'+' || c == b'(' {
                self.telephone_prefixed(i)
            } else {
                None
            };
            i = next.unwrap_or(i + 1).max(i + 1);
        }
    }

    // ------------------------------------------------------------ e-mail

    /// An e-mail address as written (`jane.smith@nhs.net`) or spelt out to
    /// get past a filter: `jane dot smith at nhs dot net`,
    /// `jane.smith [at] nhs [dot] net`, `jane(at)nhs.net`,
    /// `jane @ nhs.net`. After the plain word "at" the domain counts only
    /// when it ends as addresses do (`.uk`, `.net`…) and is not a web
    /// address (`www.`), so "reviewed at home.Then", "at the dot of nine"
    /// and "guidance at www.gov.uk" are left alone.
    fn email(&mut self, i: usize) -> Option<usize> {
        if i < self.no_email_before {
            // A start inside a run already read: it ends at the same place.
            return None;
        }
        let b = self.b;
        let local = |c: u8| c.is_ascii_alphanumeric() || b"._%+-".contains(&c);
        let run = |from: usize, ok: &dyn Fn(u8) -> bool| {
            let mut j = from;
            while j < b.len() && ok(b[j]) {
                j += 1;
            }
            j
        };
        let first = run(i, &local);
        // Any start inside the first run reaches the same separator.
        self.no_email_before = first;
        let mut end = first;
        while let Some(next) = self.spelt_separator(end, b"dot") {
            let after = run(next, &local);
            if after == next {
                break;
            }
            end = after;
        }
        let (mut k, word_at) = self.at_separator(end)?;
        let label = |c: u8| c.is_ascii_alphanumeric() || c == b'-';
        // The domain's labels: the first, the last and how many.
        let (mut first_label, mut last_label, mut labels) = (k..k, k..k, 0);
        loop {
            let e = run(k, &label);
            if e == k {
                break;
            }
            if labels == 0 {
                first_label = k..e;
            }
            (last_label, labels) = (k..e, labels + 1);
            k = e;
            if b.get(k) == Some(&b'.') && b.get(k + 1).is_some_and(|c| label(*c)) {
                k += 1;
            } else if let Some(next) = self.spelt_separator(k, b"dot") {
                if !b.get(next).is_some_and(|c| label(*c)) {
                    break;
                }
                k = next;
            } else {
                break;
            }
        }
        let tld_end = last_label.end;
        let tld = &self.text[last_label];
        if labels < 2 || tld.len() < 2 || !tld.bytes().all(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        if word_at {
            let known = ADDRESS_ENDINGS.iter().any(|e| tld.eq_ignore_ascii_case(e));
            if !known || self.text[first_label].eq_ignore_ascii_case("www") {
                return None;
            }
        }
        self.push(Kind::Email, i, tld_end, None);
        Some(tld_end)
    }

    /// After a run of address characters at `at`: the separator between
    /// the local part and the domain, where the domain starts, and whether
    /// it was the plain word "at".
    fn at_separator(&self, at: usize) -> Option<(usize, bool)> {
        let b = self.b;
        if b.get(at) == Some(&b'@') {
            return Some((at + 1, false));
        }
        let spaces = |j: usize| skip_spaces(b, j);
        let s = spaces(at);
        if b.get(s) == Some(&b'@') && s > at {
            let d = spaces(s + 1);
            return (d > s + 1).then_some((d, false));
        }
        let next = self.spelt_separator(at, b"at")?;
        let bracketed = matches!(b.get(spaces(at)), Some(b'[' | b'(' | b'{'));
        Some((next, !bracketed))
    }

    /// A separator spelt as a word at `at`: ` dot `, `[dot]`, ` (dot) `,
    /// `{dot}` (any case, spaces optional around brackets), or the same
    /// with "at". Where the text after it starts.
    fn spelt_separator(&self, at: usize, word: &[u8]) -> Option<usize> {
        let b = self.b;
        let spaces = |j: usize| skip_spaces(b, j);
        let is_word = |j: usize| {
            b.get(j..j + word.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(word))
        };
        let s = spaces(at);
        let close = match b.get(s) {
            Some(b'[') => Some(b']'),
            Some(b'(') => Some(b')'),
            Some(b'{') => Some(b'}'),
            _ => None,
        };
        match close {
            Some(close) => {
                let w = spaces(s + 1);
                let e = spaces(w + word.len());
                (is_word(w) && b.get(e) == Some(&close)).then(|| spaces(e + 1))
            }
            None => {
                // A bare word needs a space on each side.
                let e = s + word.len();
                (s > at && is_word(s) && b.get(e) == Some(&b' ')).then(|| spaces(e))
            }
        }
    }

    // ---------------------------------------------------- hospital number

    fn mask(&mut self, i: usize) -> Option<usize> {
        let b = self.b;
        let fits = |want: u8, got: u8| match want {
            b'#' => got.is_ascii_digit(),
            b'@' => got.is_ascii_alphabetic(),
            w => w.eq_ignore_ascii_case(&got),
        };
        // As the mask says, or, for a mask that starts with its own letters
        // (RXH#######), with one space or hyphen between two of its
        // characters ("RXH 123 4567", "RXH-1234567"), as people write them.
        // A mask of classes only (@@######) is read exactly: spaced, it
        // would match ordinary words and dates.
        let hit = self.s.masks.iter().find_map(|Mask(m)| {
            let anchored = m.first().is_some_and(|c| !matches!(c, b'#' | b'@'));
            let mut t = i;
            for (n, want) in m.iter().enumerate() {
                if anchored
                    && n > 0
                    && matches!(b.get(t), Some(b' ' | b'-'))
                    && b.get(t + 1).is_some_and(|g| fits(*want, *g))
                    && !b.get(t).is_some_and(|g| fits(*want, *g))
                {
                    t += 1;
                }
                if !b.get(t).is_some_and(|g| fits(*want, *g)) {
                    return None;
                }
                t += 1;
            }
            boundary(b, t).then_some(t)
        })?;
        self.push(Kind::HospitalNumber, i, hit, None);
        Some(hit)
    }

    // ------------------------------------------------------------ numbers

    fn at_digit(&mut self, i: usize) -> Option<usize> {
        let Some(d) = self.date(i) else {
            return self.number_run(i);
        };
        // "6-1-00 000 0008" reads as a date, but its digits begin a health
        // number: the number wins.
        let (mark, dob_until) = (self.out.len(), self.dob_until);
        let end = self.number_run(i);
        let health = |k: Kind| {
            matches!(
                k,
                Kind::NhsNumber | Kind::ChiNumber | Kind::HealthAndCareNumber
            )
        };
        if self.out[mark..]
            .iter()
            .any(|f| health(f.kind) && f.range.start < d.end)
        {
            return end;
        }
        self.out.truncate(mark);
        self.dob_until = dob_until;
        self.found_date(i, &d);
        Some(d.end)
    }

    /// A date: a date of birth when "DOB" or the like came just before, or
    /// when it is a recorded person's.
    fn found_date(&mut self, start: usize, d: &Date) {
        let recorded = self.s.people.iter().any(|p| {
            p.date_of_birth.is_some_and(|(y, m, day)| {
                m == d.month
                    && day == d.day
                    && if d.two_digit_year {
                        y.rem_euclid(100) == d.year
                    } else {
                        y == d.year
                    }
            })
        });
        if recorded || start < self.dob_until {
            self.push(Kind::DateOfBirth, start, d.end, None);
            self.dob_until = 0;
        }
    }

    /// Digits in groups separated by one space or hyphen: a health number
    /// (any ten digits of consecutive groups with a valid check digit), a
    /// telephone number (10 or 11 digits from a leading 0), or a year of
    /// birth after "born".
    fn number_run(&mut self, i: usize) -> Option<usize> {
        if let Some(end) = self.separated_health_number(i) {
            return Some(end);
        }
        let b = self.b;
        let mut groups: Vec<(usize, usize)> = Vec::new();
        let mut j = i;
        loop {
            let start = j;
            while digit(b, j) {
                j += 1;
            }
            if !boundary(b, j) || j - start > 11 {
                // A quantity ("12mm", "0.5") or a long serial: not part of
                // an identifier, and it ends the run.
                break;
            }
            groups.push((start, j));
            let sep = matches!(b.get(j), Some(b' ' | b'-'));
            if sep && digit(b, j + 1) {
                j += 1;
            } else {
                break;
            }
        }
        let end = groups.last().map_or(j, |g| g.1);
        let mut g = 0;
        while g < groups.len() {
            g = self.number_at(&groups, g);
        }
        if groups.len() == 1 && i < self.dob_until {
            let (s, e) = groups[0];
            if e - s == 4 && matches!(&self.text[s..e].parse::<u16>(), Ok(1900..=2099)) {
                self.push(Kind::DateOfBirth, s, e, None);
                self.dob_until = 0;
            }
        }
        Some(end.max(j))
    }

    /// A health number written 3-3-4 with dots or slashes ("943.476.5919",
    /// "943/476/5919"): the same separator twice, a valid check digit.
    fn separated_health_number(&mut self, i: usize) -> Option<usize> {
        let b = self.b;
        let sep = *b.get(i + 3)?;
        let shape = matches!(sep, b'.' | b'/')
            && b.get(i + 7) == Some(&sep)
            && [0, 1, 2, 4, 5, 6, 8, 9, 10, 11]
                .iter()
                .all(|&k| digit(b, i + k))
            && boundary(b, i + 12)
            && !(b.get(i + 12) == Some(&sep) && digit(b, i + 13));
        if !shape {
            return None;
        }
        let mut ten = [0u8; 10];
        for (n, k) in [0, 1, 2, 4, 5, 6, 8, 9, 10, 11].iter().enumerate() {
            ten[n] = b[i + k] - b'0';
        }
        let kind = match health::classify(&ten)? {
            HealthNumber::Nhs if ten[0] == 0 => return None,
            HealthNumber::Nhs => Kind::NhsNumber,
            HealthNumber::Chi => Kind::ChiNumber,
            HealthNumber::HealthAndCare => Kind::HealthAndCareNumber,
        };
        self.push(kind, i, i + 12, None);
        Some(i + 12)
    }

    /// Tries the groups from `g`; returns the next group to try.
    fn number_at(&mut self, groups: &[(usize, usize)], g: usize) -> usize {
        let b = self.b;
        let mut digits = Vec::with_capacity(11);
        let mut phone_end = None;
        for (n, &(s, e)) in groups[g..].iter().enumerate() {
            digits.extend(b[s..e].iter().map(|c| c - b'0'));
            if digits.len() == 10 {
                if let Ok(ten) = <[u8; 10]>::try_from(&digits[..]) {
                    // No NHS number begins with 0; a telephone number
                    // does, and passes the check one time in eleven.
                    let kind = match health::classify(&ten) {
                        Some(HealthNumber::Nhs) if ten[0] == 0 => None,
                        Some(HealthNumber::Nhs) => Some(Kind::NhsNumber),
                        Some(HealthNumber::Chi) => Some(Kind::ChiNumber),
                        Some(HealthNumber::HealthAndCare) => Some(Kind::HealthAndCareNumber),
                        None => None,
                    };
                    if let Some(kind) = kind {
                        self.push(kind, groups[g].0, e, None);
                        return g + n + 1;
                    }
                }
            }
            if digits[0] == 0 && (digits.len() == 10 || digits.len() == 11) {
                phone_end = Some((g + n, e));
            }
            if digits.len() >= 11 {
                break;
            }
        }
        match phone_end {
            Some((last, e)) => {
                self.push(Kind::Telephone, groups[g].0, e, None);
                last + 1
            }
            None => g + 1,
        }
    }

    /// "+44 20 7946 0958", "+44 (0)20 7946 0958", "(01632) 960123".
    fn telephone_prefixed(&mut self, i: usize) -> Option<usize> {
        let b = self.b;
        let rest = &b[i..];
        let (mut j, wanted) = if rest.starts_with(b"+44") {
            let mut j = i + 3;
            if b.get(j) == Some(&b' ') {
                j += 1;
            }
            if b[j..].starts_with(b"(0)") {
                j += 3;
                if b.get(j) == Some(&b' ') {
                    j += 1;
                }
            }
            (j, 9..=10)
        } else if rest.starts_with(b"(0") {
            (i + 1, 10..=11)
        } else {
            return None;
        };
        let mut count = 0;
        let mut end = j;
        loop {
            if digit(b, j) {
                count += 1;
                j += 1;
                end = j;
            } else if b.get(j) == Some(&b')') && b.get(j + 1) == Some(&b' ') && digit(b, j + 2) {
                j += 2;
            } else if matches!(b.get(j), Some(b' ' | b'-')) && digit(b, j + 1) {
                j += 1;
            } else {
                break;
            }
            if count > 11 {
                return None;
            }
        }
        if wanted.contains(&count) && boundary(b, end) {
            self.push(Kind::Telephone, i, end, None);
            return Some(end);
        }
        None
    }

    // -------------------------------------------------------------- dates

    fn two_digits(&self, i: usize) -> Option<(u8, usize)> {
        let b = self.b;
        match (digit(b, i), digit(b, i + 1)) {
            (true, true) => Some(((b[i] - b'0') * 10 + b[i + 1] - b'0', i + 2)),
            (true, false) => Some((b[i] - b'0', i + 1)),
            _ => None,
        }
    }

    fn year(&self, i: usize) -> Option<(i32, bool, usize)> {
        let b = self.b;
        let n = (i..i + 5).take_while(|k| digit(b, *k)).count();
        let value = |len: usize| self.text[i..i + len].parse::<i32>().ok();
        match n {
            // A year a record can hold: "0000" or "4000" is not one.
            4 => value(4)
                .filter(|y| (1850..=2199).contains(y))
                .map(|y| (y, false, i + 4)),
            2 => Some((value(2)?, true, i + 2)),
            _ => None,
        }
    }

    /// A month's name at `i` (any case), and where it ends.
    fn month(&self, i: usize) -> Option<(u8, usize)> {
        let b = self.b;
        if !b.get(i).is_some_and(|c| b"jfmasondJFMASOND".contains(c)) {
            return None;
        }
        let mut j = i;
        while j < b.len() && b[j].is_ascii_alphabetic() {
            j += 1;
        }
        let word = &self.text[i..j];
        let m = MONTHS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(word))?
            .1;
        let j = if b.get(j) == Some(&b'.') { j + 1 } else { j };
        Some((m, j))
    }

    fn valid(day: u8, month: u8) -> bool {
        (1..=12).contains(&month) && (1..=health::days_in(month)).contains(&day)
    }

    /// 03/02/1958, 3.2.58, 1958-02-03, 3 February 1958, 3rd Feb 58.
    fn date(&self, i: usize) -> Option<Date> {
        let b = self.b;
        // Year first: 1958-02-03 or 1958/02/03.
        if let Some((year, false, j)) = self.year(i) {
            let sep = *b.get(j)?;
            if sep == b'-' || sep == b'/' {
                let (month, k) = self.two_digits(j + 1)?;
                if b.get(k) != Some(&sep) {
                    return None;
                }
                let (day, end) = self.two_digits(k + 1)?;
                return (Self::valid(day, month) && boundary(b, end)).then_some(Date {
                    end,
                    day,
                    month,
                    year,
                    two_digit_year: false,
                });
            }
            return None;
        }
        let (day, j) = self.two_digits(i)?;
        let sep = *b.get(j)?;
        if matches!(sep, b'/' | b'.' | b'-') && digit(b, j + 1) {
            let (month, k) = self.two_digits(j + 1)?;
            if b.get(k) != Some(&sep) {
                return None;
            }
            let (year, two, end) = self.year(k + 1)?;
            return (Self::valid(day, month) && boundary(b, end)).then_some(Date {
                end,
                day,
                month,
                year,
                two_digit_year: two,
            });
        }
        // 3 March 1958, 3rd-Mar-58.
        let mut k = j;
        for suffix in ["st", "nd", "rd", "th"] {
            if self.text[k..].starts_with(suffix) {
                k += 2;
                break;
            }
        }
        if !matches!(b.get(k), Some(b' ' | b'-')) {
            return None;
        }
        let (month, k) = self.month(k + 1)?;
        if !matches!(b.get(k), Some(b' ' | b'-')) {
            return None;
        }
        let (year, two, end) = self.year(k + 1)?;
        (Self::valid(day, month) && boundary(b, end)).then_some(Date {
            end,
            day,
            month,
            year,
            two_digit_year: two,
        })
    }

    /// March 3, 1958 / March 3rd 1958.
    fn date_month_first(&self, i: usize) -> Option<Date> {
        let b = self.b;
        let (month, j) = self.month(i)?;
        if b.get(j) != Some(&b' ') {
            return None;
        }
        let (day, mut k) = self.two_digits(j + 1)?;
        for suffix in ["st", "nd", "rd", "th"] {
            if self.text[k..].starts_with(suffix) {
                k += 2;
                break;
            }
        }
        if b.get(k) == Some(&b',') {
            k += 1;
        }
        if b.get(k) != Some(&b' ') {
            return None;
        }
        let (year, false, end) = self.year(k + 1)? else {
            return None;
        };
        (Self::valid(day, month) && boundary(b, end)).then_some(Date {
            end,
            day,
            month,
            year,
            two_digit_year: false,
        })
    }

    // ------------------------------------------------------------ postcode

    /// A UK postcode: area (1–2 letters), district (a digit, then maybe a
    /// digit or letter), one space or none, sector (a digit) and unit (2
    /// letters, none of C I K M O V). All in capitals, or with a space all
    /// in small letters but not an ordinal ("a1 2nd").
    fn postcode(&mut self, i: usize) -> Option<usize> {
        let b = self.b;
        let alpha = |k: usize| b.get(k).is_some_and(u8::is_ascii_alphabetic);
        let letters = (i..i + 2).take_while(|k| alpha(*k)).count();
        if letters == 0 || !digit(b, i + letters) {
            return None;
        }
        let unit_ok = |k: usize| alpha(k) && !b"CIKMOV".contains(&b[k].to_ascii_uppercase());
        let k = [2, 1].into_iter().find_map(|district| {
            let d_end = i + letters + district;
            if district == 2 && !b.get(d_end - 1).is_some_and(u8::is_ascii_alphanumeric) {
                return None;
            }
            let spaced = b.get(d_end) == Some(&b' ');
            let k = if spaced { d_end + 1 } else { d_end };
            (digit(b, k) && unit_ok(k + 1) && unit_ok(k + 2) && boundary(b, k + 3)).then_some(k)
        })?;
        let end = k + 3;
        let text = &self.text[i..end];
        let upper = !text.bytes().any(|c| c.is_ascii_lowercase());
        let lower = !text.bytes().any(|c| c.is_ascii_uppercase());
        let ordinal = ["st", "nd", "rd", "th"].contains(&&self.text[k + 1..end]);
        // Lower case, spaced or not ("sw1a1aa"), unless an ordinal ends it.
        if !(upper || (lower && !ordinal)) {
            return None;
        }
        self.push(Kind::Postcode, i, end, None);
        Some(end)
    }

    // --------------------------------------------------------------- words

    fn word_end(&self, i: usize) -> usize {
        let b = self.b;
        let mut j = i;
        // Letters and digits; an apostrophe or hyphen inside a name
        // (O'Neil, Smith-Jones).
        let inside = |j: usize| {
            matches!(b[j], b'\'' | b'-')
                && j > i
                && b.get(j + 1)
                    .is_some_and(|c| c.is_ascii_alphabetic() || *c >= 0x80)
        };
        while j < b.len() && (word_byte(b[j]) || inside(j)) {
            j += 1;
        }
        j
    }

    fn at_letter(&mut self, i: usize) -> Option<usize> {
        let b = self.b;
        let j = self.word_end(i);
        let word = &self.text[i..j];
        // Context for a date of birth.
        let lower3 = |w: &str, t: &str| w.get(..t.len()).is_some_and(|p| p.eq_ignore_ascii_case(t));
        if word.eq_ignore_ascii_case("dob")
            || word.eq_ignore_ascii_case("born")
            || lower3(word, "birth")
            || (b.len() >= i + 5 && b[i..i + 5].eq_ignore_ascii_case(b"d.o.b"))
        {
            self.dob_until = j + DOB_REACH;
        }
        if let Some(d) = self.date_month_first(i) {
            self.found_date(i, &d);
            return Some(d.end);
        }
        if word.eq_ignore_ascii_case("ext")
            || word.eq_ignore_ascii_case("extension")
            || word.eq_ignore_ascii_case("bleep")
        {
            return Some(self.extension(j).unwrap_or(j));
        }
        if is_title(word) {
            if let Some(end) = self.titled(i, j) {
                return Some(end);
            }
        }
        if !self.s.parts.is_empty() {
            if word.contains('-') && self.part_of(word).is_none() {
                // "CT-Aardvark": a recorded name inside a hyphenated word
                // (a reference someone typed), unless the whole is a name.
                let mut k = i;
                for piece in word.split('-') {
                    if !piece.is_empty() {
                        self.recorded(k, k + piece.len());
                    }
                    k += piece.len() + 1;
                }
            } else if let Some(stem) = possessive(word)
                && self.part_of(word).is_none()
                && self.part_of(stem).is_some()
            {
                // "Smith's": the name, its possessive left as it is.
                self.recorded(i, i + stem.len());
            } else {
                self.recorded(i, j);
            }
        }
        self.prev_word = Some((i, j));
        Some(j)
    }

    /// "ext. 4567", "bleep 1234": the number.
    fn extension(&mut self, j: usize) -> Option<usize> {
        let b = self.b;
        let mut k = j;
        if b.get(k) == Some(&b'.') {
            k += 1;
        }
        if b.get(k) == Some(&b':') {
            k += 1;
        }
        while b.get(k) == Some(&b' ') {
            k += 1;
        }
        let n = (k..).take_while(|x| digit(b, *x)).count();
        if (3..=6).contains(&n) && boundary(b, k + n) {
            self.push(Kind::Telephone, k, k + n, None);
            return Some(k + n);
        }
        None
    }

    /// A title and the name after it: initials and capitalised words, up
    /// to three. A recorded person's name is theirs.
    fn titled(&mut self, i: usize, j: usize) -> Option<usize> {
        let b = self.b;
        let mut k = j;
        if b.get(k) == Some(&b'.') {
            k += 1;
        }
        let mut end = None;
        let mut person = None;
        for _ in 0..3 {
            if b.get(k) != Some(&b' ') {
                break;
            }
            let start = k + 1;
            let first = self.text[start..].chars().next()?;
            if !first.is_uppercase() {
                break;
            }
            let stop = self.word_end(start);
            let word = &self.text[start..stop];
            let initial = word.chars().count() == 1;
            if !initial && NOT_NAMES.contains(&word) {
                break;
            }
            if person.is_none() {
                person = self.part_of(word).map(|(p, _)| p);
            }
            end = Some(stop);
            k = stop;
            if initial && b.get(k) == Some(&b'.') {
                k += 1;
            }
        }
        let end = end?;
        match person {
            Some(p) => self.push_person(i, end, p),
            None => self.push(Kind::TitledName, i, end, None),
        }
        Some(end)
    }

    /// The recorded person a word names, and whether it is their family
    /// name.
    fn part_of(&self, word: &str) -> Option<(usize, bool)> {
        let (shortest, longest) = self.s.part_len;
        if word.len() < shortest || word.len() > longest {
            return None;
        }
        // Most words are short and ASCII: lower-cased on the stack.
        let mut buf = [0u8; 32];
        let parts = if word.is_ascii() && word.len() <= buf.len() {
            let lower = &mut buf[..word.len()];
            lower.copy_from_slice(word.as_bytes());
            lower.make_ascii_lowercase();
            self.s.parts.get(std::str::from_utf8(lower).ok()?)?
        } else {
            self.s.parts.get(&word.to_lowercase())?
        };
        parts
            .iter()
            .find(|p| p.family)
            .or_else(|| parts.first())
            .map(|p| (p.person, p.family))
    }

    /// A recorded name part: a family name in any case; a given name when
    /// capitalised or just before the same person's family name.
    fn recorded(&mut self, i: usize, j: usize) {
        let word = &self.text[i..j];
        let Some((person, family)) = self.part_of(word) else {
            return;
        };
        let capitalised = word.chars().next().is_some_and(char::is_uppercase);
        let after_same = self.out.last().is_some_and(|f| {
            f.person == Some(person)
                && self.text[f.range.end.min(i)..i]
                    .chars()
                    .all(|c| c == ' ' || c == ',')
        });
        if !family && !capitalised && !after_same {
            return;
        }
        let mut start = i;
        if family {
            // "jane smith", "J. Smith": the word or initial before it.
            if let Some((ps, pe)) = self.prev_word {
                let gap = &self.text[pe..i];
                let before = &self.text[ps..pe];
                let joined = gap.chars().all(|c| c == ' ' || c == '.');
                let given = self.part_of(before).is_some_and(|(p, _)| p == person)
                    || (before.chars().count() == 1
                        && before.chars().all(char::is_uppercase)
                        && self.initial_of(person, before));
                let already = self.out.last().is_some_and(|f| f.range.end >= pe);
                if joined && given && !already {
                    start = ps;
                }
            }
        }
        self.push_person(start, j, person);
    }

    fn initial_of(&self, person: usize, initial: &str) -> bool {
        let name = &self.s.people[person].name;
        name.split_whitespace()
            .any(|w| w.chars().next().is_some_and(|c| initial.starts_with(c)))
    }

    /// A recorded person's name, joined to the finding before it when that
    /// is the same person and only spaces, commas or points lie between.
    fn push_person(&mut self, start: usize, end: usize, person: usize) {
        if let Some(last) = self.out.last_mut() {
            let gap = &self.text[last.range.end.min(start)..start];
            if last.person == Some(person)
                && last.range.end <= start
                && gap.chars().all(|c| c == ' ' || c == ',' || c == '.')
            {
                last.range.end = end;
                return;
            }
        }
        self.push(Kind::RecordedName, start, end, Some(person));
    }
}
