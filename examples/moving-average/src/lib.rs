//! A custom PSOS node: the moving average of a number that messages carry,
//! written with `#[psos::node]`, with its history in a fixed array.
//!
//! # The `moving-average` node
//!
//! Each message brings a number at a property, `msg.payload` unless
//! configured otherwise. The node replaces it with the mean of the last
//! `window` numbers it has seen (of as many as it has seen, until there are
//! `window` of them) and sends the message on.
//!
//! | property   | type   | meaning                                                        |
//! |------------|--------|----------------------------------------------------------------|
//! | `property` | string | where the number is: `payload`, or a dotted path such as `payload.temperature` (a leading `msg.` is allowed); empty means `payload` |
//! | `window`   | number | how many numbers the mean is over, 1 to [`MAX_WINDOW`]; 0 counts as 1, more than the maximum as the maximum |
//!
//! - **Input**: a number at `property`. Anything else there (a string,
//!   `null`, nothing, NaN or an infinity) is counted as
//!   [`psos::ErrorKind::BadValue`] and the message dropped; it does not
//!   enter the average.
//! - **Output** (one port): the same message, its number replaced by the mean
//!   and every other property, `msg.topic` included, as it came.
//!
//! In a flow:
//!
//! ```json
//! { "id": "a1", "type": "moving-average", "property": "payload", "window": 5, "wires": [["show"]] }
//! ```
//!
//! In firmware, as `psosc` generates it:
//!
//! ```
//! use psos::{ConstValue, Device, Msg, NodeCell};
//! use psos_moving_average::MovingAverage;
//!
//! static DEVICE: Device = Device::new("sensor", "greenhouse.json");
//! static SMOOTH: NodeCell<MovingAverage> = NodeCell::new(MovingAverage::new("payload", 2));
//!
//! let mut means = Vec::new();
//! for reading in [20.0, 21.0, 23.0] {
//!     let mut msg = Msg::<128>::new();
//!     msg.set_property("payload", &ConstValue::Number(reading)).unwrap();
//!     SMOOTH.input(&DEVICE, &mut msg, &mut |_port: usize, msg: &mut Msg<128>| {
//!         means.push(msg.payload().unwrap().to_string());
//!     });
//! }
//! assert_eq!(means, ["20", "20.5", "22"]);
//! ```
#![no_std]
// Data must never panic the firmware, as in the runtime; tests may unwrap
// what they set up.
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

#[cfg(test)]
extern crate std;

use psos::encoding::MAX_DEPTH;
use psos::{Device, ErrorKind, Msg, Outputs, PathSegment, ValueRef};

/// The longest window: the node keeps this many numbers, whatever its
/// `window`, so its size is fixed at build time.
pub const MAX_WINDOW: usize = 32;

/// The state of one `moving-average` node: its properties and the last
/// numbers it has seen.
pub struct MovingAverage {
    property: &'static str,
    window: usize,
    /// The numbers in the window, in the order they were written, cycling:
    /// `samples[next]` is the oldest once the window is full.
    samples: [f64; MAX_WINDOW],
    /// How many numbers the window holds, up to `window`.
    n_samples: usize,
    /// Where the next number goes.
    next: usize,
}

#[psos::node(type = "moving-average", outputs = 1)]
impl MovingAverage {
    /// The average of the last `window` numbers at `property`; `window` is
    /// brought into 1 to [`MAX_WINDOW`].
    pub const fn new(property: &'static str, window: u32) -> Self {
        let window = if window == 0 {
            1
        } else if window as usize > MAX_WINDOW {
            MAX_WINDOW
        } else {
            window as usize
        };
        Self {
            property,
            window,
            samples: [0.0; MAX_WINDOW],
            n_samples: 0,
            next: 0,
        }
    }

    pub fn input<const N: usize>(
        &mut self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut impl Outputs<N>,
    ) {
        let mut segments = [PathSegment::Key(""); MAX_DEPTH];
        let Some(path) = self.path(&mut segments) else {
            device.report(ErrorKind::BadValue);
            return;
        };
        let number = match msg.get(path) {
            Some(ValueRef::Number(number)) if number.is_finite() => number,
            _ => {
                device.report(ErrorKind::BadValue);
                return;
            }
        };
        let mean = self.add(number);
        if device
            .check(msg.set(path, &mean), ErrorKind::Oversize)
            .is_some()
        {
            out.send(0, msg);
        }
    }

    /// How many numbers the mean is over once the node has seen enough.
    pub fn window(&self) -> usize {
        self.window
    }

