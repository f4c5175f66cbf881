//! JavaScript's `Number(string)`, correctly rounded, in little code and
//! without floating-point arithmetic, which a Cortex-M without an FPU would
//! otherwise pull in as several kilobytes of software routines.
//!
//! Decimal literals go through the "simple decimal conversion" (Nigel Tao's
//! description of the algorithm in Wuffs, which Go's `strconv` and Rust's
//! own `core::num::dec2flt` use when their fast paths give up): the digits
//! are kept as a decimal number of at most [`MAX_DIGITS`] digits and shifted
//! by powers of two until the binary exponent and the 53 bits of the
//! mantissa can be read off, then rounded half to even. It is exact for
//! every input, slower than table-driven algorithms, and needs no table of
//! powers: a device parses a string now and then (a switch comparing a
//! string payload with a number), so a few kilobytes of flash matter more.
//! Integers of up to 19 digits take a direct path.

/// JavaScript's `Number(string)`: surrounding white space is ignored, the
/// empty string is 0, `0x`, `0o` and `0b` prefixes read integers in those
/// bases, `Infinity` is infinite, and anything else that is not a whole
/// decimal literal (no numeric separators, no `inf` or `nan`) is NaN.
pub fn number_from_str(s: &str) -> f64 {
    let literal = s.trim_matches(is_js_white_space).as_bytes();
    let (negative, unsigned) = match literal {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, literal),
    };
    let signed = unsigned.len() != literal.len();
    let magnitude = match unsigned {
        [] if signed => return f64::NAN,
        [] => return 0.0,
        // JavaScript accepts no sign before a prefixed literal.
        [b'0', b'x' | b'X', digits @ ..] if !signed => return from_binary_radix(digits, 4),
        [b'0', b'o' | b'O', digits @ ..] if !signed => return from_binary_radix(digits, 3),
        [b'0', b'b' | b'B', digits @ ..] if !signed => return from_binary_radix(digits, 1),
        b"Infinity" => f64::INFINITY,
        _ => match Decimal::parse(unsigned) {
            Some(decimal) => decimal.into_f64(),
            None => return f64::NAN,
        },
    };
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

/// JavaScript's `parseFloat(text)`: the longest start of the text, after
/// white space, that is a decimal number (`"250ms"` is 250, `"1e3x"` is
/// 1000, `"-Infinity"` is -Infinity); NaN when there is none. Unlike
/// `Number()`, it reads no `0x` prefix (`"0x10"` is 0) and no blank as 0.
pub fn parse_float(s: &str) -> f64 {
    let text = s.trim_start_matches(is_js_white_space).as_bytes();
    let sign = usize::from(matches!(text.first(), Some(b'+' | b'-')));
    let body = text.get(sign..).unwrap_or_default();
    if body.starts_with(b"Infinity") {
        return number_from_str(
            core::str::from_utf8(text.get(..sign + 8).unwrap_or_default()).unwrap_or(""),
        );
    }
    let digits = |from: usize| {
        body.get(from..).map_or(0, |rest| {
            rest.iter().take_while(|b| b.is_ascii_digit()).count()
        })
    };
    let whole = digits(0);
    let mut end = whole;
    let mut fraction = 0;
    if body.get(end) == Some(&b'.') {
        fraction = digits(end + 1);
        end += 1 + fraction;
    }
    if whole + fraction == 0 {
        return f64::NAN;
    }
    if matches!(body.get(end), Some(b'e' | b'E')) {
        let exponent_sign = usize::from(matches!(body.get(end + 1), Some(b'+' | b'-')));
        let exponent = digits(end + 1 + exponent_sign);
        if exponent > 0 {
            end += 1 + exponent_sign + exponent;
        }
    }
    text.get(..sign + end)
        .and_then(|number| core::str::from_utf8(number).ok())
        .map_or(f64::NAN, number_from_str)
}

