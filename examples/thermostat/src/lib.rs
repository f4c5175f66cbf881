//! A custom PSOS node: a hysteresis thermostat that tells a heater when to
//! switch, written with `#[psos::node]`.
//!
//! # The `hysteresis` node
//!
//! Each message brings a temperature in `msg.payload`. Below
//! `setpoint - band / 2` the heater should run, above `setpoint + band / 2`
//! it should not, and in between it keeps doing what it does, so that a
//! temperature hovering around the setpoint does not switch it on and off at
//! every reading. The heater is taken to be off at start-up.
//!
//! | property   | type   | meaning                                                  |
//! |------------|--------|----------------------------------------------------------|
//! | `setpoint` | number | the temperature to hold                                  |
//! | `band`     | number | the width of the dead band around it (its size if negative) |
//!
//! - **Input**: `msg.payload` a number. Any other payload (a string, `null`,
//!   none at all, NaN) is counted as [`psos::ErrorKind::BadValue`] and
//!   dropped.
//! - **Output** (one port): a message only when the heater should change, with
//!   `msg.payload` `true` (on) or `false` (off) and every other property,
//!   `msg.topic` included, as it came.
//!
//! In a flow:
//!
//! ```json
//! { "id": "t1", "type": "hysteresis", "setpoint": 21, "band": 1, "wires": [["heater"]] }
//! ```
//!
//! In firmware, as `psosc` generates it:
//!
//! ```
//! use psos::{ConstValue, Device, Msg, NodeCell};
//! use psos_thermostat::Hysteresis;
//!
//! static DEVICE: Device = Device::new("greenhouse", "greenhouse.json");
//! static THERMOSTAT: NodeCell<Hysteresis> = NodeCell::new(Hysteresis::new(21.0, 1.0));
//!
//! let mut heater_on = None;
//! let mut msg = Msg::<128>::new();
//! msg.set_property("payload", &ConstValue::Number(19.0)).unwrap();
//! THERMOSTAT.input(&DEVICE, &mut msg, &mut |_port: usize, msg: &mut Msg<128>| {
//!     heater_on = Some(msg.payload() == Some(psos::ValueRef::Bool(true)));
//! });
//! assert_eq!(heater_on, Some(true));
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

use psos::{Device, ErrorKind, Msg, Outputs, ValueRef};

/// The state of one `hysteresis` node: its properties and whether the heater
/// was last told to run.
pub struct Hysteresis {
    setpoint: f64,
    band: f64,
    heating: bool,
}

#[psos::node(type = "hysteresis", outputs = 1)]
impl Hysteresis {
    /// A thermostat holding `setpoint` within a dead band `band` wide.
    pub const fn new(setpoint: f64, band: f64) -> Self {
        Self {
            setpoint,
            band,
            heating: false,
        }
    }

    pub fn input<const N: usize>(
        &mut self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut impl Outputs<N>,
    ) {
        let temperature = match msg.payload() {
            Some(ValueRef::Number(temperature)) if !temperature.is_nan() => temperature,
            _ => {
                device.report(ErrorKind::BadValue);
                return;
            }
        };
        let half_band = self.band.abs() / 2.0;
        let heating = if temperature < self.setpoint - half_band {
            true
        } else if temperature > self.setpoint + half_band {
            false
        } else {
            self.heating
        };
        if heating == self.heating {
            return;
        }
        // The state changes only once the heater can be told, so that a
        // message that could not carry the news is tried again on the next
        // reading.
        if device
            .check(msg.set_property("payload", &heating), ErrorKind::Oversize)
            .is_none()
        {
            return;
        }
        self.heating = heating;
        out.send(0, msg);
    }

    /// Whether the heater was last told to run.
    pub fn is_heating(&self) -> bool {
        self.heating
    }
}

#[cfg(test)]
mod tests {
    use std::string::{String, ToString};
    use std::vec::Vec;

    use psos::encoding::Str;
    use psos::{ConstValue, Device, ErrorKind, Msg, NodeCell, Outputs};

    use super::Hysteresis;

    type TestMsg = Msg<128>;

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

    /// Sends each payload (`None`: no payload) with a topic to a thermostat
    /// holding 20 within a band 2 wide (on below 19, off above 21), and
    /// checks what it sends and how many bad values it counts.
    fn check(payloads: &[Option<ConstValue>], expect: &[(usize, &str)], expect_bad_values: u32) {
        let device = Device::new("test", "thermostat");
        let thermostat = NodeCell::new(Hysteresis::new(20.0, 2.0));
        let mut recorder = Recorder { sent: Vec::new() };
        for payload in payloads {
            let mut msg = TestMsg::new();
            msg.set_property("topic", &Str(TOPIC)).unwrap();
            if let Some(payload) = payload {
                msg.set_property("payload", payload).unwrap();
            }
            thermostat.input(&device, &mut msg, &mut recorder);
        }
        let expect: Vec<(usize, String)> = expect
            .iter()
            .map(|(port, payload)| (*port, payload.to_string()))
            .collect();
        assert_eq!(recorder.sent, expect);
        assert_eq!(device.error_count(ErrorKind::BadValue), expect_bad_values);
    }

    fn temperatures(values: &[f64]) -> Vec<Option<ConstValue>> {
        values
            .iter()
            .map(|value| Some(ConstValue::Number(*value)))
            .collect()
    }

    #[test]
    fn switches_only_past_the_edges_of_the_band() {
        check(
            &temperatures(&[
                20.0, 19.5, 19.0, 18.9, 18.0, 20.0, 21.0, 21.1, 23.0, 19.5, 18.5,
            ]),
            &[(0, "true"), (0, "false"), (0, "true")],
            0,
        );
    }

    #[test]
    fn the_heater_starts_off() {
        check(&temperatures(&[25.0, 20.0]), &[], 0);
    }

    #[test]
    fn a_reading_that_is_not_a_number_is_counted_and_dropped() {
        check(
            &[
                Some(ConstValue::Str("18")),
                Some(ConstValue::Null),
                Some(ConstValue::Bool(true)),
                Some(ConstValue::Number(f64::NAN)),
                None,
                Some(ConstValue::Number(10.0)),
            ],
            &[(0, "true")],
            5,
        );
    }
}
