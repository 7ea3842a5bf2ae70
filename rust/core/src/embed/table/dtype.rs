//! The float formats a table can hold (float32, float16, bfloat16) and row conversions to and
//! from float32, the format all arithmetic is done in.
//!
//! Half-precision rows arrive from Python as `u16` bit patterns (NumPy has no bfloat16, and
//! `ml_dtypes` arrays are viewed as `uint16` by the Python layer), so the slices here are built
//! from bits with `half`'s safe reinterpretation. float16 conversions use F16C when the CPU has
//! it (`half` detects it at run time); bfloat16 is a shift and a rounding.

use crate::{Error, Result};
use half::slice::{HalfBitsSliceExt, HalfFloatSliceExt};
use half::{bf16, f16};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatKind {
    F32,
    F16,
    BF16,
}

impl FloatKind {
    /// The NumPy name of the format, as the Python layer spells it.
    pub fn parse(name: &str) -> Result<FloatKind> {
        match name {
            "float32" => Ok(FloatKind::F32),
            "float16" => Ok(FloatKind::F16),
            "bfloat16" => Ok(FloatKind::BF16),
            other => Err(Error::InvalidArgument(format!(
                "unsupported float format {other:?}: expected float32, float16 or bfloat16"
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FloatKind::F32 => "float32",
            FloatKind::F16 => "float16",
            FloatKind::BF16 => "bfloat16",
        }
    }

    pub fn size_bytes(self) -> usize {
        match self {
            FloatKind::F32 => 4,
            FloatKind::F16 | FloatKind::BF16 => 2,
        }
    }
}

/// Borrowed elements of one of the three formats.
#[derive(Debug, Clone, Copy)]
pub enum FloatSlice<'a> {
    F32(&'a [f32]),
    F16(&'a [f16]),
    BF16(&'a [bf16]),
}

/// Mutably borrowed elements of one of the three formats.
#[derive(Debug)]
pub enum FloatSliceMut<'a> {
    F32(&'a mut [f32]),
    F16(&'a mut [f16]),
    BF16(&'a mut [bf16]),
}

impl<'a> FloatSlice<'a> {
    /// Half-precision elements from their bit patterns; `kind` must be F16 or BF16.
    pub fn from_bits(kind: FloatKind, bits: &'a [u16]) -> Result<Self> {
        match kind {
            FloatKind::F16 => Ok(FloatSlice::F16(bits.reinterpret_cast())),
            FloatKind::BF16 => Ok(FloatSlice::BF16(bits.reinterpret_cast())),
            FloatKind::F32 => Err(Error::InvalidArgument("float32 data given as 16-bit patterns".into())),
        }
    }

    pub fn kind(&self) -> FloatKind {
        match self {
            FloatSlice::F32(_) => FloatKind::F32,
            FloatSlice::F16(_) => FloatKind::F16,
            FloatSlice::BF16(_) => FloatKind::BF16,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            FloatSlice::F32(s) => s.len(),
            FloatSlice::F16(s) => s.len(),
            FloatSlice::BF16(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements `range`, or None when it is out of bounds.
    pub fn get(&self, range: std::ops::Range<usize>) -> Option<FloatSlice<'a>> {
        Some(match *self {
            FloatSlice::F32(s) => FloatSlice::F32(s.get(range)?),
            FloatSlice::F16(s) => FloatSlice::F16(s.get(range)?),
            FloatSlice::BF16(s) => FloatSlice::BF16(s.get(range)?),
        })
    }

    /// The raw bytes, in native byte order: what a same-format copy moves.
    pub fn as_bytes(&self) -> &'a [u8] {
        match *self {
            FloatSlice::F32(s) => bytes_of(s),
            FloatSlice::F16(s) => bytes_of(s),
            FloatSlice::BF16(s) => bytes_of(s),
        }
    }

    /// Converts to float32 into `dst` (same length).
    pub fn to_f32(&self, dst: &mut [f32]) {
        match *self {
            FloatSlice::F32(s) => dst.copy_from_slice(s),
            FloatSlice::F16(s) => s.convert_to_f32_slice(dst),
            FloatSlice::BF16(s) => s.convert_to_f32_slice(dst),
        }
    }
}

impl<'a> FloatSliceMut<'a> {
    pub fn from_bits(kind: FloatKind, bits: &'a mut [u16]) -> Result<Self> {
        match kind {
            FloatKind::F16 => Ok(FloatSliceMut::F16(bits.reinterpret_cast_mut())),
            FloatKind::BF16 => Ok(FloatSliceMut::BF16(bits.reinterpret_cast_mut())),
            FloatKind::F32 => Err(Error::InvalidArgument("float32 data given as 16-bit patterns".into())),
        }
    }

    pub fn kind(&self) -> FloatKind {
        self.as_ref().kind()
    }

    pub fn len(&self) -> usize {
        self.as_ref().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn as_ref(&self) -> FloatSlice<'_> {
        match self {
            FloatSliceMut::F32(s) => FloatSlice::F32(s),
            FloatSliceMut::F16(s) => FloatSlice::F16(s),
            FloatSliceMut::BF16(s) => FloatSlice::BF16(s),
        }
    }

    /// A shorter-lived mutable view of the same elements.
    pub fn reborrow(&mut self) -> FloatSliceMut<'_> {
        match self {
            FloatSliceMut::F32(s) => FloatSliceMut::F32(s),
            FloatSliceMut::F16(s) => FloatSliceMut::F16(s),
            FloatSliceMut::BF16(s) => FloatSliceMut::BF16(s),
        }
    }

    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        match self {
            FloatSliceMut::F32(s) => bytes_of_mut(s),
            FloatSliceMut::F16(s) => bytes_of_mut(s),
            FloatSliceMut::BF16(s) => bytes_of_mut(s),
        }
    }

    /// Elements `range` as a shorter-lived mutable view, or None when out of bounds.
    pub fn get_mut(&mut self, range: std::ops::Range<usize>) -> Option<FloatSliceMut<'_>> {
        Some(match self {
            FloatSliceMut::F32(s) => FloatSliceMut::F32(s.get_mut(range)?),
            FloatSliceMut::F16(s) => FloatSliceMut::F16(s.get_mut(range)?),
            FloatSliceMut::BF16(s) => FloatSliceMut::BF16(s.get_mut(range)?),
        })
    }

    /// Consecutive pieces of `chunk_len` elements (the last may be shorter), for the threads.
    pub fn into_chunks(self, chunk_len: usize) -> Vec<FloatSliceMut<'a>> {
        let chunk_len = chunk_len.max(1);
        match self {
            FloatSliceMut::F32(s) => s.chunks_mut(chunk_len).map(FloatSliceMut::F32).collect(),
            FloatSliceMut::F16(s) => s.chunks_mut(chunk_len).map(FloatSliceMut::F16).collect(),
            FloatSliceMut::BF16(s) => s.chunks_mut(chunk_len).map(FloatSliceMut::BF16).collect(),
        }
    }

    /// Stores float32 values (same length), rounding to nearest-even for the half formats.
    pub fn store_f32(&mut self, src: &[f32]) {
        match self {
            FloatSliceMut::F32(d) => d.copy_from_slice(src),
            FloatSliceMut::F16(d) => d.convert_from_f32_slice(src),
            FloatSliceMut::BF16(d) => d.convert_from_f32_slice(src),
        }
    }
}

/// An owned buffer of one of the formats: the staging row of a converting copy.
#[derive(Debug, Clone)]
pub enum FloatBuf {
    F32(Vec<f32>),
    F16(Vec<f16>),
    BF16(Vec<bf16>),
}

impl FloatBuf {
    pub fn zeros(kind: FloatKind, len: usize) -> FloatBuf {
        match kind {
            FloatKind::F32 => FloatBuf::F32(vec![0.0; len]),
            FloatKind::F16 => FloatBuf::F16(vec![f16::ZERO; len]),
            FloatKind::BF16 => FloatBuf::BF16(vec![bf16::ZERO; len]),
        }
    }

    pub fn as_ref(&self) -> FloatSlice<'_> {
        match self {
            FloatBuf::F32(v) => FloatSlice::F32(v),
            FloatBuf::F16(v) => FloatSlice::F16(v),
            FloatBuf::BF16(v) => FloatSlice::BF16(v),
        }
    }

    pub fn as_mut(&mut self) -> FloatSliceMut<'_> {
        match self {
            FloatBuf::F32(v) => FloatSliceMut::F32(v),
            FloatBuf::F16(v) => FloatSliceMut::F16(v),
            FloatBuf::BF16(v) => FloatSliceMut::BF16(v),
        }
    }
}

/// Element types whose every bit pattern is a valid value and that have no padding, so their
/// memory can be read and written as bytes.
trait Plain: Copy {}
impl Plain for f32 {}
impl Plain for f16 {}
impl Plain for bf16 {}

fn bytes_of<T: Plain>(s: &[T]) -> &[u8] {
    // SAFETY: `T` is plain data without padding (f32 or a 16-bit float), so every byte of the
    // slice is initialized; u8 has alignment 1 and the length covers exactly the same memory.
    unsafe { std::slice::from_raw_parts(s.as_ptr().cast::<u8>(), std::mem::size_of_val(s)) }
}

fn bytes_of_mut<T: Plain>(s: &mut [T]) -> &mut [u8] {
    // SAFETY: as in `bytes_of`; moreover every byte pattern is a valid `T`, so writes through the
    // byte view cannot create an invalid value, and the exclusive borrow is carried over.
    unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr().cast::<u8>(), std::mem::size_of_val(s)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bfloat16_rounds_to_nearest_even_and_keeps_nan() {
        let src = [1.0f32, f32::from_bits(0x3F80_8000), f32::from_bits(0x3F81_8000), f32::NAN, -0.0];
        let mut bits = [0u16; 5];
        FloatSliceMut::from_bits(FloatKind::BF16, &mut bits).unwrap().store_f32(&src);
        // 0x3F808000 is halfway: ties go to the even mantissa (0x3F80), 0x3F818000 up to 0x3F82.
        assert_eq!(&bits[..3], &[0x3F80, 0x3F80, 0x3F82]);
        assert!(bf16::from_bits(bits[3]).is_nan());
        assert_eq!(bits[4], 0x8000);
    }

    #[test]
    fn float16_round_trip_of_representable_values() {
        let src: Vec<f32> = (-40..40).map(|i| i as f32 * 0.125).collect();
        let mut bits = vec![0u16; src.len()];
        FloatSliceMut::from_bits(FloatKind::F16, &mut bits).unwrap().store_f32(&src);
        let mut back = vec![0f32; src.len()];
        FloatSlice::from_bits(FloatKind::F16, &bits).unwrap().to_f32(&mut back);
        assert_eq!(back, src);
    }

    #[test]
    fn bytes_view_covers_the_elements() {
        let v = [1.0f32, 2.0];
        let bytes = FloatSlice::F32(&v).as_bytes();
        assert_eq!(bytes.len(), 8);
        assert_eq!(&bytes[..4], &1.0f32.to_ne_bytes());
    }

    #[test]
    fn kinds_parse_by_numpy_name() {
        for k in [FloatKind::F32, FloatKind::F16, FloatKind::BF16] {
            assert_eq!(FloatKind::parse(k.name()).unwrap(), k);
        }
        assert!(FloatKind::parse("float64").is_err());
    }
}