/// JavaScript's `parseFloat(string)`: white space before the number is
/// skipped, then the longest start of the rest that is a decimal literal
/// (`Infinity` included, no `0x` prefixes) is read with [`number_from_str`],
/// and anything after it ignored, so `"6 deg"` is 6, `"1e3x"` 1000 and
/// `"0x10"` 0. Without such a start the result is NaN.
pub fn float_from_str(s: &str) -> f64 {
    let text = s.trim_start_matches(is_js_white_space);
    let bytes = text.as_bytes();
    let digits_from = |at: usize| {
        bytes.get(at..).map_or(0, |rest| {
            rest.iter().take_while(|c| c.is_ascii_digit()).count()
        })
    };
    let sign = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let unsigned = bytes.get(sign..).unwrap_or_default();
    if unsigned.starts_with(b"Infinity") {
        return number_from_str(text.get(..sign + 8).unwrap_or_default());
    }
    let whole = digits_from(sign);
    let mut end = sign + whole;
    if bytes.get(end) == Some(&b'.') {
        let fraction = digits_from(end + 1);
        if whole > 0 || fraction > 0 {
            end += 1 + fraction;
        }
    }
    if end == sign {
        return f64::NAN;
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let signed = usize::from(matches!(bytes.get(end + 1), Some(b'+' | b'-')));
        let exponent = digits_from(end + 1 + signed);
        if exponent > 0 {
            end += 1 + signed + exponent;
        }
    }
    number_from_str(text.get(..end).unwrap_or_default())
}

/// JavaScript's WhiteSpace and LineTerminator, which `Number()` trims. Not
/// quite Unicode's White_Space that `str::trim` uses: U+FEFF is in, U+0085
/// is out. (Also the `\s` of its regular expressions, which mustache.js
/// parses templates with.)
pub fn is_js_white_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// An integer in base 2, 8 or 16 (`bits` bits a digit), of any length,
/// rounded half to even as JavaScript does.
fn from_binary_radix(digits: &[u8], bits: u32) -> f64 {
    if digits.is_empty() {
        return f64::NAN;
    }
    // The first 64 significant bits, how many bits came after them, and
    // whether any of those was set.
    let mut mantissa = 0_u64;
    let mut dropped_bits = 0_i32;
    let mut sticky = false;
    for &c in digits {
        let value = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return f64::NAN,
        };
        if u32::from(value) >> bits != 0 {
            return f64::NAN;
        }
        for bit in (0..bits).rev() {
            let bit = (value >> bit) & 1;
            if mantissa >> 63 == 0 {
                mantissa = mantissa << 1 | u64::from(bit);
            } else {
                dropped_bits = dropped_bits.saturating_add(1);
                sticky |= bit != 0;
            }
        }
    }
    // The conversion rounds half to even on the 64 bits; a set bit below
    // them all (11 places under the last one kept) breaks a tie the way the
    // dropped bits would.
    let rounded = (mantissa | u64::from(sticky)) as f64;
    if dropped_bits == 0 {
        return rounded;
    }
    // Scaling by a power of two only moves the exponent: `rounded` is at
    // least 2^63 here, far from the subnormals.
    let exponent = (rounded.to_bits() >> 52) + dropped_bits as u64;
    if exponent >= 0x7ff {
        f64::INFINITY
    } else {
        f64::from_bits(rounded.to_bits() + ((dropped_bits as u64) << 52))
    }
}

/// Enough digits for any value that lies halfway between two doubles (the
/// longest has 767 significant digits); digits beyond only tell whether the
/// value is above what was kept.
const MAX_DIGITS: usize = 768;
/// Digits a left shift may add in front: a shift by `s` adds at most
/// `s / 3 + 1` of them, so at most 21 for the largest shift.
const SHIFT_ROOM: usize = MAX_SHIFT as usize / 3 + 1;
/// The largest shift at once: ten times 2^60 still fits in a `u64`.
const MAX_SHIFT: u32 = 60;
/// Past this decimal exponent a value has under- or overflowed for sure.
const DECIMAL_POINT_RANGE: i32 = 2047;
/// The explicit bits of a double's mantissa.
const MANTISSA_BITS: u32 = 52;
/// The smallest binary exponent of a normal double, less one.
const MINIMUM_EXPONENT: i32 = -1023;
/// The biased exponent of infinity.
const INFINITE_POWER: i32 = 0x7ff;

