//! `range`: the property it maps, what it does outside the input interval,
//! the two intervals and rounding.

use super::Reader;
use crate::ir::{NodeKind, Range, RangeAction};

pub fn lower(reader: &mut Reader<'_, '_>) -> Option<NodeKind> {
    let path = reader.target_property();
    let action = reader.choice(
        "action",
        &[
            ("scale", RangeAction::Scale),
            ("clamp", RangeAction::Clamp),
            ("roll", RangeAction::Roll),
            ("drop", RangeAction::Drop),
        ],
    );
    let round = reader.flag("round", false);
    let min_in = reader.required_number("minin", "0");
    let max_in = reader.required_number("maxin", "1023");
    let min_out = reader.required_number("minout", "0");
    let max_out = reader.required_number("maxout", "100");
    Some(NodeKind::Range(Range {
        path: path?,
        action: action?,
        round,
        min_in: min_in?,
        max_in: max_in?,
        min_out: min_out?,
        max_out: max_out?,
    }))
}
