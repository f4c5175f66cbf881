//! JavaScript's `Number.prototype.toString()`: the shortest digits that read
//! back as the same number (the closest of them to it when several are as
//! short, the even one on a tie), in JavaScript's choice of notation.
//!
//! The digits come from Steele and White's free-format algorithm as Burger
//! and Dybvig give it ("Printing Floating-Point Numbers Quickly and
//! Accurately", 1996), on exact integers of up to 1280 bits. It needs no
//! tables and no floating-point arithmetic, so a device pays a few hundred
//! bytes of flash for it where a table-driven algorithm (Ryū) costs several
//! kilobytes. It is slower for numbers with large exponents, which a device
//! prints rarely; for everyday numbers the integers have two or three words.

use core::cmp::Ordering;
use core::fmt::{self, Write};

/// Writes a number as JavaScript's `String(n)` does.
pub(crate) fn write_number<W: Write + ?Sized>(n: f64, out: &mut W) -> fmt::Result {
    if n.is_nan() {
        return out.write_str("NaN");
    }
    let bits = n.to_bits();
    let magnitude = bits & !(1 << 63);
    // Both zeros print as 0.
    if magnitude == 0 {
        return out.write_str("0");
    }
    if bits != magnitude {
        out.write_str("-")?;
    }
    if n.is_infinite() {
        return out.write_str("Infinity");
    }
    let digits = Digits::shortest(magnitude);
    let mut text = Text {
        bytes: [0; TEXT_LEN],
        len: 0,
    };
    digits.write_javascript(&mut text);
    out.write_str(core::str::from_utf8(text.as_bytes()).map_err(|_| fmt::Error)?)
}

/// The most significant digits a double needs to read back as itself.
const MAX_DIGITS: usize = 17;

/// The decimal digits `0.d1 d2 … × 10^point` of a positive number.
struct Digits {
    digits: [u8; MAX_DIGITS],
    len: usize,
    point: i32,
}

impl Digits {
    /// The shortest digits of the positive, finite double with these bits.
    fn shortest(bits: u64) -> Self {
        let biased = (bits >> 52) as i32;
        let fraction = bits & ((1 << 52) - 1);
        // The number is mantissa × 2^exponent, with a 53-bit mantissa for
        // normal numbers.
        let (mantissa, exponent) = if biased == 0 {
            (fraction, -1074)
        } else {
            (fraction | 1 << 52, biased - 1075)
        };
        // A number reads back from anywhere strictly between the halfway
        // points to its neighbours, and from those points too when its
        // mantissa is even (reading rounds half to even). Everything is
        // scaled by `scale` so that the value (`remainder`) and the
        // distances to the halfway points (`below`, `above`) are integers;
        // the gap below is half the gap above at a power of two, where the
        // exponent steps.
        let even = mantissa & 1 == 0;
        let uneven_gaps = fraction == 0 && biased > 1;
        let mut remainder = Big::from_u64(mantissa);
        let mut scale = Big::from_u64(1);
        let mut below = Big::from_u64(1);
        let extra = if uneven_gaps { 2 } else { 1 };
        remainder.shift_left(extra);
        scale.shift_left(extra);
        if exponent >= 0 {
            let exponent = exponent as u32;
            remainder.shift_left(exponent);
            below.shift_left(exponent);
        } else {
            scale.shift_left(exponent.unsigned_abs());
        }
        let mut above = below.clone();
        if uneven_gaps {
            above.shift_left(1);
        }

        // Bring the value under 1 and the shortest digits right after the
        // point: start from an estimate of the decimal exponent that is
        // never too high and raise it while the upper halfway point is at
        // least 1.
        let binary_exponent = exponent + 63 - mantissa.leading_zeros() as i32;
        // 78913 / 2^18 is a little under log10(2), and floor rounds down.
        let mut point = (binary_exponent * 78913) >> 18;
        if point >= 0 {
            scale.mul_pow10(point.unsigned_abs());
        } else {
            let power = point.unsigned_abs();
            remainder.mul_pow10(power);
            below.mul_pow10(power);
            above.mul_pow10(power);
        }
        while reaches(&remainder, &above, &scale, even) {
            scale.mul_small(10);
            point += 1;
        }

        let mut digits = Digits {
            digits: [0; MAX_DIGITS],
            len: 0,
            point,
        };
        loop {
            remainder.mul_small(10);
            below.mul_small(10);
            above.mul_small(10);
            let mut digit = 0_u8;
            while remainder.cmp(&scale) != Ordering::Less {
                remainder.sub_assign(&scale);
                digit += 1;
            }
            // Whether stopping here with `digit` keeps above the lower
            // halfway point, and with `digit + 1` below the upper one.
            let low_ok = match remainder.cmp(&below) {
                Ordering::Less => true,
                Ordering::Equal => even,
                Ordering::Greater => false,
            };
            let high_ok = reaches(&remainder, &above, &scale, even);
            let last = match (low_ok, high_ok) {
                (false, false) => {
                    digits.push(digit);
                    continue;
                }
                (true, false) => digit,
                (false, true) => digit + 1,
                // Both read back: the closer one, the even one on a tie.
                (true, true) => {
                    let mut twice = remainder.clone();
                    twice.shift_left(1);
                    match twice.cmp(&scale) {
                        Ordering::Less => digit,
                        Ordering::Greater => digit + 1,
                        Ordering::Equal => digit + (digit & 1),
                    }
                }
            };
            digits.push(last);
            return digits;
        }
    }