/// A decimal number `0.d1 d2 d3 … × 10^decimal_point` with its digits (0
/// to 9 each) in a fixed buffer, for the simple decimal conversion.
struct Decimal {
    num_digits: usize,
    decimal_point: i32,
    /// Whether nonzero digits were dropped after the last one kept.
    truncated: bool,
    digits: [u8; MAX_DIGITS + SHIFT_ROOM],
}

impl Decimal {
    /// Reads JavaScript's StrUnsignedDecimalLiteral without `Infinity`:
    /// digits with an optional fraction (`5.`, `.5`, `5.5`) and exponent.
    fn parse(literal: &[u8]) -> Option<Self> {
        let mut decimal = Decimal {
            num_digits: 0,
            decimal_point: 0,
            truncated: false,
            digits: [0; MAX_DIGITS + SHIFT_ROOM],
        };
        let mut rest = literal;
        let mut any_digit = false;
        while let [c @ b'0'..=b'9', tail @ ..] = rest {
            any_digit = true;
            if decimal.push_digit(c - b'0') {
                decimal.decimal_point = decimal.decimal_point.saturating_add(1);
            }
            rest = tail;
        }
        if let [b'.', tail @ ..] = rest {
            rest = tail;
            while let [c @ b'0'..=b'9', tail @ ..] = rest {
                any_digit = true;
                if !decimal.push_digit(c - b'0') {
                    // A zero before the first significant digit.
                    decimal.decimal_point = decimal.decimal_point.saturating_sub(1);
                }
                rest = tail;
            }
        }
        if !any_digit {
            return None;
        }
        if let [b'e' | b'E', tail @ ..] = rest {
            let (negative, mut digits) = match tail {
                [b'-', digits @ ..] => (true, digits),
                [b'+', digits @ ..] => (false, digits),
                _ => (false, tail),
            };
            if digits.is_empty() {
                return None;
            }
            let mut exponent = 0_i32;
            while let [c @ b'0'..=b'9', tail @ ..] = digits {
                // Any exponent this large is out of range already.
                if exponent < 0x10000 {
                    exponent = exponent * 10 + i32::from(c - b'0');
                }
                digits = tail;
            }
            rest = digits;
            decimal.decimal_point = if negative {
                decimal.decimal_point.saturating_sub(exponent)
            } else {
                decimal.decimal_point.saturating_add(exponent)
            };
        }
        if !rest.is_empty() {
            return None;
        }
        decimal.trim();
        Some(decimal)
    }

    /// Adds a digit at the end, unless it is a leading zero; returns whether
    /// it counted. Digits past [`MAX_DIGITS`] are only remembered as
    /// `truncated`, and only when nonzero.
    fn push_digit(&mut self, digit: u8) -> bool {
        if self.num_digits == 0 && digit == 0 {
            return false;
        }
        match self.digits.get_mut(self.num_digits) {
            Some(slot) if self.num_digits < MAX_DIGITS => {
                *slot = digit;
                self.num_digits += 1;
            }
            _ => self.truncated |= digit != 0,
        }
        true
    }

    fn digit(&self, index: usize) -> u8 {
        self.digits.get(index).copied().unwrap_or(0)
    }

    /// Drops trailing zeros, which a decimal fraction does not need.
    fn trim(&mut self) {
        while self.num_digits > 0 && self.digit(self.num_digits - 1) == 0 {
            self.num_digits -= 1;
        }
    }