    /// The property as a path in `segments`, or `None` if it is deeper than
    /// a message can be.
    fn path<'a>(
        &self,
        segments: &'a mut [PathSegment<'static>; MAX_DEPTH],
    ) -> Option<&'a [PathSegment<'static>]> {
        let property = self.property.strip_prefix("msg.").unwrap_or(self.property);
        let property = if property.is_empty() {
            "payload"
        } else {
            property
        };
        let mut depth = 0;
        for key in property.split('.') {
            *segments.get_mut(depth)? = PathSegment::Key(key);
            depth += 1;
        }
        segments.get(..depth)
    }

    /// Puts a number into the window, in place of the oldest when it is
    /// full, and returns the mean of the window.
    fn add(&mut self, number: f64) -> f64 {
        if let Some(slot) = self.samples.get_mut(self.next) {
            *slot = number;
        }
        self.next = if self.next + 1 >= self.window {
            0
        } else {
            self.next + 1
        };
        if self.n_samples < self.window {
            self.n_samples += 1;
        }
        // The samples sit at the start of the array until the window is
        // full, and fill all of its first `window` places after; the sum is
        // taken afresh each time so that rounding errors do not pile up.
        let held = self.samples.get(..self.n_samples).unwrap_or(&[]);
        held.iter().sum::<f64>() / held.len().max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use std::string::{String, ToString};
    use std::vec::Vec;

    use psos::encoding::Str;
    use psos::{ConstValue, Device, ErrorKind, Msg, NodeCell, Outputs};

    use super::MovingAverage;

    type TestMsg = Msg<256>;

    const TOPIC: &str = "greenhouse/temperature";

    /// Records what the node sends: the port and the payload as text, and
    /// checks on the way that the topic came through.
    struct Recorder {
        sent: Vec<(usize, String)>,
    }

    impl<const N: usize> Outputs<N> for Recorder {
        fn send(&mut self, port: usize, msg: &mut Msg<N>) {
            assert_eq!(
                msg.topic().map(|topic| topic.to_string()).as_deref(),
                Some(TOPIC)
            );
            let payload = msg
                .payload()
                .map_or_else(|| "undefined".to_string(), |payload| payload.to_string());
            self.sent.push((port, payload));
        }
    }

    /// Sends each payload (`None`: no payload) with a topic to a node with
    /// these properties; returns what it sent and how many bad values it
    /// counted.
    fn run(
        property: &'static str,
        window: u32,
        payloads: &[Option<ConstValue>],
    ) -> (Vec<(usize, String)>, u32) {
        let device = Device::new("test", "moving-average");
        let average = NodeCell::new(MovingAverage::new(property, window));
        let mut recorder = Recorder { sent: Vec::new() };
        for payload in payloads {
            let mut msg = TestMsg::new();
            msg.set_property("topic", &Str(TOPIC)).unwrap();
            if let Some(payload) = payload {
                msg.set_property("payload", payload).unwrap();
            }
            average.input(&device, &mut msg, &mut recorder);
        }
        (recorder.sent, device.error_count(ErrorKind::BadValue))
    }

    fn check(
        property: &'static str,
        window: u32,
        payloads: &[Option<ConstValue>],
        expect: &[(usize, &str)],
        expect_bad_values: u32,
    ) {
        let expect: Vec<(usize, String)> = expect
            .iter()
            .map(|(port, payload)| (*port, payload.to_string()))
            .collect();
        assert_eq!(run(property, window, payloads), (expect, expect_bad_values));
    }

    fn numbers(values: impl IntoIterator<Item = f64>) -> Vec<Option<ConstValue>> {
        values
            .into_iter()
            .map(|value| Some(ConstValue::Number(value)))
            .collect()
    }

    #[test]
    fn the_mean_is_over_the_last_window_numbers() {
        check(
            "payload",
            3,
            &numbers([1.0, 2.0, 3.0, 4.0, 8.0]),
            &[(0, "1"), (0, "1.5"), (0, "2"), (0, "3"), (0, "5")],
            0,
        );
    }

    #[test]
    fn a_payload_that_is_not_a_number_is_counted_and_dropped() {
        check(
            "payload",
            2,
            &[
                Some(ConstValue::Number(2.0)),
                Some(ConstValue::Str("3")),
                Some(ConstValue::Null),
                None,
                Some(ConstValue::Number(f64::INFINITY)),
                Some(ConstValue::Array(&[ConstValue::Number(1.0)])),
                Some(ConstValue::Number(4.0)),
            ],
            &[(0, "2"), (0, "3")],
            5,
        );
    }

    #[test]
    fn the_window_is_brought_into_range() {
        check("payload", 0, &numbers([4.0, 6.0]), &[(0, "4"), (0, "6")], 0);
        // The last 32 of 0, 1, ..., 39 are 8 to 39, whose mean is 23.5.
        let (sent, _) = run("payload", 1000, &numbers((0..40).map(f64::from)));
        assert_eq!(sent.last(), Some(&(0, "23.5".to_string())));
    }

    #[test]
    fn a_nested_property_is_averaged_in_place() {
        const FIRST: ConstValue = ConstValue::Object(&[
            ("temperature", ConstValue::Number(20.0)),
            ("unit", ConstValue::Str("C")),
        ]);
        const SECOND: ConstValue = ConstValue::Object(&[
            ("temperature", ConstValue::Number(21.0)),
            ("unit", ConstValue::Str("C")),
        ]);
        check(
            "msg.payload.temperature",
            2,
            &[Some(FIRST), Some(SECOND)],
            &[
                (0, r#"{"temperature":20,"unit":"C"}"#),
                (0, r#"{"temperature":20.5,"unit":"C"}"#),
            ],
            0,
        );
        // A path into a number finds no number there.
        check("payload.temperature", 2, &numbers([20.0]), &[], 1);
    }
}
