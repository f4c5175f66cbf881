//! Node-RED's `range` node, held to Node-RED's own tests: every case of
//! `test/nodes/core/function/16-range_spec.js` (Node-RED 4.x) as data, and
//! cases of our own for what `16-range.js` does beyond them.
//!
//! Of the 17 cases there, 16 are here; the 17th, "should load some
//! defaults", checks how the flow is read, and lives with the compiler's
//! lowering tests. None is skipped.

mod node_support;

use node_support::{run, sent_only, Outcome};
use psos::nodes::{Interval, Range, RangeAction};
use psos::{ErrorKind, NodeInfo, PathSegment};

const PAYLOAD: &[PathSegment<'static>] = &[PathSegment::Key("payload")];

/// A range node as the flow writes it: its action, its input and output
/// intervals (`[minin, maxin, minout, maxout]`), and `round`.
#[derive(Clone, Copy)]
struct Config(RangeAction, [f64; 4], bool);

fn range(case: &'static str, path: &'static [PathSegment<'static>], config: &Config) -> Range {
    let Config(action, [min_in, max_in, min_out, max_out], round) = *config;
    Range::new(
        NodeInfo::new(case, "", "range"),
        path,
        action,
        round,
        Interval {
            min: min_in,
            max: max_in,
        },
        Interval {
            min: min_out,
            max: max_out,
        },
    )
}

/// Sends each message (as JSON) through the range node of `config`.
fn check(case: &'static str, config: Config, messages: &[&str], expect: Outcome) {
    let outcome = run(case, &mut range(case, PAYLOAD, &config), messages);
    assert_eq!(outcome, expect, "{case}");
}

use RangeAction::{Clamp, Drop, Roll, Scale};

/// Node-RED's `genericRangeTest`: the `it(...)` title, the action, `minin`,
/// `maxin`, `minout`, `maxout`, `round`, the payload in and the payload
/// expected out.
type GenericCase = (&'static str, RangeAction, [f64; 4], bool, f64, f64);

/// Each row is an `it(...)` of the spec that calls `genericRangeTest`.
#[rustfmt::skip]
const GENERIC: &[GenericCase] = &[
    // title,                                                          action, minin, maxin, minout, maxout, round, payload, expected
    ("ranges numbers up tenfold",                                      Scale, [0.0, 100.0, 0.0, 1000.0], false, 50.0, 500.0),
    ("ranges numbers down such as centimetres to metres",              Scale, [0.0, 100.0, 0.0, 1.0], false, 55.0, 0.55),
    ("wraps numbers down say for degree/rotation reading 1/2",         Roll, [0.0, 10.0, 0.0, 360.0], true, 15.0, 180.0),
    ("wraps numbers around say for degree/rotation reading 1/3",       Roll, [0.0, 10.0, 0.0, 360.0], true, 13.3333, 120.0),
    ("wraps numbers around say for degree/rotation reading 1/4",       Roll, [0.0, 10.0, 0.0, 360.0], true, 12.5, 90.0),
    ("wraps numbers down say for degree/rotation reading 1/4",         Roll, [0.0, 10.0, 0.0, 360.0], true, -12.5, 270.0),
    ("wraps numbers around say for degree/rotation reading 0",         Roll, [0.0, 10.0, 0.0, 360.0], true, -10.0, 0.0),
    ("clamps numbers within a range - over max",                       Clamp, [0.0, 10.0, 0.0, 1000.0], false, 111.0, 1000.0),
    ("clamps numbers within a range - below min",                      Clamp, [0.0, 10.0, 0.0, 1000.0], false, -1.0, 0.0),
    ("clamps numbers within a range - above max fp",                   Clamp, [0.0, 9.5, 0.5, 100.5], true, 13.1, 100.0),
    ("clamps numbers within a range - below min fp",                   Clamp, [0.0, 9.5, 0.3, 100.5], true, -13.1, 1.0),
    ("handles input range where max < min (1)",                        Scale, [100.0, 0.0, 0.0, -100.0], false, 40.0, -60.0),
    ("handles input range where max < min (2)",                        Scale, [100.0, 0.0, -100.0, 0.0], false, 10.0, -10.0),
];

#[test]
fn node_red_generic_range_tests() {
    for (case, action, [min_in, max_in, min_out, max_out], round, payload, expected) in GENERIC {
        let config = Config(*action, [*min_in, *max_in, *min_out, *max_out], *round);
        let input = format!(r#"{{"payload":{payload}}}"#);
        let output = format!(r#"{{"payload":{expected}}}"#);
        check(case, config, &[&input], sent_only(&[&output]));
    }
}

#[test]
fn drops_msg_if_in_drop_mode_and_input_outside_range() {
    check(
        "drops msg if in drop mode and input outside range",
        Config(Drop, [2.0, 8.0, 20.0, 80.0], true),
        &[r#"{"payload":1}"#, r#"{"payload":9}"#, r#"{"payload":5}"#],
        sent_only(&[r#"{"payload":50}"#]),
    );
}

#[test]
fn just_passes_on_msg_if_payload_not_present() {
    check(
        "just passes on msg if payload not present",
        Config(Scale, [0.0, 100.0, 0.0, 100.0], true),
        &[r#"{"topic":"pass on"}"#],
        sent_only(&[r#"{"topic":"pass on"}"#]),
    );
}

#[test]
fn reports_if_input_is_not_a_number() {
    check(
        "reports if input is not a number",
        Config(Scale, [0.0, 0.0, 0.0, 0.0], true),
        &[r#"{"payload":"NOT A NUMBER"}"#],
        // Logged, not an error a catch node or the device's counters see.
        Outcome {
            logged: vec!["Not a number: NOT A NUMBER".to_string()],
            ..Outcome::default()
        },
    );
}

/// Beyond the spec, what `16-range.js` does: it reads the property with
/// JavaScript's `Number(value)`, so text and other values count too.
#[test]
fn values_read_as_javascripts_number_reads_them() {
    let tenfold = || Config(Scale, [0.0, 10.0, 0.0, 100.0], false);
    for (case, input, output) in [
        ("text", r#"{"payload":" 5 "}"#, r#"{"payload":50}"#),
        (
            "hexadecimal text",
            r#"{"payload":"0x0a"}"#,
            r#"{"payload":100}"#,
        ),
        ("empty text is 0", r#"{"payload":""}"#, r#"{"payload":0}"#),
        ("null is 0", r#"{"payload":null}"#, r#"{"payload":0}"#),
        ("true is 1", r#"{"payload":true}"#, r#"{"payload":10}"#),
        (
            "an array of one",
            r#"{"payload":[["0.5"]]}"#,
            r#"{"payload":5}"#,
        ),
        (
            "an empty array is 0",
            r#"{"payload":[]}"#,
            r#"{"payload":0}"#,
        ),
        (
            "a buffer of digits",
            r#"{"payload":{"type":"Buffer","data":[55]}}"#,
            r#"{"payload":70}"#,
        ),
    ] {
        check(case, tenfold(), &[input], sent_only(&[output]));
    }
    for (case, input, shown) in [
        ("an array of two", r#"{"payload":[1,2]}"#, "[1,2]"),
        ("an array of true", r#"{"payload":[true]}"#, "[true]"),
        ("an object", r#"{"payload":{"a":1}}"#, r#"{"a":1}"#),
        ("not a number either", r#"{"payload":"1,5"}"#, "1,5"),
    ] {
        let expect = Outcome {
            logged: vec![format!("Not a number: {shown}")],
            ..Outcome::default()
        };
        check(case, tenfold(), &[input], expect);
    }
}

#[test]
fn arithmetic_is_javascripts() {
    // Math.round takes halves up, towards +∞.
    let identity = |round| Config(Scale, [0.0, 10.0, 0.0, 10.0], round);
    check(
        "halves round up",
        identity(true),
        &[r#"{"payload":-2.5}"#, r#"{"payload":2.5}"#],
        sent_only(&[r#"{"payload":-2}"#, r#"{"payload":3}"#]),
    );
    // An empty input interval divides by zero: NaN, which JSON writes as null.
    check(
        "an empty input interval",
        Config(Scale, [5.0, 5.0, 0.0, 10.0], false),
        &[r#"{"payload":5}"#],
        sent_only(&[r#"{"payload":null}"#]),
    );
    // Rolling wraps below and above, keeping the ends' sides.
    check(
        "rolls both ways",
        Config(Roll, [-180.0, 180.0, -180.0, 180.0], false),
        &[
            r#"{"payload":190}"#,
            r#"{"payload":-190}"#,
            r#"{"payload":180}"#,
        ],
        sent_only(&[
            r#"{"payload":-170}"#,
            r#"{"payload":170}"#,
            r#"{"payload":-180}"#,
        ]),
    );
    // A backwards input interval turns both intervals round before
    // clamping, so 15 is held at 10 of [0, 10], which maps to 100. (Scaling
    // alone gives the same either way round.)
    check(
        "a backwards interval clamps",
        Config(Clamp, [10.0, 0.0, 100.0, 0.0], false),
        &[r#"{"payload":15}"#, r#"{"payload":-5}"#],
        sent_only(&[r#"{"payload":100}"#, r#"{"payload":0}"#]),
    );
    // Dropping keeps the ends of the interval.
    check(
        "drop keeps the ends",
        Config(Drop, [0.0, 10.0, 0.0, 1.0], false),
        &[
            r#"{"payload":0}"#,
            r#"{"payload":10}"#,
            r#"{"payload":10.5}"#,
        ],
        sent_only(&[r#"{"payload":0}"#, r#"{"payload":1}"#]),
    );
}

#[test]
fn any_message_property() {
    const RAW: &[PathSegment<'static>] = &[PathSegment::Key("reading"), PathSegment::Key("raw")];
    let config = Config(Scale, [0.0, 1023.0, 0.0, 100.0], true);
    let case = "a nested property";
    let outcome = run(
        case,
        &mut range(case, RAW, &config),
        &[r#"{"payload":"untouched","reading":{"raw":512}}"#],
    );
    assert_eq!(
        outcome,
        sent_only(&[r#"{"payload":"untouched","reading":{"raw":50}}"#])
    );
}

#[test]
fn a_result_that_does_not_fit_is_an_error() {
    let case = "no room";
    let config = Config(Scale, [0.0, 10.0, 0.0, 100.0], false);
    // The message holds 19 bytes besides the filler, 24 once the text "5"
    // is a number: this filler leaves room for the one and not the other.
    let filler = "x".repeat(node_support::CAPACITY - 22);
    let input = format!(r#"{{"payload":"5","f":"{filler}"}}"#);
    let outcome = run(case, &mut range(case, PAYLOAD, &config), &[&input]);
    assert_eq!(
        outcome,
        Outcome {
            errors: vec![(ErrorKind::Oversize, 1)],
            ..Outcome::default()
        }
    );
}
