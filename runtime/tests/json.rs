//! Messages through JSON and back, and the parser under hostile input: the
//! wire format a `msg` crosses devices in must never lose a value nor
//! panic the firmware.

mod json_support;

use json_support::{
    build_msg, mutate, random_members, random_message_text, random_text, Rng, TextOptions,
};
use psos::encoding::MAX_DEPTH;
use psos::{value_from_json, JsonError, Msg, PathSegment};

type Big = Msg<4096>;

fn json<const N: usize>(msg: &Msg<N>) -> String {
    let mut out = String::new();
    msg.write_json(&mut out).expect("writes");
    out
}

#[test]
fn random_messages_survive_a_round_trip() {
    let mut rng = Rng::new(1);
    let mut tested = 0;
    for _ in 0..5_000 {
        let members = random_members(&mut rng, 1, 6);
        let Some(msg) = build_msg::<4096>(&members) else {
            continue;
        };
        let text = json(&msg);
        let parsed =
            Big::from_json(text.as_bytes()).unwrap_or_else(|error| panic!("{error} in {text}"));
        assert_eq!(parsed, msg, "{text}");
        assert_eq!(json(&parsed), text);
        tested += 1;
    }
    assert!(tested > 4_500, "only {tested} messages fitted");
}

#[test]
fn every_prefix_of_a_message_is_truncated() {
    let mut rng = Rng::new(2);
    let options = TextOptions {
        max_depth: MAX_DEPTH,
        lone_surrogates: false,
    };
    let mut prefixes = 0;
    for _ in 0..300 {
        // Without the white space after it, no strict prefix of an object
        // is a whole object.
        let text = random_message_text(&mut rng, options);
        let text = text.trim_end_matches([' ', '\t', '\n', '\r']);
        if Big::from_json(text.as_bytes()).is_err() {
            continue;
        }
        for end in 0..text.len() {
            assert_eq!(
                Big::from_json(&text.as_bytes()[..end]),
                Err(JsonError::Truncated),
                "{:?}",
                String::from_utf8_lossy(&text.as_bytes()[..end])
            );
            prefixes += 1;
        }
    }
    assert!(prefixes > 10_000, "{prefixes}");
}

