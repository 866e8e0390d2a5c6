//! Serde plumbing for the contract's leaf values: numbers read exactly,
//! whole numbers with ranges, dates, and `null` read as "absent".
//!
//! Every deserializer here says what it expected in words a person can act
//! on; [`crate::parse`] turns serde's errors into `field: expected …, found …`.

use std::fmt;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::quantity::{Quantity, QuantityError};

/// Reads any JSON number exactly, as decimal text.
///
/// With serde_json's `arbitrary_precision` a number read from text arrives as
/// a one-entry map carrying its text; read from a `serde_json::Value` it may
/// arrive as `u64`, `i64` or an `f64` whose shortest form is the text.
struct NumberVisitor {
    expecting: &'static str,
}

impl<'de> Visitor<'de> for NumberVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        if !v.is_finite() {
            return Err(E::custom(format!("expected {}, found {v}", self.expecting)));
        }
        // Rust prints the shortest decimal that reads back as `v`: the text
        // that was written, whenever it had at most 15 significant digits.
        Ok(format!("{v}"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // serde_json (arbitrary_precision) hands a number over as a map with
        // one private key and the number's text as the value; any other map
        // is a JSON object where a number belongs.
        match map.next_key::<NumberToken>()? {
            Some(NumberToken(true)) => map.next_value::<String>(),
            _ => Err(de::Error::invalid_type(de::Unexpected::Map, &self)),
        }
    }
}

/// The key serde_json uses for a number's text (`serde_json::Number`'s own
/// deserializer reads the same key).
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

struct NumberToken(bool);

impl<'de> Deserialize<'de> for NumberToken {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = NumberToken;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NumberToken, E> {
                Ok(NumberToken(v == NUMBER_TOKEN))
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

fn read_number<'de, D: Deserializer<'de>>(
    deserializer: D,
    expecting: &'static str,
) -> Result<String, D::Error> {
    deserializer.deserialize_any(NumberVisitor { expecting })
}

/// A quantity field: a non-negative number, exact.
pub(crate) fn quantity<'de, D: Deserializer<'de>>(
    deserializer: D,
    expecting: &'static str,
) -> Result<Quantity, D::Error> {
    let text = read_number(deserializer, expecting)?;
    Quantity::parse(&text).map_err(|e| {
        let why = match e {
            QuantityError::NotANumber => String::new(),
            other => format!(" ({other})"),
        };
        de::Error::custom(format!("expected {expecting}, found {text}{why}"))
    })
}

/// A quantity that must be strictly positive (an intended dose that is
/// divided into, a prescribed activity, an error margin).
pub(crate) fn positive_quantity<'de, D: Deserializer<'de>>(
    deserializer: D,
    expecting: &'static str,
) -> Result<Quantity, D::Error> {
    let value = quantity(deserializer, expecting)?;
    if value.is_zero() {
        return Err(de::Error::custom(format!(
            "expected {expecting}, found {value}"
        )));
    }
    Ok(value)
}

/// A whole number in `min..=max`.
pub(crate) fn whole<'de, D: Deserializer<'de>>(
    deserializer: D,
    min: u32,
    max: u32,
    expecting: &'static str,
) -> Result<u32, D::Error> {
    let text = read_number(deserializer, expecting)?;
    let fail = || de::Error::custom(format!("expected {expecting}, found {text}"));
    let value = Quantity::parse(&text)
        .map(Quantity::decimal)
        .or_else(|_| text.parse::<Decimal>())
        .map_err(|_| fail())?;
    if !value.fract().is_zero() || value < Decimal::from(min) || value > Decimal::from(max) {
        return Err(fail());
    }
    // 8.0 is 8: the whole part at its own scale (trunc keeps no
    // fraction digits; dividing by the written scale made 8.0 into 0).
    let whole = value.trunc();
    u32::try_from(whole.mantissa() / 10i128.pow(whole.scale())).map_err(|_| fail())
}

/// `true`/`false`, with `null` or absence meaning `false`.
pub(crate) fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    struct FlagVisitor;
    impl<'de> Visitor<'de> for FlagVisitor {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("true or false")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_none<E: de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }
    }
    deserializer.deserialize_option(OptionFlag(FlagVisitor))
}

struct OptionFlag<V>(V);

impl<'de, V: Visitor<'de, Value = bool>> Visitor<'de> for OptionFlag<V> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }
    fn visit_none<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_bool(self.0)
    }
}

pub(crate) fn is_false(value: &bool) -> bool {
    !*value
}

/// Writes a quantity as a JSON number with its exact text.
pub(crate) fn serialize_quantity<S: Serializer>(
    value: &Quantity,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value.to_string().parse::<serde_json::Number>() {
        Ok(number) => number.serialize(serializer),
        Err(_) => serializer.collect_str(value),
    }
}

/// Defines a newtype-free field deserializer for `Option<Quantity>` and
/// `Quantity` with a fixed expectation.
macro_rules! quantity_field {
    ($name:ident, $opt:ident, $reader:path, $expecting:expr) => {
        #[allow(dead_code)]
        pub(crate) fn $name<'de, D: serde::Deserializer<'de>>(
            d: D,
        ) -> Result<$crate::quantity::Quantity, D::Error> {
            $reader(d, $expecting)
        }
        #[allow(dead_code)]
        pub(crate) fn $opt<'de, D: serde::Deserializer<'de>>(
            d: D,
        ) -> Result<Option<$crate::quantity::Quantity>, D::Error> {
            struct Wrap(Quantity);
            impl<'de> serde::Deserialize<'de> for Wrap {
                fn deserialize<D2: serde::Deserializer<'de>>(d: D2) -> Result<Self, D2::Error> {
                    $reader(d, $expecting).map(Wrap)
                }
            }
            Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
        }
    };
}
pub(crate) use quantity_field;

pub(crate) fn serialize_opt_quantity<S: Serializer>(
    value: &Option<Quantity>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(q) => serialize_quantity(q, serializer),
        None => serializer.serialize_none(),
    }
}
