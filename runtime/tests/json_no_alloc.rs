//! Reading JSON allocates nothing: a counting global allocator watches
//! whole messages, single properties and lone values being parsed, valid
//! and not.

// A global allocator can only be written with `unsafe`; it only counts.
#![allow(unsafe_code)]

mod json_support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use json_support::{random_message_text, Rng, TextOptions};
use psos::encoding::MAX_DEPTH;
use psos::{value_from_json, Msg};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

std::thread_local! {
    /// Only the test's own thread is watched: the test harness allocates on
    /// its threads whenever it likes.
    static WATCHED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if WATCHED.try_with(std::cell::Cell::get).unwrap_or(false) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

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

    WATCHED.with(|watched| watched.set(true));
    // The counter sees what this thread allocates.
    drop(std::hint::black_box(Box::new(0u8)));
    assert_eq!(ALLOCATIONS.swap(0, Ordering::Relaxed), 1);
    for text in &texts {
        messages += usize::from(Msg::<1024>::from_json(text).is_ok());
        values += usize::from(value_from_json(text, &mut scratch).is_ok());
        properties += usize::from(target.set_property_json("payload", text).is_ok());
    }
    WATCHED.with(|watched| watched.set(false));

    let allocations = ALLOCATIONS.load(Ordering::Relaxed);
    assert_eq!(
        allocations,
        0,
        "parsing {} texts allocated {allocations} times",
        texts.len()
    );
    assert!(messages > 1_000 && values > 1_000 && properties > 1_000);
}
