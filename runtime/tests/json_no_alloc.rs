//! Reading JSON allocates nothing: a counting global allocator watches
//! whole messages, single properties and lone values being parsed, valid
//! and not.

// The counting allocator is the one place with `unsafe`.
#![allow(unsafe_code)]

mod counting;

mod json_support;

use json_support::{random_message_text, Rng, TextOptions};
use psos::encoding::MAX_DEPTH;
use psos::{value_from_json, Msg};

#[test]
fn parsing_json_allocates_nothing() {
    // The texts are made before watching: making them allocates.
    let mut rng = Rng::new(21);
    let options = TextOptions {
        max_depth: MAX_DEPTH + 1,
        lone_surrogates: true,
    };
    let mut texts: Vec<Vec<u8>> = (0..2_000)
        .map(|_| random_message_text(&mut rng, options).into_bytes())
        .collect();
    // Truncated ones too, so that error paths are watched.
    let cut: Vec<Vec<u8>> = texts.iter().map(|t| t[..t.len() / 2].to_vec()).collect();
    texts.extend(cut);
    let mut scratch = vec![0u8; 4096];
    let mut target = Msg::<1024>::from_json(br#"{"topic":"t","payload":1}"#).unwrap();
    let (mut messages, mut values, mut properties) = (0, 0, 0);

    let allocations = counting::allocations_in(|| {
        for text in &texts {
            messages += usize::from(Msg::<1024>::from_json(text).is_ok());
            values += usize::from(value_from_json(text, &mut scratch).is_ok());
            properties += usize::from(target.set_property_json("payload", text).is_ok());
        }
    });
    assert_eq!(
        allocations,
        0,
        "parsing {} texts allocated {allocations} times",
        texts.len()
    );
    assert!(messages > 1_000 && values > 1_000 && properties > 1_000);
}
