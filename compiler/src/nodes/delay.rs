//! `delay`: its mode (`pauseType`) and the times that mode reads, each
//! turned into milliseconds as `89-delay.js` turns them, the second output,
//! the size of its queue on a device (`psosQueue`), and in `burst` mode
//! its places.

use super::Reader;
use crate::ir::{Delay, DelayMode, NodeKind};
use crate::json::JsonValue;
use psos::nodes::TIMEOUT_MAX_MS;

/// How many messages a delay node holds unless its `psosQueue` says
/// otherwise.
pub const DEFAULT_QUEUE: usize = 8;

/// The range of `psosQueue`: at least one message, and not more than a
/// small device could hold.
const QUEUE_RANGE: std::ops::RangeInclusive<u64> = 1..=1024;

/// The longest tick of a delay node's timer, in milliseconds: a message
/// leaves at most this late.
const MAX_TICK_MS: u64 = 10;

/// Node-RED's `pauseType`s.
#[derive(Clone, Copy)]
enum Pause {
    Delay,
    Variable,
    Random,
    Rate,
    Queue,
    Timed,
    Burst,
}

/// The milliseconds in one of `timeoutUnits` and `randomUnits`; anything
/// else is seconds in Node-RED, and refused here.
const TIME_UNITS: &[(&str, f64)] = &[
    ("seconds", 1000.0),
    ("milliseconds", 1.0),
    ("minutes", 60_000.0),
    ("hours", 3_600_000.0),
    ("days", 86_400_000.0),
];

/// The milliseconds in one of `rateUnits`.
const RATE_UNITS: &[(&str, f64)] = &[
    ("second", 1000.0),
    ("minute", 60_000.0),
    ("hour", 3_600_000.0),
    ("day", 86_400_000.0),
];

pub fn lower(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    let pause = reader.choice(
        "pauseType",
        &[
            ("delay", Pause::Delay),
            ("delayv", Pause::Variable),
            ("random", Pause::Random),
            ("rate", Pause::Rate),
            ("queue", Pause::Queue),
            ("timed", Pause::Timed),
            ("burst", Pause::Burst),
        ],
    );
    let outputs = reader.whole_number("outputs", 1, 1..=2);
    let queue = reader.whole_number("psosQueue", DEFAULT_QUEUE as u64, QUEUE_RANGE);
    let mode = match pause? {
        Pause::Delay | Pause::Variable => {
            let unit = reader.choice("timeoutUnits", TIME_UNITS);
            let timeout = reader.required_number("timeout", "5");
            DelayMode::Fixed {
                ms: wait_ms(reader, "timeout", timeout?, unit)?,
                variable: matches!(pause, Some(Pause::Variable)),
            }
        }
        Pause::Random => {
            let unit = reader.choice("randomUnits", TIME_UNITS);
            let first = reader.required_number("randomFirst", "1");
            let last = reader.required_number("randomLast", "5");
            let first_ms = first.and_then(|first| wait_ms(reader, "randomFirst", first, unit));
            let last_ms = last.and_then(|last| wait_ms(reader, "randomLast", last, unit));
            DelayMode::Random {
                first_ms: first_ms?,
                last_ms: last_ms?,
            }
        }
        Pause::Rate | Pause::Queue | Pause::Timed => {
            let allow_rate = reader.flag("allowrate", false);
            let drop = matches!(pause, Some(Pause::Rate)) && reader.flag("drop", false);
            let interval_ms = interval_ms(reader)?;
            match pause? {
                Pause::Rate => DelayMode::Rate {
                    interval_ms,
                    drop,
                    allow_rate,
                },
                Pause::Queue => DelayMode::Queue {
                    interval_ms,
                    allow_rate,
                },
                _ => DelayMode::Timed {
                    interval_ms,
                    allow_rate,
                },
            }
        }
        Pause::Burst => {
            let unit = reader.choice("rateUnits", RATE_UNITS);
            let rate = reader.required_number("rate", "1");
            let units = reader.required_number("nbRateUnits", "1");
            let rate = rate.and_then(|rate| burst_rate(reader, rate));
            // Node-RED's place lasts `nbRateUnits` units as they are, not
            // taken as 1 when not above 0 as the other modes take them: 0
            // is Node.js's 1 ms, a negative number is refused.
            let period_ms = units.and_then(|units| wait_ms(reader, "nbRateUnits", units, unit));
            DelayMode::Burst {
                rate: rate?,
                period_ms: period_ms?,
            }
        }
    };
    // What `rate` drops, and what `burst` drops, is never kept.
    let queue = match mode {
        DelayMode::Rate { drop: true, .. } | DelayMode::Burst { .. } => 0,
        _ => usize::try_from(queue?).ok()?,
    };
    let random_counts = matches!(mode, DelayMode::Random { .. }) && random_counts(reader);
    Some(NodeKind::Delay(Delay {
        mode,
        second_output: outputs? == 2,
        queue,
        tick_ms: tick_ms(&mode),
        random_counts,
    }))
}

