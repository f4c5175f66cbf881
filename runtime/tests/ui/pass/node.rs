//! A node with every kind of property and both hooks, driven through its
//! cell as generated firmware does.

use std::marker::PhantomData;

use psos::__private::NodeType;
use psos::encoding::Str;
use psos::{Device, Msg, NodeCell, Outputs};

pub struct Counter {
    label: &'static str,
    step: u32,
    count: u32,
}

#[psos::node(type = "counter", outputs = 2, tick_ms = 250)]
impl Counter {
    #[allow(clippy::too_many_arguments)]
    pub const fn new(
        label: &'static str,
        step: u32,
        _enabled: bool,
        _a: u8,
        _b: u16,
        _c: u64,
        _d: i8,
        _e: i16,
        _f: i32,
        _g: i64,
        _h: f32,
        _i: f64,
    ) -> Self {
        Self {
            label,
            step,
            count: 0,
        }
    }

    pub fn input<const N: usize>(
        &mut self,
        device: &Device,
        msg: &mut Msg<N>,
        out: &mut impl Outputs<N>,
    ) {
        self.count += self.step;
        if device
            .check(
                msg.set_property("topic", &Str(self.label)),
                psos::ErrorKind::Oversize,
            )
            .is_some()
        {
            out.send(0, msg);
        }
    }

    pub fn start<const N: usize>(&mut self, _device: &Device, out: &mut impl Outputs<N>) {
        out.send(1, &mut Msg::new());
    }

    pub fn tick<const N: usize>(&mut self, _device: &Device, out: &mut impl Outputs<N>) {
        let mut msg = Msg::new();
        if msg.set_property("payload", &f64::from(self.count)).is_ok() {
            out.send(1, &mut msg);
        }
    }
}

/// A generic node type keeps its parameters in what the macro emits.
pub struct Tagged<T> {
    tag: PhantomData<T>,
}

#[psos::node(type = "tagged", outputs = 0)]
impl<T: Copy> Tagged<T> {
    pub const fn new() -> Self {
        Self { tag: PhantomData }
    }

    pub fn input<const N: usize>(&mut self, _: &Device, _: &mut Msg<N>, _: &mut impl Outputs<N>) {}
}

static DEVICE: Device = Device::new("ui", "pass.rs");
static COUNTER: NodeCell<Counter> = NodeCell::new(Counter::new(
    "counted", 2, true, 1, 2, 3, -4, -5, -6, -7, 0.5, 1.5,
));

fn main() {
    let mut sent = Vec::new();
    let mut record = |port: usize, msg: &mut Msg<64>| sent.push((port, format!("{msg:?}")));
    COUNTER.start(&DEVICE, &mut record);
    COUNTER.input(&DEVICE, &mut Msg::new(), &mut record);
    COUNTER.tick(&DEVICE, &mut record);
    assert_eq!(
        sent,
        [
            (1, "{}".to_string()),
            (0, r#"{"topic":"counted"}"#.to_string()),
            (1, r#"{"payload":2}"#.to_string()),
        ]
    );
    assert_eq!(Counter::TYPE_NAME, "counter");
    assert_eq!(Counter::OUTPUTS, 2);
    assert_eq!(Counter::TICK_MS, Some(250));
    assert_eq!(
        Counter::PROPERTIES[..2],
        [("label", "&'static str"), ("step", "u32")]
    );
    assert_eq!(<Tagged<u8> as NodeType>::TYPE_NAME, "tagged");
    assert_eq!(<Tagged<u8> as NodeType>::TICK_MS, None);
    NodeCell::new(Tagged::<u8>::new()).input(&DEVICE, &mut Msg::<64>::new(), &mut psos::Discard);
}