    fn push(&mut self, digit: u8) {
        if let Some(slot) = self.digits.get_mut(self.len) {
            *slot = digit;
            self.len += 1;
        }
    }

    fn digit_chars(&self, range: core::ops::Range<usize>) -> impl Iterator<Item = u8> + '_ {
        self.digits
            .get(range)
            .unwrap_or(&[])
            .iter()
            .map(|digit| b'0' + digit)
    }

    /// JavaScript's Number::toString: plain notation for decimal exponents
    /// from -6 to 21, exponential notation beyond.
    fn write_javascript(&self, text: &mut Text) {
        let len = self.len;
        let point = self.point;
        if (1..=21).contains(&point) {
            let point = point as usize;
            if len <= point {
                text.extend(self.digit_chars(0..len));
                text.extend((len..point).map(|_| b'0'));
            } else {
                text.extend(self.digit_chars(0..point));
                text.push(b'.');
                text.extend(self.digit_chars(point..len));
            }
        } else if (-5..=0).contains(&point) {
            text.extend(*b"0.");
            text.extend((point..0).map(|_| b'0'));
            text.extend(self.digit_chars(0..len));
        } else {
            text.extend(self.digit_chars(0..1));
            if len > 1 {
                text.push(b'.');
                text.extend(self.digit_chars(1..len));
            }
            let exponent = point - 1;
            text.extend(*if exponent < 0 { b"e-" } else { b"e+" });
            let exponent = exponent.unsigned_abs();
            for power in [100, 10, 1] {
                if exponent >= power || power == 1 {
                    text.push(b'0' + (exponent / power % 10) as u8);
                }
            }
        }
    }
}

/// Whether `remainder + above` reaches `scale`: whether the upper halfway
/// point is at least 1 (strictly above it when the mantissa is odd).
fn reaches(remainder: &Big, above: &Big, scale: &Big, even: bool) -> bool {
    let mut sum = remainder.clone();
    sum.add_assign(above);
    match sum.cmp(scale) {
        Ordering::Less => false,
        Ordering::Equal => even,
        Ordering::Greater => true,
    }
}

/// The longest text: a sign, then "0.000001" and 17 digits.
const TEXT_LEN: usize = 32;

/// The printed number, built in place before it is written at once.
struct Text {
    bytes: [u8; TEXT_LEN],
    len: usize,
}

impl Text {
    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
    }

    fn extend(&mut self, bytes: impl IntoIterator<Item = u8>) {
        for byte in bytes {
            self.push(byte);
        }
    }

    fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

/// Limbs of a [`Big`]: 1280 bits, where the largest number here (ten times
/// 2^1076) needs 1080.
const LIMBS: usize = 40;

/// A nonnegative integer in 32-bit limbs, least significant first; limbs
/// from `len` on are zero.
#[derive(Clone)]
struct Big {
    limbs: [u32; LIMBS],
    len: usize,
}

impl Big {
    fn from_u64(value: u64) -> Self {
        let mut limbs = [0; LIMBS];
        let [low, high, ..] = &mut limbs;
        *low = value as u32;
        *high = (value >> 32) as u32;
        let mut big = Big { limbs, len: 2 };
        big.trim();
        big
    }

    fn trim(&mut self) {
        while self.len > 0 && self.limb(self.len - 1) == 0 {
            self.len -= 1;
        }
    }

    fn limb(&self, index: usize) -> u32 {
        self.limbs.get(index).copied().unwrap_or(0)
    }

    /// Adds a carry out of the top limb as a new limb.
    fn push_carry(&mut self, carry: u32) {
        if carry != 0 {
            if let Some(slot) = self.limbs.get_mut(self.len) {
                *slot = carry;
                self.len += 1;
            }
        }
    }

    fn mul_small(&mut self, factor: u32) {
        let mut carry = 0_u64;
        for limb in self.limbs.iter_mut().take(self.len) {
            let product = u64::from(*limb) * u64::from(factor) + carry;
            *limb = product as u32;
            carry = product >> 32;
        }
        self.push_carry(carry as u32);
    }