    /// The value as a double, correctly rounded.
    fn into_f64(mut self) -> f64 {
        if self.num_digits == 0 || self.decimal_point < -324 {
            return 0.0;
        }
        if self.decimal_point >= 310 {
            return f64::INFINITY;
        }
        // An integer of up to 19 digits converts directly, rounded half to
        // even by the conversion itself.
        if self.decimal_point <= 19
            && self.num_digits as i32 <= self.decimal_point
            && !self.truncated
        {
            let mut value = 0_u64;
            for index in 0..self.decimal_point as usize {
                value = value * 10 + u64::from(self.digit(index));
            }
            return value as f64;
        }
        let mut exponent = 0_i32;
        // Divide by powers of two until the value is below 1…
        while self.decimal_point > 0 {
            let shift = shift_for(self.decimal_point);
            self.right_shift(shift);
            if self.decimal_point < -DECIMAL_POINT_RANGE {
                return 0.0;
            }
            exponent += shift as i32;
        }
        // …and multiply until it is in [1/2, 1).
        while self.decimal_point <= 0 {
            let shift = if self.decimal_point == 0 {
                match self.digit(0) {
                    5.. => break,
                    0 | 1 => 2,
                    _ => 1,
                }
            } else {
                shift_for(-self.decimal_point)
            };
            self.left_shift(shift);
            if self.decimal_point > DECIMAL_POINT_RANGE {
                return f64::INFINITY;
            }
            exponent -= shift as i32;
        }
        // A double's mantissa is in [1, 2).
        exponent -= 1;
        // Subnormals: shift right until the exponent is the smallest.
        while MINIMUM_EXPONENT + 1 > exponent {
            let shift = ((MINIMUM_EXPONENT + 1 - exponent) as u32).min(MAX_SHIFT);
            self.right_shift(shift);
            exponent += shift as i32;
        }
        if exponent - MINIMUM_EXPONENT >= INFINITE_POWER {
            return f64::INFINITY;
        }
        // The 53 bits of the mantissa, rounded.
        self.left_shift(MANTISSA_BITS + 1);
        let mut mantissa = self.round();
        if mantissa >= 1_u64 << (MANTISSA_BITS + 1) {
            // Rounding carried into a new bit.
            self.right_shift(1);
            exponent += 1;
            mantissa = self.round();
            if exponent - MINIMUM_EXPONENT >= INFINITE_POWER {
                return f64::INFINITY;
            }
        }
        let mut biased_exponent = exponent - MINIMUM_EXPONENT;
        if mantissa < 1_u64 << MANTISSA_BITS {
            // Subnormal: no hidden bit.
            biased_exponent -= 1;
        }
        let mantissa = mantissa & ((1_u64 << MANTISSA_BITS) - 1);
        f64::from_bits(mantissa | (biased_exponent as u64) << MANTISSA_BITS)
    }

    /// The integer part, rounded half to even (or up when digits were
    /// dropped, which puts a tie above the half).
    fn round(&self) -> u64 {
        if self.num_digits == 0 || self.decimal_point < 0 {
            return 0;
        }
        if self.decimal_point > 18 {
            return u64::MAX;
        }
        let point = self.decimal_point as usize;
        let mut value = 0_u64;
        for index in 0..point {
            value = value * 10 + u64::from(self.digit(index));
        }
        let mut round_up = false;
        if point < self.num_digits {
            let next = self.digit(point);
            round_up = next >= 5;
            if next == 5 && point + 1 == self.num_digits {
                round_up = self.truncated || (point > 0 && value & 1 == 1);
            }
        }
        value + u64::from(round_up)
    }

