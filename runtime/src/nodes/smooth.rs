//! `smooth` (the `node-red-node-smooth` package): the mean, standard
//! deviation, maximum or minimum of the last `count` numbers, or a low- or
//! high-pass filter, kept for all messages or for each topic. Each topic's
//! window is a fixed ring of `WINDOW` numbers, and at most `TOPICS` topics
//! are kept; both are fixed at build time.

use core::fmt::Write;

use crate::msg::PathSegment;
use crate::{Device, ErrorKind, Msg, Node, NodeInfo, Outputs, ValueRef};

/// What the node computes (`action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmoothAction {
    Mean,
    /// The sample standard deviation.
    Sd,
    Max,
    Min,
    /// `old + (n - old) / count`.
    Low,
    /// `n` less the low pass.
    High,
}

/// A smooth node's configuration, as psosc read it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SmoothSettings {
    pub action: SmoothAction,
    /// The window (`Mean` to `Min`, a whole number up to `WINDOW`) or the
    /// divisor of the filters.
    pub count: f64,
    /// `Math.round(value * 10^k) / 10^k` with `10^k` given; none to keep
    /// the value as it is.
    pub round: Option<f64>,
    /// Send only every `count`-th result (not for the filters).
    pub reduce: bool,
    /// Keep a window for each `msg.topic` (`mult` `multi`).
    pub by_topic: bool,
    pub path: &'static [PathSegment<'static>],
}

/// The longest topic a node keeps apart, in bytes.
pub const SMOOTH_TOPIC_BYTES: usize = 64;

/// The topic Node-RED files messages without one under.
const DEFAULT_TOPIC: &str = "_my_default_topic";

/// One topic's state, as Node-RED's `v[top]`.
#[derive(Clone, Copy)]
struct Slot<const WINDOW: usize> {
    in_use: bool,
    topic: [u8; SMOOTH_TOPIC_BYTES],
    topic_len: usize,
    values: [f64; WINDOW],
    len: usize,
    /// Where the oldest value is.
    first: usize,
    total: f64,
    total_of_squares: f64,
    /// The value last pushed out of the window.
    popped: f64,
    old: Option<f64>,
    iterations: f64,
}

impl<const WINDOW: usize> Slot<WINDOW> {
    const EMPTY: Self = Self {
        in_use: false,
        topic: [0; SMOOTH_TOPIC_BYTES],
        topic_len: 0,
        values: [0.0; WINDOW],
        len: 0,
        first: 0,
        total: 0.0,
        total_of_squares: 0.0,
        popped: 0.0,
        old: None,
        iterations: 0.0,
    };

    fn topic(&self) -> &[u8] {
        self.topic.get(..self.topic_len).unwrap_or_default()
    }

    /// The values, oldest first, in a ring of `capacity`.
    fn values(&self, capacity: usize) -> impl Iterator<Item = f64> + '_ {
        (0..self.len)
            .filter_map(move |index| self.values.get((self.first + index) % capacity).copied())
    }

    /// Pushes a value into the ring of `capacity`, pushing the oldest out
    /// once it is full.
    fn push(&mut self, n: f64, capacity: usize) {
        if self.len < capacity {
            if let Some(slot) = self.values.get_mut((self.first + self.len) % capacity) {
                *slot = n;
            }
            self.len += 1;
        } else if let Some(slot) = self.values.get_mut(self.first) {
            self.popped = *slot;
            *slot = n;
            self.first = (self.first + 1) % capacity;
        }
    }
}

pub struct Smooth<const TOPICS: usize, const WINDOW: usize> {
    pub info: NodeInfo,
    settings: SmoothSettings,
    slots: [Slot<WINDOW>; TOPICS],
}

impl<const TOPICS: usize, const WINDOW: usize> Smooth<TOPICS, WINDOW> {
    pub const fn new(info: NodeInfo, settings: SmoothSettings) -> Self {
        Self {
            info,
            settings,
            slots: [Slot::EMPTY; TOPICS],
        }
    }

    /// The slot of a message's topic, taken (or started again on `reset`);
    /// `Err` with the error to count when it has none.
    fn slot<const N: usize>(&mut self, msg: &Msg<N>) -> Result<&mut Slot<WINDOW>, ErrorKind> {
        let mut key = [0u8; SMOOTH_TOPIC_BYTES];
        let mut writer = crate::text::SliceWriter::new(&mut key);
        if self.settings.by_topic {
            // `msg.topic || "_my_default_topic"`, filed by its text.
            let written = match msg.topic() {
                None | Some(ValueRef::Null | ValueRef::Bool(false)) => {
                    writer.write_str(DEFAULT_TOPIC)
                }
                Some(ValueRef::Str("")) => writer.write_str(DEFAULT_TOPIC),
                Some(ValueRef::Number(n)) if n == 0.0 || n.is_nan() => {
                    writer.write_str(DEFAULT_TOPIC)
                }
                Some(topic @ (ValueRef::Str(_) | ValueRef::Number(_) | ValueRef::Bool(true))) => {
                    write!(writer, "{topic}")
                }
                Some(_) => return Err(ErrorKind::BadValue),
            };
            written.map_err(|_| ErrorKind::Oversize)?;
        }
        let topic = writer.written();
        let reset = msg.property("reset").is_some();
        let found = self
            .slots
            .iter()
            .position(|slot| slot.in_use && slot.topic() == topic);
        let index = match found {
            Some(index) => index,
            None => self
                .slots
                .iter()
                .position(|slot| !slot.in_use)
                .ok_or(ErrorKind::QueueFull)?,
        };
        let slot = self.slots.get_mut(index).ok_or(ErrorKind::QueueFull)?;
        if found.is_none() || reset {
            *slot = Slot::EMPTY;
            slot.in_use = true;
            if let Some(stored) = slot.topic.get_mut(..topic.len()) {
                stored.copy_from_slice(topic);
            }
            slot.topic_len = topic.len();
        }
        Ok(slot)
    }