/// Runs every entry point on one input, checking what must hold whatever
/// the input: an accepted text reads back the same once written, and a
/// refused one leaves the message it was to change as it was.
fn exercise(input: &[u8]) -> bool {
    let small = Msg::<64>::from_json(input);
    let big = Big::from_json(input);
    if let Ok(msg) = &big {
        // Infinity becomes null and -0 becomes 0 once written; after that,
        // writing and reading change nothing.
        let once = Big::from_json(json(msg).as_bytes()).expect("written JSON reads back");
        let twice = Big::from_json(json(&once).as_bytes()).expect("written JSON reads back");
        assert_eq!(once, twice, "{}", String::from_utf8_lossy(input));
        if let Ok(small) = &small {
            assert_eq!(json(small), json(msg));
        }
    }
    let mut scratch = [0; 4096];
    let value = value_from_json(input, &mut scratch).map(|value| {
        let mut out = String::new();
        value.write_json(&mut out).expect("writes");
        out
    });
    let mut target = Msg::<256>::from_json(br#"{"topic":"t","payload":[1,2],"n":1}"#).unwrap();
    let before = target.clone();
    match target.set_property_json("payload", input) {
        Ok(()) => {
            let Ok(value) = &value else {
                panic!("a property is read where a value is not")
            };
            let mut out = String::new();
            target.payload().unwrap().write_json(&mut out).unwrap();
            assert_eq!(&out, value);
        }
        Err(_) => assert_eq!(target, before),
    }
    big.is_ok() || value.is_ok()
}

#[test]
fn random_and_mutated_bytes_never_panic() {
    let mut rng = Rng::new(3);
    let options = TextOptions {
        max_depth: MAX_DEPTH + 2,
        lone_surrogates: true,
    };
    let (mut inputs, mut accepted) = (0, 0);
    // Bytes from JSON's alphabet, mostly, so that some go far.
    for _ in 0..20_000 {
        let len = rng.below(48);
        let input: Vec<u8> = (0..len)
            .map(|_| {
                if rng.percent(80) {
                    *rng.pick(b"{}[]\"\\:,0123456789-+.eEtrufalsn \n\tuabcdef")
                } else {
                    rng.next() as u8
                }
            })
            .collect();
        accepted += usize::from(exercise(&input));
        inputs += 1;
    }
    // Valid texts with one to four mutations each.
    for _ in 0..10_000 {
        let mut text = if rng.percent(50) {
            random_message_text(&mut rng, options)
        } else {
            let mut text = String::new();
            random_text(&mut rng, options, 0, &mut text);
            text
        }
        .into_bytes();
        accepted += usize::from(exercise(&text));
        inputs += 1;
        for _ in 0..rng.below(4) + 1 {
            text = mutate(&mut rng, &text);
            accepted += usize::from(exercise(&text));
            inputs += 1;
        }
    }
    println!("{inputs} inputs, {accepted} accepted");
    assert!(inputs >= 50_000);
    assert!(
        accepted > 5_000,
        "the mutations hardly ever keep a text valid"
    );
}

fn check_error(input: &[u8], expect: JsonError) {
    assert_eq!(Big::from_json(input).map(|_| ()), Err(expect));
    exercise(input);
}

#[test]
fn hostile_inputs_are_errors() {
    for depth in [MAX_DEPTH + 1, 1_000, 100_000] {
        let arrays = format!("{{\"p\":{}{}}}", "[".repeat(depth), "]".repeat(depth));
        check_error(arrays.as_bytes(), JsonError::TooDeep { at: 5 + MAX_DEPTH });
        let unclosed = format!("{{\"p\":{}", "[".repeat(depth));
        check_error(
            unclosed.as_bytes(),
            JsonError::TooDeep { at: 5 + MAX_DEPTH },
        );
        let objects = format!("{}1{}", "{\"a\":".repeat(depth + 1), "}".repeat(depth + 1));
        check_error(
            objects.as_bytes(),
            JsonError::TooDeep {
                at: 5 * (MAX_DEPTH + 1),
            },
        );
        let mixed = format!("{{\"p\":{}", "[{\"a\":".repeat(depth));
        assert!(matches!(
            Big::from_json(mixed.as_bytes()),
            Err(JsonError::TooDeep { .. })
        ));
    }
    // Numbers of any size are numbers.
    for (number, expect) in [
        ("1e999999999999999999", "Infinity"),
        ("-1e999999999999999999", "-Infinity"),
        ("1e-999999999999999999", "0"),
        (&*format!("1{}", "0".repeat(100_000)), "Infinity"),
        (&*format!("0.{}1", "0".repeat(100_000)), "0"),
        (&*format!("{}e-9990", "9".repeat(10_000)), "10000000000"),
    ] {
        let mut scratch = [0; 16];
        let value = value_from_json(number.as_bytes(), &mut scratch).unwrap();
        assert_eq!(value.to_string(), expect);
    }
    for (input, expect) in [
        (
            &br#"{"s":"\ud800"}"#[..],
            JsonError::LoneSurrogate { at: 6 },
        ),
        (br#"{"s":"\udfff"}"#, JsonError::LoneSurrogate { at: 6 }),
        (
            br#"{"s":"\ud83d\ud83d"}"#,
            JsonError::LoneSurrogate { at: 6 },
        ),
        (br#"{"\ud83d":1}"#, JsonError::LoneSurrogate { at: 2 }),
        (br#"{"s":"\ud83d"#, JsonError::Truncated),
        (br#"{"s":"\ud83d\"#, JsonError::Truncated),
        (
            b"{\"s\":\"\xed\xa0\x80\"}",
            JsonError::InvalidUtf8 { at: 6 },
        ),
        (b"{\"s\":\"\xc0\xaf\"}", JsonError::InvalidUtf8 { at: 6 }),
        (
            b"{\"s\":\"\xf4\x90\x80\x80\"}",
            JsonError::InvalidUtf8 { at: 6 },
        ),
        (b"{\"s\":1}\x00", JsonError::TrailingCharacters { at: 7 }),
        (b"{\"s\":1}{}", JsonError::TrailingCharacters { at: 7 }),
        (b"\x00{}", JsonError::NotAnObject { at: 0 }),
    ] {
        check_error(input, expect);
    }
    // More than a message holds, in every way.
    let long_string = format!("{{\"s\":\"{}\"}}", "x".repeat(70_000));
    check_error(long_string.as_bytes(), JsonError::TooBig);
    let many_keys: String = (0..5_000).map(|i| format!("\"k{i}\":{i},")).collect();
    check_error(
        format!("{{{many_keys}\"z\":0}}").as_bytes(),
        JsonError::TooBig,
    );
    let many_items = format!("{{\"a\":[{}0]}}", "0,".repeat(70_000));
    check_error(many_items.as_bytes(), JsonError::TooBig);
    let big_buffer = format!(
        "{{\"b\":{{\"type\":\"Buffer\",\"data\":[{}0]}}}}",
        "255,".repeat(5_000)
    );
    check_error(big_buffer.as_bytes(), JsonError::TooBig);
}

#[test]
fn a_buffer_fits_where_its_bytes_fit() {
    // 3 200 bytes of data in a 4 096-byte message: as numbers they would
    // take 28 800 bytes while being read.
    let data: Vec<String> = (0..3_200).map(|i| (i % 256).to_string()).collect();
    let text = format!(
        r#"{{"topic":"bin","payload":{{"type":"Buffer","data":[{}]}}}}"#,
        data.join(",")
    );
    let msg = Big::from_json(text.as_bytes()).unwrap();
    let Some(psos::ValueRef::Bytes(bytes)) = msg.get(&[PathSegment::Key("payload")]) else {
        panic!("not bytes")
    };
    assert_eq!(bytes.len(), 3_200);
    assert!(bytes
        .iter()
        .enumerate()
        .all(|(i, b)| usize::from(*b) == i % 256));
    assert_eq!(json(&msg), text);
}