/// Whether a `random` node reports how many wait: `89-delay.js` reads
/// `timeout` and `timeoutUnits` in every mode, and a random delay reports
/// while that time is at least a second. Node-RED takes any value here
/// (`n.timeout * 1000` for units it does not know), so nothing is refused:
/// what JavaScript's `*` makes no number of (missing, not numeric text)
/// reports nothing.
fn random_counts(reader: &Reader<'_, '_>) -> bool {
    let timeout = match reader.get("timeout").map(|timeout| &timeout.value) {
        Some(JsonValue::Number(number)) => *number,
        Some(JsonValue::String(text)) => psos::number_from_str(text),
        Some(JsonValue::Bool(flag)) => f64::from(u8::from(*flag)),
        Some(JsonValue::Null) => 0.0,
        _ => f64::NAN,
    };
    let unit = match reader.get("timeoutUnits").and_then(|units| units.as_str()) {
        Some("milliseconds") => 1.0,
        Some("minutes") => 60_000.0,
        Some("hours") => 3_600_000.0,
        Some("days") => 86_400_000.0,
        _ => 1000.0,
    };
    timeout * unit >= 1000.0
}

/// A wait of `value` in `unit`s, in milliseconds, that Node.js's timers
/// keep: not negative, and not above 2³¹ − 1 ms (about 24.8 days), which
/// Node.js cuts to 1 ms. A negative value is reported whatever its unit.
pub(super) fn wait_ms(
    reader: &mut Reader<'_, '_>,
    key: &str,
    value: f64,
    unit: Option<f64>,
) -> Option<f64> {
    let span = reader.node.value_span(key);
    if value < 0.0 {
        reader.malformed(
            key,
            span,
            format!("a wait of {value} is negative"),
            Some("write a time of 0 or more; Node-RED would wait 1 ms".to_string()),
        );
        return None;
    }
    let ms = value * unit?;
    if ms <= TIMEOUT_MAX_MS {
        return Some(ms);
    }
    reader.malformed(
        key,
        span,
        format!("a wait of {ms} ms is longer than a timer keeps"),
        Some(format!(
            "write a time up to {TIMEOUT_MAX_MS} ms (about 24.8 days); Node-RED would wait 1 ms"
        )),
    );
    None
}

/// The interval of `rate`, `queue` and `timed`: `rate` messages per
/// `nbRateUnits` `rateUnits`, as `89-delay.js` computes it.
fn interval_ms(reader: &mut Reader<'_, '_>) -> Option<f64> {
    let unit = reader.choice("rateUnits", RATE_UNITS);
    let rate = reader.required_number("rate", "1");
    // Node-RED takes anything not above 0, or missing, as 1.
    let units = match reader.get("nbRateUnits") {
        None => Some(1.0),
        Some(_) => reader.required_number("nbRateUnits", "1"),
    }
    .map(|units| if units > 0.0 { units } else { 1.0 });
    let rate = rate?;
    if rate <= 0.0 {
        let span = reader.node.value_span("rate");
        reader.malformed(
            "rate",
            span,
            format!("a rate of {rate} messages lets none through"),
            Some("write a number of messages above 0, such as \"rate\": \"1\"".to_string()),
        );
        return None;
    }
    wait_ms(reader, "rate", units? / rate, unit)
}

/// The most places a `burst` node keeps: each is two timers of RAM
/// ([`crate::place::resources::BURST_PLACE_RAM`] bytes).
pub const MAX_BURST_PLACES: usize = 1024;

/// The places of a `burst` node whose `rate` is `rate`: Node-RED lets a
/// message through while fewer places than `rate` are taken, so 2.5 is 3.
pub fn burst_places(rate: f64) -> usize {
    // A rate psosc accepts is above 0 and at most `MAX_BURST_PLACES`, so
    // the cast is exact.
    rate.ceil().clamp(0.0, MAX_BURST_PLACES as f64) as usize
}

/// A `burst` node's `rate`, which must let a message through and give no
/// more places than a device keeps.
fn burst_rate(reader: &mut Reader<'_, '_>, rate: f64) -> Option<f64> {
    let span = reader.node.value_span("rate");
    if rate <= 0.0 {
        reader.malformed(
            "rate",
            span,
            format!("a burst of {rate} messages lets none through"),
            Some("write a number of messages above 0, such as \"rate\": \"1\"".to_string()),
        );
        return None;
    }
    if rate.ceil() > MAX_BURST_PLACES as f64 {
        let place_ram = crate::place::resources::BURST_PLACE_RAM;
        reader.malformed(
            "rate",
            span,
            format!(
                "a burst of {rate} messages needs {} places, more than a device keeps",
                rate.ceil()
            ),
            Some(format!(
                "write a rate of at most {MAX_BURST_PLACES}: each place is {place_ram} bytes of RAM, held for as long as the node runs"
            )),
        );
        return None;
    }
    Some(rate)
}

/// How often a node's timer ticks: a hundredth of its shortest configured
/// time, from 1 to [`MAX_TICK_MS`] ms; none for `rate` with `drop`.
fn tick_ms(mode: &DelayMode) -> Option<u64> {
    let shortest = match *mode {
        DelayMode::Fixed { ms, .. } => ms,
        DelayMode::Random { first_ms, last_ms } => first_ms.min(last_ms),
        DelayMode::Rate { drop: true, .. } => return None,
        DelayMode::Rate { interval_ms, .. }
        | DelayMode::Queue { interval_ms, .. }
        | DelayMode::Timed { interval_ms, .. } => interval_ms,
        DelayMode::Burst { period_ms, .. } => period_ms,
    };
    Some(tick_for(shortest))
}

/// The tick of a timer node whose shortest time is `shortest` ms: a
/// hundredth of it, from 1 to [`MAX_TICK_MS`] ms.
pub(super) fn tick_for(shortest: f64) -> u64 {
    psos::nodes::timer_ms(shortest / 100.0).min(MAX_TICK_MS)
}