    fn mul_pow10(&mut self, mut power: u32) {
        while power >= 9 {
            self.mul_small(1_000_000_000);
            power -= 9;
        }
        self.mul_small(10_u32.pow(power));
    }

    fn shift_left(&mut self, bits: u32) {
        let words = (bits / 32) as usize;
        let bits = bits % 32;
        if self.len == 0 {
            return;
        }
        if words > 0 {
            let len = (self.len + words).min(LIMBS);
            self.limbs.copy_within(0..len - words, words);
            self.limbs.iter_mut().take(words).for_each(|limb| *limb = 0);
            self.len = len;
        }
        if bits > 0 {
            let mut carry = 0_u32;
            for limb in self.limbs.iter_mut().take(self.len).skip(words) {
                let shifted = *limb << bits | carry;
                carry = *limb >> (32 - bits);
                *limb = shifted;
            }
            self.push_carry(carry);
        }
    }

    fn add_assign(&mut self, other: &Big) {
        let len = self.len.max(other.len);
        let mut carry = false;
        for (index, limb) in self.limbs.iter_mut().enumerate().take(len) {
            let (sum, overflow_1) = limb.overflowing_add(other.limb(index));
            let (sum, overflow_2) = sum.overflowing_add(u32::from(carry));
            *limb = sum;
            carry = overflow_1 || overflow_2;
        }
        self.len = len;
        self.push_carry(u32::from(carry));
    }

    /// Subtracts a number no larger than this one.
    fn sub_assign(&mut self, other: &Big) {
        let mut borrow = false;
        for (index, limb) in self.limbs.iter_mut().enumerate().take(self.len) {
            let (difference, borrow_1) = limb.overflowing_sub(other.limb(index));
            let (difference, borrow_2) = difference.overflowing_sub(u32::from(borrow));
            *limb = difference;
            borrow = borrow_1 || borrow_2;
        }
        self.trim();
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.len.cmp(&other.len).then_with(|| {
            (0..self.len)
                .rev()
                .map(|index| self.limb(index).cmp(&other.limb(index)))
                .find(|order| order.is_ne())
                .unwrap_or(Ordering::Equal)
        })
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::String;

    use super::super::Random;
    use super::write_number;

    fn printed(n: f64) -> String {
        let mut out = String::new();
        write_number(n, &mut out).expect("writes");
        out
    }

    fn check(n: f64, expect: &str) {
        assert_eq!(printed(n), expect, "{n:e}");
    }

    #[test]
    fn numbers_print_as_javascript_does() {
        check(0.0, "0");
        check(-0.0, "0");
        check(f64::NAN, "NaN");
        check(f64::INFINITY, "Infinity");
        check(f64::NEG_INFINITY, "-Infinity");
        check(1.0, "1");
        check(-1.5, "-1.5");
        check(21.5, "21.5");
        check(0.1, "0.1");
        check(0.1 + 0.2, "0.30000000000000004");
        check(100.0, "100");
        check(123456789012.0, "123456789012");
        check(1e21, "1e+21");
        check(999999999999999900000.0, "999999999999999900000");
        check(1.5e-7, "1.5e-7");
        check(0.000001, "0.000001");
        check(0.0000012345, "0.0000012345");
        check(1e-7, "1e-7");
        check(5e-324, "5e-324");
        check(-5e-324, "-5e-324");
        check(f64::MAX, "1.7976931348623157e+308");
        check(f64::MIN_POSITIVE, "2.2250738585072014e-308");
        check(2.0_f64.powi(-1022) - 5e-324, "2.225073858507201e-308");
        check(9007199254740993.0, "9007199254740992");
        check(1e23, "1e+23");
        check(2.0_f64.powi(100), "1.2676506002282294e+30");
    }

    /// Ryū as ryu-js adapts it to JavaScript is the reference: random bit
    /// patterns cover every exponent, powers of two the uneven gaps, and
    /// short decimals the ties between candidates.
    #[test]
    fn agrees_with_ryu_js() {
        let mut random = Random(0x9e37_79b9_7f4a_7c15);
        let mut reference = ryu_js::Buffer::new();
        let mut agree = |n: f64| assert_eq!(printed(n), reference.format(n), "{n:e}");
        for _ in 0..30_000 {
            agree(f64::from_bits(random.next()));
        }
        for exponent in 0..2047_u64 {
            let power = f64::from_bits(exponent << 52);
            agree(power);
            agree(f64::from_bits(power.to_bits() + 1));
            agree(f64::from_bits(power.to_bits().saturating_sub(1)));
        }
        for n in 0..10_000_u32 {
            agree(f64::from(n) / 1000.0);
            agree(f64::from(n) * 1e-9);
            agree(f64::from(n) * 1.1e17);
        }
    }
}
