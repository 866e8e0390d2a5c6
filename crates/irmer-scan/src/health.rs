//! The ten-digit health numbers of the four nations. All three use the
//! same modulus-11 check digit; their ranges tell them apart:
//! CHI numbers (Scotland) begin with the date of birth, DDMMYY;
//! Health and Care numbers (Northern Ireland) are 320 000 0000 to
//! 399 999 9999; NHS numbers (England, Wales, Isle of Man) are the rest.

/// Which number a valid ten-digit health number is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HealthNumber {
    Nhs,
    Chi,
    HealthAndCare,
}

/// Whether ten digits (values 0–9) carry a valid modulus-11 check digit:
/// the first nine weighted 10 down to 2, summed; 11 minus the remainder
/// by 11 is the check digit (11 is 0, and 10 is never valid).
pub fn check_digit_ok(digits: &[u8; 10]) -> bool {
    let sum: u32 = digits[..9]
        .iter()
        .zip((2..=10).rev())
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return false,
        c => c,
    };
    u32::from(digits[9]) == check
}

/// The kind of a ten-digit health number, if its check digit is valid.
pub fn classify(digits: &[u8; 10]) -> Option<HealthNumber> {
    if !check_digit_ok(digits) {
        return None;
    }
    let two = |i: usize| digits[i] * 10 + digits[i + 1];
    let (day, month) = (two(0), two(2));
    let leading = u16::from(digits[0]) * 100 + u16::from(digits[1]) * 10 + u16::from(digits[2]);
    Some(
        if (1..=12).contains(&month) && (1..=days_in(month)).contains(&day) {
            HealthNumber::Chi
        } else if (320..=399).contains(&leading) {
            HealthNumber::HealthAndCare
        } else {
            HealthNumber::Nhs
        },
    )
}

/// The most days a month can have (29 for February: the century of a
/// CHI's year is not known).
pub(crate) fn days_in(month: u8) -> u8 {
    match month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(text: &str) -> [u8; 10] {
        let v: Vec<u8> = text.bytes().map(|b| b - b'0').collect();
        v.try_into().expect("ten digits")
    }

    #[test]
    fn published_examples() {
        // NHS Digital's example numbers.
        assert_eq!(classify(&digits("9434765919")), Some(HealthNumber::Nhs));
        assert_eq!(classify(&digits("4010232137")), Some(HealthNumber::Nhs));
        assert_eq!(classify(&digits("9434765918")), None);
        // Remainder 1 gives check 10: never valid.
        assert!(!check_digit_ok(&digits("0000000060")));
        // A CHI number: 1 January 1970.
        assert_eq!(classify(&digits("0101701233")), Some(HealthNumber::Chi));
        // 320 000 000 to 399 999 999: Northern Ireland.
        assert_eq!(
            classify(&digits("3200000015")),
            Some(HealthNumber::HealthAndCare)
        );
    }
}
