//! Exact decimal quantities: doses, activities, distances.
//!
//! Every threshold in the guidance is a decimal ("1.1 or more times",
//! "0.3 mSv"). A [`Quantity`] holds the number exactly as it was written and
//! every comparison against a threshold or a multiplication factor is done by
//! cross-multiplication in decimal arithmetic, so 66 Gy against 60 Gy is
//! exactly 1.1 times and no floating-point rounding can flip an edge.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

/// The largest magnitude accepted for any quantity (10^12). Far above any
/// real dose, activity or distance; it bounds the arithmetic below.
pub const MAX_QUANTITY: i64 = 1_000_000_000_000;
/// The most digits accepted in one number (trailing zeros after the
/// decimal point count: they are kept as written).
pub const MAX_SIGNIFICANT_DIGITS: u32 = 20;

/// A non-negative decimal number, exact as written.
///
/// Invariant (enforced by [`Quantity::parse`]): `0 <= value <= 10^12` with at
/// most 20 significant digits, so multiplying by any factor in this module
/// (numerator or denominator at most 100) stays far inside the 96-bit
/// mantissa of [`Decimal`] and is exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(Decimal);

/// Why a number could not be a [`Quantity`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("not a number")]
    NotANumber,
    #[error("negative")]
    Negative,
    #[error("larger than 1000000000000")]
    TooLarge,
    #[error("more than 20 digits")]
    TooPrecise,
}

impl Quantity {
    pub const ZERO: Quantity = Quantity(Decimal::ZERO);

    /// Reads a JSON-style decimal number (`3`, `0.45`, `2.5e1`).
    pub fn parse(text: &str) -> Result<Self, QuantityError> {
        let text = text.trim();
        let value = if text.contains(['e', 'E']) {
            Decimal::from_scientific(text).map_err(|_| classify_failure(text))?
        } else {
            Decimal::from_str_exact(text).map_err(|_| classify_failure(text))?
        };
        Self::from_decimal(value)
    }

    /// Checks the invariant on an exact decimal.
    pub fn from_decimal(value: Decimal) -> Result<Self, QuantityError> {
        if value.is_zero() {
            // "-0" and "0.000" are both zero; keep the scale as written.
            return Ok(Quantity(value.abs()));
        }
        if value.is_sign_negative() {
            return Err(QuantityError::Negative);
        }
        if value > Decimal::from(MAX_QUANTITY) {
            return Err(QuantityError::TooLarge);
        }
        // The digits as stored (trailing zeros included: the display keeps
        // them), which is what bounds the products below.
        if value.mantissa().unsigned_abs() >= 10u128.pow(MAX_SIGNIFICANT_DIGITS) {
            return Err(QuantityError::TooPrecise);
        }
        Ok(Quantity(value))
    }

    /// A whole quantity (thresholds, counts).
    pub const fn whole(n: u32) -> Self {
        Quantity(Decimal::from_parts(n, 0, 0, false, 0))
    }

    /// `mantissa x 10^-scale`, for constants such as 0.3 (`from_parts(3, 1)`).
    pub const fn from_parts(mantissa: u32, scale: u32) -> Self {
        Quantity(Decimal::from_parts(mantissa, 0, 0, false, scale))
    }

    pub fn decimal(self) -> Decimal {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// Compares `self` with `factor x other`, exactly.
    pub fn cmp_times(self, factor: Factor, other: Quantity) -> Ordering {
        // self >= (num/den) x other  <=>  self x den >= other x num.
        // Both products are exact: see the invariant on `Quantity`.
        let lhs = self.0 * Decimal::from(factor.den);
        let rhs = other.0 * Decimal::from(factor.num);
        lhs.cmp(&rhs)
    }

    /// `self >= factor x other`.
    pub fn at_least_times(self, factor: Factor, other: Quantity) -> bool {
        self.cmp_times(factor, other) != Ordering::Less
    }

    /// `self <= factor x other`.
    pub fn at_most_times(self, factor: Factor, other: Quantity) -> bool {
        self.cmp_times(factor, other) != Ordering::Greater
    }

    /// `self / other`, rounded to three significant digits, for reasons shown
    /// to people. Never used to decide anything. `None` when `other` is zero.
    pub fn ratio_for_display(self, other: Quantity) -> Option<Decimal> {
        self.ratio_rounded(other, 3)
    }

    /// `self / other` rounded to `digits` significant digits (display only).
    pub fn ratio_rounded(self, other: Quantity, digits: u32) -> Option<Decimal> {
        if other.is_zero() {
            return None;
        }
        let ratio = self.0.checked_div(other.0)?;
        Some(round_significant(ratio, digits))
    }

    /// `self / other` for a reason shown to a person: three significant
    /// digits, or more where three would put the shown ratio on the other
    /// side of `factor` than the exact comparison (9.99997x must not show as
    /// "10x" when it is under 10x).
    pub fn ratio_text(self, factor: Factor, other: Quantity) -> String {
        let exact = self.cmp_times(factor, other);
        let factor_value = Decimal::from(factor.num) / Decimal::from(factor.den);
        let mut digits = 3;
        loop {
            match self.ratio_rounded(other, digits) {
                None => return "infinitely many times".to_owned(),
                Some(shown) if shown.cmp(&factor_value) == exact || digits >= 20 => {
                    return format!("{shown}x");
                }
                Some(_) => digits += 2,
            }
        }
    }
}

fn round_significant(value: Decimal, digits: u32) -> Decimal {
    if value.is_zero() {
        return value;
    }
    // Number of digits before the decimal point (can be <= 0 for 0.0x).
    let mut magnitude: i64 = 0;
    let mut probe = value.abs();
    let ten = Decimal::TEN;
    while probe >= ten {
        probe /= ten;
        magnitude += 1;
    }
    while probe < Decimal::ONE {
        probe *= ten;
        magnitude -= 1;
    }
    let decimals = (i64::from(digits) - 1 - magnitude).clamp(0, 12) as u32;
    value.round_dp(decimals).normalize()
}

fn classify_failure(text: &str) -> QuantityError {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let looks_numeric = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    if !looks_numeric {
        QuantityError::NotANumber
    } else if text.starts_with('-') {
        QuantityError::Negative
    } else if digits > MAX_SIGNIFICANT_DIGITS as usize || text.contains("e-") || text.contains("E-")
    {
        // More digits than kept, or a power of ten too small to hold
        // exactly (5e-324): too precise, not too large.
        QuantityError::TooPrecise
    } else {
        QuantityError::TooLarge
    }
}

impl FromStr for Quantity {
    type Err = QuantityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Quantity::parse(s)
    }
}

