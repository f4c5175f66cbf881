//! Text that `core::fmt` writes, encoded straight into a message: sized by
//! a first pass that only counts, then written into its slot.

use core::fmt::{self, Write};

use crate::encoding::LENGTH;

/// Counts the bytes written, to size an encoding before writing it.
pub(crate) struct Counter(pub(crate) usize);

impl Write for Counter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}

/// Writes into a slice, failing when it is full.
pub(crate) struct SliceWriter<'a> {
    out: &'a mut [u8],
    at: usize,
}

impl<'a> SliceWriter<'a> {
    pub(crate) fn new(out: &'a mut [u8]) -> Self {
        Self { out, at: 0 }
    }

    /// What has been written so far.
    pub(crate) fn written(self) -> &'a [u8] {
        self.out.get(..self.at).unwrap_or_default()
    }
}

impl Write for SliceWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.at.checked_add(s.len()).ok_or(fmt::Error)?;
        self.out
            .get_mut(self.at..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.at = end;
        Ok(())
    }
}

/// Encodes a tag, a length and then text written by `write`: the length is
/// that of what it wrote, so the text is written once, not first measured.
pub(crate) fn encode_written(
    tag: u8,
    out: &mut [u8],
    write: impl FnOnce(&mut SliceWriter<'_>) -> fmt::Result,
) -> Option<usize> {
    let (head, body) = out.split_at_mut_checked(1 + LENGTH)?;
    let mut writer = SliceWriter { out: body, at: 0 };
    write(&mut writer).ok()?;
    let len = writer.at;
    *head.first_mut()? = tag;
    crate::encoding::write_u16(head, 1, len)?;
    Some(1 + LENGTH + len)
}
