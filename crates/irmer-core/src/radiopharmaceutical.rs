//! Whether two radiopharmaceutical names are the same (code 7).
//!
//! Names are compared ignoring case, spaces, hyphens and brackets, and the
//! way the nuclide is written: `Tc-99m`, `99mTc`, `Tc99m`, `99m-Tc` and
//! `[99mTc]` are one nuclide. The right nuclide with the wrong tracer
//! (`Tc-99m MAA` for `Tc-99m HDP`) is a different radiopharmaceutical.

/// Element symbols of the radionuclides used in nuclear medicine, lower case.
/// A token is read as a nuclide only with one of these.
const ELEMENTS: &[&str] = &[
    "ac", "at", "ba", "bi", "c", "co", "cr", "cs", "cu", "er", "f", "fe", "ga", "ho", "i", "in",
    "ir", "k", "kr", "lu", "n", "na", "o", "p", "pb", "ra", "rb", "re", "sc", "se", "sm", "sr",
    "tb", "tc", "th", "tl", "xe", "y", "zr",
];

/// The canonical form: the nuclides found (sorted, as `tc99m`) and the rest
/// of the name with separators removed.
#[derive(Debug, PartialEq, Eq)]
pub struct CanonicalName {
    pub nuclides: Vec<String>,
    pub rest: String,
}

/// `true` when the two names denote the same radiopharmaceutical.
pub fn same_radiopharmaceutical(a: &str, b: &str) -> bool {
    canonical(a) == canonical(b)
}

pub fn canonical(name: &str) -> CanonicalName {
    let lower = name.to_lowercase();
    let tokens: Vec<&str> = lower
        .split(|c: char| {
            c.is_whitespace()
                || matches!(c, '-' | '_' | '[' | ']' | '(' | ')' | '^' | '/' | ',' | '.')
        })
        .filter(|t| !t.is_empty())
        .collect();
    let mut nuclides = Vec::new();
    let mut rest = String::new();
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i];
        // "tc" "99m" or "99m" "tc": a nuclide split by a separator.
        if let Some(next) = tokens.get(i + 1) {
            if is_element(token) {
                if let Some(mass) = mass_number(next) {
                    nuclides.push(format!("{token}{mass}"));
                    i += 2;
                    continue;
                }
            }
            if let Some(mass) = mass_number(token) {
                if is_element(next) {
                    nuclides.push(format!("{next}{mass}"));
                    i += 2;
                    continue;
                }
            }
        }
        if let Some((nuclide, tail)) = leading_nuclide(token) {
            nuclides.push(nuclide);
            rest.push_str(tail);
        } else {
            rest.push_str(token);
        }
        i += 1;
    }
    nuclides.sort();
    CanonicalName { nuclides, rest }
}

fn is_element(token: &str) -> bool {
    ELEMENTS.contains(&token)
}

/// `99m`, `131`: digits and an optional metastable `m`.
fn mass_number(token: &str) -> Option<&str> {
    let digits = token.trim_end_matches('m');
    let valid = !digits.is_empty()
        && digits.len() <= 3
        && digits.bytes().all(|b| b.is_ascii_digit())
        && token.len() - digits.len() <= 1;
    valid.then_some(token)
}

/// A nuclide written as one token at the start of it: `99mtc`, `tc99m`,
/// `18f` (then the rest of the token, e.g. `99mtcmdp` gives `mdp`).
fn leading_nuclide(token: &str) -> Option<(String, &str)> {
    let digits_end = token
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(token.len());
    if digits_end > 0 && digits_end <= 3 {
        // Mass first: "99mtc", "131i", "18f".
        let digits = &token[..digits_end];
        let after = &token[digits_end..];
        for metastable in [true, false] {
            let letters = if metastable {
                match after.strip_prefix('m') {
                    Some(l) => l,
                    None => continue,
                }
            } else {
                after
            };
            for len in [2, 1] {
                if let Some(symbol) = letters.get(..len) {
                    if is_element(symbol) {
                        let m = if metastable { "m" } else { "" };
                        return Some((format!("{symbol}{digits}{m}"), &letters[len..]));
                    }
                }
            }
        }
        return None;
    }
    // Symbol first: "tc99m", "i131".
    for len in [2, 1] {
        let Some(symbol) = token.get(..len) else {
            continue;
        };
        if !is_element(symbol) {
            continue;
        }
        let after = &token[len..];
        let digits_len = after
            .bytes()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(after.len());
        if digits_len == 0 || digits_len > 3 {
            continue;
        }
        let digits = &after[..digits_len];
        let tail = &after[digits_len..];
        let (m, tail) = match tail.strip_prefix('m') {
            Some(t) => ("m", t),
            None => ("", tail),
        };
        return Some((format!("{symbol}{digits}{m}"), tail));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nuclide_notation_does_not_matter() {
        let forms = [
            "Tc-99m MDP",
            "99mTc-MDP",
            "Tc99m MDP",
            "99m-Tc MDP",
            "[99mTc]MDP",
            "TC-99M mdp",
            "99mTcMDP",
            "Tc99mMDP",
            "tc 99m  mdp",
        ];
        for a in forms {
            for b in forms {
                assert!(same_radiopharmaceutical(a, b), "{a} vs {b}");
            }
        }
        assert!(same_radiopharmaceutical("F-18 FDG", "[18F]FDG"));
        assert!(same_radiopharmaceutical("18F-FDG", "F18 FDG"));
        assert!(same_radiopharmaceutical("I-131", "131I"));
        assert!(same_radiopharmaceutical(
            "Lu-177 DOTATATE",
            "177Lu-DOTATATE"
        ));
        assert!(same_radiopharmaceutical("Ga-68 PSMA-11", "68Ga-PSMA11"));
    }

    #[test]
    fn a_different_tracer_or_nuclide_is_different() {
        assert!(!same_radiopharmaceutical("Tc-99m HDP", "Tc-99m MAA"));
        assert!(!same_radiopharmaceutical("Tc-99m MAG3", "Tc-99m DMSA"));
        assert!(!same_radiopharmaceutical("I-123 MIBG", "I-131 MIBG"));
        assert!(!same_radiopharmaceutical("Tc-99m sestamibi", "Tl-201"));
        assert!(!same_radiopharmaceutical(
            "Ga-68 DOTATATE",
            "Lu-177 DOTATATE"
        ));
    }
}