impl fmt::Display for Quantity {
    /// As written: `3.30` stays `3.30`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A multiplication factor from the guidance, as an exact fraction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Factor {
    pub num: u32,
    pub den: u32,
}

impl Factor {
    pub const fn new(num: u32, den: u32) -> Self {
        Factor { num, den }
    }
}

impl fmt::Display for Factor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = Decimal::from(self.num) / Decimal::from(self.den);
        write!(f, "{}", value.normalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).expect("valid quantity")
    }

    #[test]
    fn keeps_the_number_as_written() {
        assert_eq!(q("3.30").to_string(), "3.30");
        assert_eq!(q("52.8").to_string(), "52.8");
        assert_eq!(q("2.5e1").to_string(), "25");
        assert_eq!(q("-0").to_string(), "0");
    }

    #[test]
    fn rejects_what_is_not_a_quantity() {
        assert_eq!(Quantity::parse("-0.1"), Err(QuantityError::Negative));
        assert_eq!(Quantity::parse("1e13"), Err(QuantityError::TooLarge));
        assert_eq!(
            Quantity::parse("1000000000000.5"),
            Err(QuantityError::TooLarge)
        );
        assert_eq!(Quantity::parse("thirty"), Err(QuantityError::NotANumber));
        assert_eq!(
            Quantity::parse("1.000000000000000000001"),
            Err(QuantityError::TooPrecise)
        );
        assert!(Quantity::parse("1000000000000").is_ok());
        assert_eq!(
            Quantity::parse("1.0000000000000000000000000000"),
            Err(QuantityError::TooPrecise)
        );
        assert!(Quantity::parse("1.0000000000000000000").is_ok());
        // A power of ten too small to hold exactly is too precise, not too
        // large.
        assert_eq!(Quantity::parse("5e-324"), Err(QuantityError::TooPrecise));
        assert!(Quantity::parse("2.5e-3").is_ok());
    }

    #[test]
    fn factors_are_exact_where_floating_point_is_not() {
        // 52.8 / 48 = 1.1 exactly; in f64, 52.8 / 48.0 = 1.0999999999999999.
        assert!(q("52.8").at_least_times(Factor::new(11, 10), q("48")));
        // 3.3 = 10 x 0.33; in f64, 0.33 * 10.0 = 3.3000000000000003 > 3.3.
        assert!(q("3.3").at_least_times(Factor::new(10, 1), q("0.33")));
        assert!(!q("3.29999").at_least_times(Factor::new(10, 1), q("0.33")));
        // 18 = 0.9 x 20, on the edge.
        assert!(q("18").at_most_times(Factor::new(9, 10), q("20")));
        assert!(!q("18.0001").at_most_times(Factor::new(9, 10), q("20")));
    }

    #[test]
    fn arithmetic_at_the_bounds_is_exact() {
        let big = q("999999999999.99999999");
        let widest = q("0.9999999999999999999");
        assert_eq!(
            widest.cmp_times(Factor::new(100, 1), widest),
            Ordering::Less
        );
        assert_eq!(
            big.cmp_times(Factor::new(100, 99), widest),
            Ordering::Greater
        );
        let small = q("0.0000000000000000001");
        assert_eq!(big.cmp_times(Factor::new(25, 10), big), Ordering::Less);
        assert_eq!(big.cmp_times(Factor::new(1, 100), big), Ordering::Greater);
        assert!(small.at_least_times(Factor::new(100, 100), small));
        assert!(big.at_least_times(Factor::new(100, 1), small));
    }

    #[test]
    fn ratio_text_never_shows_the_wrong_side_of_an_edge() {
        let ten = Factor::new(10, 1);
        assert_eq!(q("3.29999").ratio_text(ten, q("0.33")), "9.99997x");
        assert_eq!(q("3.3").ratio_text(ten, q("0.33")), "10x");
        assert_eq!(q("6").ratio_text(ten, q("0.5")), "12x");
        assert_eq!(q("1").ratio_text(ten, q("0")), "infinitely many times");
    }

    #[test]
    fn ratio_for_display_rounds_to_three_digits() {
        assert_eq!(
            q("6").ratio_for_display(q("0.5")).map(|d| d.to_string()),
            Some("12".into())
        );
        assert_eq!(
            q("10").ratio_for_display(q("3")).map(|d| d.to_string()),
            Some("3.33".into())
        );
        assert_eq!(q("1").ratio_for_display(q("0")), None);
    }
}