    /// Multiplies by `2^shift`, `shift` at most [`MAX_SHIFT`].
    fn left_shift(&mut self, shift: u32) {
        if self.num_digits == 0 {
            return;
        }
        // Write the product from its last digit back, leaving room for the
        // most new digits there can be, then move it to the front.
        let end = self.num_digits + SHIFT_ROOM;
        let mut read = self.num_digits;
        let mut write = end;
        let mut carry = 0_u64;
        while read > 0 || carry > 0 {
            if read > 0 {
                read -= 1;
                carry += u64::from(self.digit(read)) << shift;
            }
            write -= 1;
            let quotient = carry / 10;
            if let Some(slot) = self.digits.get_mut(write) {
                *slot = (carry - 10 * quotient) as u8;
            }
            carry = quotient;
        }
        self.digits.copy_within(write..end, 0);
        self.decimal_point += (SHIFT_ROOM - write) as i32;
        let mut len = end - write;
        if len > MAX_DIGITS {
            let dropped = self.digits.get(MAX_DIGITS..len).unwrap_or(&[]);
            self.truncated |= dropped.iter().any(|digit| *digit != 0);
            len = MAX_DIGITS;
        }
        self.num_digits = len;
        self.trim();
    }

    /// Divides by `2^shift`, `shift` at most [`MAX_SHIFT`].
    fn right_shift(&mut self, shift: u32) {
        let mut read = 0;
        let mut write = 0;
        let mut remainder = 0_u64;
        // Read digits until the first digit of the quotient is known.
        while remainder >> shift == 0 {
            if read < self.num_digits {
                remainder = 10 * remainder + u64::from(self.digit(read));
            } else if remainder == 0 {
                return;
            } else {
                remainder *= 10;
            }
            read += 1;
        }
        self.decimal_point -= read as i32 - 1;
        if self.decimal_point < -DECIMAL_POINT_RANGE {
            self.num_digits = 0;
            self.decimal_point = 0;
            self.truncated = false;
            return;
        }
        let mask = (1_u64 << shift) - 1;
        while read < self.num_digits {
            let digit = (remainder >> shift) as u8;
            remainder = 10 * (remainder & mask) + u64::from(self.digit(read));
            read += 1;
            if let Some(slot) = self.digits.get_mut(write) {
                *slot = digit;
            }
            write += 1;
        }
        while remainder > 0 {
            let digit = (remainder >> shift) as u8;
            remainder = 10 * (remainder & mask);
            match self.digits.get_mut(write) {
                Some(slot) if write < MAX_DIGITS => {
                    *slot = digit;
                    write += 1;
                }
                _ => self.truncated |= digit != 0,
            }
        }
        self.num_digits = write;
        self.trim();
    }
}

