//! `range`: maps a number from one interval onto another, as Node-RED's
//! node does, operation for operation, so that every result is the same
//! `f64` that JavaScript computes.

use crate::msg::PathSegment;
use crate::{Device, ErrorKind, Msg, Node, NodeInfo, Outputs};

/// What happens to a number outside the input interval (Node-RED's
/// `action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeAction {
    /// Scaled as it is, outside the output interval too.
    Scale,
    /// Held at the nearer end of the input interval first.
    Clamp,
    /// Wrapped around the input interval first, as an angle is.
    Roll,
    /// The message is dropped.
    Drop,
}

/// The two ends of an interval, as the flow writes them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub min: f64,
    pub max: f64,
}

pub struct Range {
    pub info: NodeInfo,
    path: &'static [PathSegment<'static>],
    action: RangeAction,
    /// Results are rounded to the nearest whole number.
    round: bool,
    input: Interval,
    output: Interval,
}

impl Range {
    /// Takes the configuration as the flow writes it and settles it as
    /// Node-RED does when the node starts: an input interval written
    /// backwards turns both intervals around, and with `round` the output
    /// interval shrinks to the whole numbers inside it.
    pub const fn new(
        info: NodeInfo,
        path: &'static [PathSegment<'static>],
        action: RangeAction,
        round: bool,
        input: Interval,
        output: Interval,
    ) -> Self {
        let (input, output) = if input.min > input.max {
            (
                Interval {
                    min: input.max,
                    max: input.min,
                },
                Interval {
                    min: output.max,
                    max: output.min,
                },
            )
        } else {
            (input, output)
        };
        let output = if round {
            Interval {
                min: ceil(output.min),
                max: floor(output.max),
            }
        } else {
            output
        };
        Self {
            info,
            path,
            action,
            round,
            input,
            output,
        }
    }

    /// The number a value becomes, or `None` when the message is dropped.
    /// The arithmetic is Node-RED's, in its order.
    pub fn map(&self, mut n: f64) -> Option<f64> {
        let Interval {
            min: min_in,
            max: max_in,
        } = self.input;
        match self.action {
            RangeAction::Scale => {}
            RangeAction::Drop => {
                if n < min_in || n > max_in {
                    return None;
                }
            }
            RangeAction::Clamp => {
                if n < min_in {
                    n = min_in;
                }
                if n > max_in {
                    n = max_in;
                }
            }
            RangeAction::Roll => {
                // JavaScript's `%` keeps the sign of the dividend, as Rust's
                // does: adding the divisor and taking the rest again wraps
                // numbers below the interval into it.
                let divisor = max_in - min_in;
                n = ((n - min_in) % divisor + divisor) % divisor + min_in;
            }
        }
        let value = ((n - min_in) / (max_in - min_in) * (self.output.max - self.output.min))
            + self.output.min;
        Some(if self.round { round(value) } else { value })
    }
}

/// Built-in nodes keep no state: their configuration is a constant the
/// compiler emits, so a device holds them in immutable statics and the
/// optimiser sees through them.
impl Range {
    pub fn input<const N: usize, O: Outputs<N>>(
        &self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut O,
    ) {
        // A message without the property passes on untouched.
        let Some(value) = msg.get(self.path) else {
            out.send(0, msg);
            return;
        };
        let n = value.to_number();
        if n.is_nan() {
            // Node-RED logs what it cannot read and drops the message,
            // without an error a catch node would see.
            self.info.log(device, format_args!("Not a number: {value}"));
            return;
        }
        let Some(result) = self.map(n) else {
            return;
        };
        // The property exists, so only room can be lacking.
        if device
            .check(msg.set(self.path, &result), ErrorKind::Oversize)
            .is_some()
        {
            out.send(0, msg);
        }
    }
}

impl<const N: usize> Node<N> for Range {
    fn input<O: Outputs<N>>(&mut self, device: &Device, msg: &mut Msg<N>, out: &mut O) {
        Range::input(self, device, msg, out);
    }
}

/// Every `f64` this large or larger is a whole number already.
const WHOLE: f64 = 4_503_599_627_370_496.0; // 2^52

/// `Math.floor`, which `core` lacks without the standard library.
pub(crate) const fn floor(x: f64) -> f64 {
    // NaN, the infinities, zeros of either sign and large numbers stay.
    if !(x > -WHOLE && x < WHOLE) || x == 0.0 {
        return x;
    }
    let truncated = x as i64 as f64;
    if truncated > x {
        truncated - 1.0
    } else {
        truncated
    }
}

/// `Math.ceil`.
const fn ceil(x: f64) -> f64 {
    -floor(-x)
}

/// `Math.round`: the nearest whole number, halves towards +∞, and the sign
/// of a zero kept (`Math.round(-0.2)` is -0). `x - floor(x)` is exact for
/// every `x`, so the comparison with one half is too.
pub(crate) fn round(x: f64) -> f64 {
    let below = floor(x);
    let rounded = if x - below >= 0.5 { below + 1.0 } else { below };
    if rounded == 0.0 && x.is_sign_negative() {
        -0.0
    } else {
        rounded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_follows_javascript() {
        for (x, expect) in [
            (2.5, 3.0),
            (-2.5, -2.0),
            (-2.6, -3.0),
            (0.49999999999999994, 0.0),
            (-0.5, -0.0),
            (1e300, 1e300),
            (4503599627370495.5, 4503599627370496.0),
            (f64::INFINITY, f64::INFINITY),
        ] {
            let rounded = round(x);
            assert_eq!(rounded, expect, "{x}");
            assert_eq!(rounded.is_sign_negative(), expect.is_sign_negative(), "{x}");
        }
        assert!(round(f64::NAN).is_nan());
        assert_eq!(floor(-0.5), -1.0);
        assert_eq!(floor(0.5), 0.0);
        assert_eq!(ceil(0.3), 1.0);
        assert_eq!(ceil(-0.3), -0.0);
        assert!(ceil(-0.3).is_sign_negative());
        assert!(floor(-0.0).is_sign_negative());
    }
}
