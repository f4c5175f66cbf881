//! Any bytes into every JSON entry point: none may panic, an accepted text
//! must read back the same once written, and a refused property must leave
//! its message as it was. Run with `cargo +nightly fuzz run json` in
//! `runtime/`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use psos::{value_from_json, Msg};

type Big = Msg<4096>;

fn json<const N: usize>(msg: &Msg<N>) -> String {
    let mut out = String::new();
    msg.write_json(&mut out).expect("writes");
    out
}

fuzz_target!(|input: &[u8]| {
    let small = Msg::<64>::from_json(input);
    let big = Big::from_json(input);
    if let Ok(msg) = &big {
        // Infinity and -0 change once written; after that, nothing does.
        let once = Big::from_json(json(msg).as_bytes()).expect("written JSON reads back");
        let twice = Big::from_json(json(&once).as_bytes()).expect("written JSON reads back");
        assert_eq!(once, twice);
    }
    if let Ok(small) = &small {
        assert_eq!(Ok(json(small)), big.as_ref().map(json));
    }
    let mut scratch = [0; 4096];
    let _ = value_from_json(input, &mut scratch);
    let mut target = Msg::<256>::from_json(br#"{"topic":"t","payload":[1,2],"n":1}"#).unwrap();
    let before = target.clone();
    if target.set_property_json("payload", input).is_err() {
        assert_eq!(target, before);
    }
});