/// How far to shift a decimal whose point is `decimal_point` places from
/// where it should be: about that many powers of ten, in powers of two.
fn shift_for(decimal_point: i32) -> u32 {
    const POWERS: [u8; 19] = [
        0, 3, 6, 9, 13, 16, 19, 23, 26, 29, 33, 36, 39, 43, 46, 49, 53, 56, 59,
    ];
    usize::try_from(decimal_point)
        .ok()
        .and_then(|index| POWERS.get(index))
        .map_or(MAX_SHIFT, |shift| u32::from(*shift))
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::String;
    use std::vec::Vec;
    use std::{format, vec};

    use super::super::Random;
    use super::{float_from_str, number_from_str};

    /// Compares bits, so that -0 differs from 0, and any NaN equals NaN.
    fn check(input: &str, expect: f64) {
        let got = number_from_str(input);
        let same = if expect.is_nan() {
            got.is_nan()
        } else {
            got.to_bits() == expect.to_bits()
        };
        assert!(same, "Number({input:?}) gave {got:e}, not {expect:e}");
    }

    /// Decimal literals must agree with Rust's own parser, which rounds
    /// correctly too (and takes the same syntax for them).
    fn check_against_core(input: &str) {
        let expect: f64 = input.parse().expect("a decimal literal");
        check(input, expect);
    }

    /// `parseFloat` reads the longest decimal literal at the start.
    #[test]
    fn javascript_parse_float_of_a_string() {
        for (input, expect) in [
            ("6 deg", 6.0),
            ("  -1.5e3x", -1500.0),
            ("1e", 1.0),
            ("1e+", 1.0),
            ("2.", 2.0),
            (".25.5", 0.25),
            ("0x10", 0.0),
            ("+Infinityx", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
            ("\u{feff}\n7", 7.0),
            ("007", 7.0),
        ] {
            assert_eq!(float_from_str(input), expect, "parseFloat({input:?})");
        }
        for input in ["", " ", ".", "-", "+.e1", "e5", "Inf", "abc", "--1"] {
            assert!(float_from_str(input).is_nan(), "parseFloat({input:?})");
        }
        assert!(float_from_str("-0").is_sign_negative());
    }

    #[test]
    fn javascript_number_of_a_string() {
        check("", 0.0);
        check(" \t\n ", 0.0);
        check(" 12 ", 12.0);
        check("\u{feff}\u{a0}\u{2028}7\u{3000}", 7.0);
        check("\u{85}7", f64::NAN);
        check("1e3", 1000.0);
        check("1E+3", 1000.0);
        check("25e-1", 2.5);
        check(".5", 0.5);
        check("5.", 5.0);
        check("+.5", 0.5);
        check("-5.", -5.0);
        check("007", 7.0);
        check("-0", -0.0);
        check("-0.0e7", -0.0);
        check("+0", 0.0);
        check("0x1f", 31.0);
        check("0X1F", 31.0);
        check("0o17", 15.0);
        check("0b101", 5.0);
        check("0xffffffffffffffff", 18446744073709551615.0);
        check("0x10000000000000000", 18446744073709551616.0);
        check("Infinity", f64::INFINITY);
        check("+Infinity", f64::INFINITY);
        check("-Infinity", f64::NEG_INFINITY);
        check("1e400", f64::INFINITY);
        check("-1e400", f64::NEG_INFINITY);
        check("1e-400", 0.0);
        check("-1e-400", -0.0);
        for not_a_number in [
            "1_000",
            "1,5",
            "abc",
            "+",
            "-",
            ".",
            "e5",
            "1e",
            "1e+",
            "5..",
            "1.2.3",
            "0x",
            "-0x10",
            "+0x10",
            "0x1g",
            "0o8",
            "0b2",
            "0x1.5",
            "infinity",
            "inf",
            "nan",
            "NaN",
            "Infinityx",
            "12px",
            "1 2",
            "--1",
            "+-1",
            "0xx1",
        ] {
            check(not_a_number, f64::NAN);
        }
    }

    #[test]
    fn hard_cases_round_correctly() {
        for input in [
            "0.1",
            "21.5",
            "1e23",
            "9007199254740993",
            "9007199254740993.0000000000000000000000000001",
            "18446744073709551615",
            "123456789012345678901234567890",
            "2.2250738585072011e-308",
            "2.2250738585072012e-308",
            "2.2250738585072014e-308",
            "4.9406564584124654e-324",
            "5e-324",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "1.7976931348623159e308",
            "8.98846567431158e307",
            "0.000000000000000000000000000000000000000000001",
            "179769313486231570000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        ] {
            check_against_core(input);
        }
        // Digits beyond what is kept still break a tie.
        let tie = "9007199254740993";
        let above = format!("{tie}.{}1", "0".repeat(900));
        check_against_core(&above);
        check_against_core(&format!("{tie}{}", "0".repeat(900)));
        check_against_core(&format!("0.{}{tie}", "0".repeat(300)));
    }

    #[test]
    fn random_decimal_literals_agree_with_core() {
        let mut random = Random(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let longest = if random.below(10) == 0 { 800 } else { 25 };
            let n_digits = 1 + random.below(longest);
            let mut digits: String = (0..n_digits)
                .map(|_| char::from(b'0' + random.below(10) as u8))
                .collect();
            if random.below(2) == 0 {
                let point = random.below(n_digits + 1) as usize;
                digits.insert(point, '.');
            }
            let exponent = random.below(700) as i64 - 350;
            let literal = match random.below(3) {
                0 => digits,
                _ => format!("{digits}e{exponent}"),
            };
            check_against_core(&literal);
        }
    }

    /// The exact decimal digits of `odd × 2^power`, as an integer and a
    /// power of ten.
    fn exact_decimal(odd: u64, power: i32) -> (Vec<u8>, i32) {
        let mut digits: Vec<u8> = format!("{odd}").bytes().map(|b| b - b'0').collect();
        let (factor, times, exponent) = if power >= 0 {
            (2, power, 0)
        } else {
            (5, -power, power)
        };
        for _ in 0..times {
            let mut carry = 0;
            for digit in digits.iter_mut().rev() {
                let product = *digit * factor + carry;
                *digit = product % 10;
                carry = product / 10;
            }
            while carry > 0 {
                digits.insert(0, carry % 10);
                carry /= 10;
            }
        }
        (digits, exponent)
    }

    fn literal(digits: &[u8], exponent: i32) -> String {
        let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        format!("{text}e{exponent}")
    }

    /// Values exactly halfway between two neighbouring doubles, and a hair
    /// above and below, where only exact arithmetic rounds right.
    #[test]
    fn halfway_values_round_to_even() {
        let mut random = Random(0x2545_f491_4f6c_dd1d);
        let mut cases = vec![0_u64, 1, 0x000f_ffff_ffff_ffff, 0x0010_0000_0000_0000];
        cases.push(f64::MAX.to_bits() - 1);
        cases.push(1.0_f64.to_bits());
        for _ in 0..600 {
            cases.push(random.next() & 0x7fef_ffff_ffff_ffff);
        }
        for bits in cases {
            let biased = (bits >> 52) as i32;
            let fraction = bits & 0x000f_ffff_ffff_ffff;
            let (mantissa, power) = if biased == 0 {
                (fraction, -1074)
            } else {
                (fraction | 1 << 52, biased - 1075)
            };
            let (digits, exponent) = exact_decimal(2 * mantissa + 1, power - 1);
            check_against_core(&literal(&digits, exponent));
            let mut above = digits.clone();
            above.extend([0, 0, 0, 1]);
            check_against_core(&literal(&above, exponent - 4));
            // One less in the last place, then nines.
            let mut below = digits;
            for digit in below.iter_mut().rev() {
                if *digit > 0 {
                    *digit -= 1;
                    break;
                }
                *digit = 9;
            }
            below.extend([9, 9, 9, 9]);
            check_against_core(&literal(&below, exponent - 4));
        }
    }

    #[test]
    fn prefixed_integers_round_half_to_even() {
        // 2^53 + 1 is a tie between 2^53 and 2^53 + 2: even wins.
        check("0x20000000000001", 9007199254740992.0);
        check("0x20000000000003", 9007199254740996.0);
        // A set bit far below breaks the tie upwards.
        check(
            "0x200000000000010000000000000001",
            2.0_f64.powi(117) + 2.0_f64.powi(65),
        );
        check(&format!("0b1{}", "0".repeat(1100)), f64::INFINITY);
        check(&format!("0x1{}", "0".repeat(255)), 2.0_f64.powi(1020));
    }

    /// `parseFloat` as Node.js answers it, input by input.
    #[test]
    fn parse_float_reads_the_longest_number_at_the_start() {
        #[rustfmt::skip]
        let cases: [(&str, f64); 16] = [
            ("250", 250.0), ("250ms", 250.0), ("  -2.5e2x", -250.0), ("+.5", 0.5),
            ("5.", 5.0), ("1e", 1.0), ("1e+", 1.0), ("0x10", 0.0),
            ("Infinityx", f64::INFINITY), ("-Infinity", f64::NEG_INFINITY),
            ("", f64::NAN), ("  ", f64::NAN), ("ms", f64::NAN), (".", f64::NAN),
            ("-", f64::NAN), ("\u{a0}7", 7.0),
        ];
        for (input, expect) in cases {
            let got = super::parse_float(input);
            assert!(
                got == expect || (got.is_nan() && expect.is_nan()),
                "parseFloat({input:?}) is {expect}, not {got}"
            );
        }
    }
}