    pub fn input<const N: usize, O: Outputs<N>>(
        &mut self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        let settings = self.settings;
        let slot = match self.slot(msg) {
            Ok(slot) => slot,
            Err(kind) => {
                device.report(kind);
                return;
            }
        };
        // A message without the property is ignored.
        let Some(value) = msg.get(settings.path) else {
            return;
        };
        let n = value.to_number();
        if n.is_nan() {
            self.info.log(device, format_args!("Not a number: {value}"));
            return;
        }
        slot.iterations += 1.0;
        let mut reduce = settings.reduce;
        let count = settings.count;
        let mut result = match settings.action {
            SmoothAction::Low | SmoothAction::High => {
                let old = slot.old.unwrap_or(n);
                let old = old + (n - old) / count;
                slot.old = Some(old);
                reduce = false;
                if settings.action == SmoothAction::Low {
                    old
                } else {
                    n - old
                }
            }
            action => {
                // The window: `count`, which psosc keeps within `WINDOW`.
                let capacity = (count as usize).clamp(1, WINDOW.max(1));
                slot.push(n, capacity);
                let len = slot.len as f64;
                match action {
                    SmoothAction::Max => slot.values(capacity).fold(f64::NEG_INFINITY, js_max),
                    SmoothAction::Min => slot
                        .values(capacity)
                        .fold(f64::INFINITY, |a, b| -js_max(-a, -b)),
                    SmoothAction::Mean => {
                        slot.total = slot.total + n - slot.popped;
                        slot.total / len
                    }
                    _ => {
                        slot.total = slot.total + n - slot.popped;
                        slot.total_of_squares =
                            slot.total_of_squares + (n * n) - (slot.popped * slot.popped);
                        if slot.len > 1 {
                            sqrt(
                                (len * slot.total_of_squares - slot.total * slot.total)
                                    / (len * (len - 1.0)),
                            )
                        } else {
                            0.0
                        }
                    }
                }
            }
        };
        if let Some(scale) = settings.round {
            result = super::range::round(result * scale) / scale;
        }
        if !reduce || slot.iterations == count {
            slot.iterations = 0.0;
            if device
                .check(msg.set(settings.path, &result), ErrorKind::Oversize)
                .is_some()
            {
                out.send(0, msg);
            }
        }
    }
}

impl<const N: usize, const TOPICS: usize, const WINDOW: usize> Node<N> for Smooth<TOPICS, WINDOW> {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        Smooth::input(self, device, msg, out);
    }
}

/// `Math.max` of two numbers that are not NaN: +0 above -0.
fn js_max(a: f64, b: f64) -> f64 {
    if a > b || (a == b && b.is_sign_negative()) {
        a
    } else {
        b
    }
}

/// `Math.sqrt`, correctly rounded as IEEE 754 asks, which `core` lacks: the
/// integer square root of the significand, shifted to hold 53 bits, then
/// rounded to nearest by its remainder (a square root is never a tie).
pub fn sqrt(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 || x.is_infinite() {
        return x;
    }
    let bits = x.to_bits();
    let mut exponent = ((bits >> 52) & 0x7ff) as i64;
    let mut significand = bits & ((1 << 52) - 1);
    if exponent == 0 {
        // Subnormal: normalised, so the leading bit is bit 52.
        let shift = i64::from(significand.leading_zeros()) - 11;
        significand <<= shift;
        exponent = 1 - shift;
    } else {
        significand |= 1 << 52;
    }
    // x = significand * 2^(exponent - 1075), with an even power of two.
    let mut power = exponent - 1075;
    if power & 1 != 0 {
        significand <<= 1;
        power -= 1;
    }
    // sqrt(x) = sqrt(significand * 2^52) * 2^((power - 52) / 2), and the
    // root of significand * 2^52 (between 2^104 and 2^106) has 53 bits.
    let (mut root, remainder) = integer_sqrt(u128::from(significand) << 52);
    if remainder > root {
        root += 1;
    }
    let mut power = (power - 52) / 2;
    if root >> 53 != 0 {
        root >>= 1;
        power += 1;
    }
    // root * 2^power, root in [2^52, 2^53): a normal number.
    let biased = (power + 52 + 1023) as u64;
    f64::from_bits((biased << 52) | (root as u64 & ((1 << 52) - 1)))
}

/// The floor of the square root of `n`, and `n` less its square.
fn integer_sqrt(n: u128) -> (u128, u128) {
    let mut remainder = n;
    let mut root = 0u128;
    let mut bit = 1u128 << 126;
    while bit > n {
        bit >>= 2;
    }
    while bit != 0 {
        if remainder >= root + bit {
            remainder -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    (root, remainder)
}

#[cfg(all(test, feature = "std"))]
mod tests {
    extern crate std;

    #[test]
    fn square_roots_are_ieees() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let specials = [
            1.0,
            2.0,
            4.0,
            0.25,
            1e-310,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            1e300,
            3.0,
        ];
        for x in specials
            .into_iter()
            .chain((0..200_000).map(|_| f64::from_bits(next() >> 1)))
        {
            if x.is_finite() {
                assert_eq!(super::sqrt(x).to_bits(), x.sqrt().to_bits(), "{x:e}");
            }
        }
        assert!(super::sqrt(-1.0).is_nan());
        assert_eq!(super::sqrt(f64::INFINITY), f64::INFINITY);
    }
}
