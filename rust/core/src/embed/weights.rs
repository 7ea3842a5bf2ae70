//! Float tensors by name from a `.safetensors` file (the format of HF checkpoints).
//!
//! The file is memory-mapped, so reading one table from a multi-GB checkpoint touches only that
//! table's bytes. Values are decoded from little-endian bytes into owned, aligned vectors: the
//! data in the file has no alignment guarantee, and tables outlive the mapping.

use crate::embed::table::dtype::FloatKind;
use crate::{Error, Result};
use safetensors::{Dtype, SafeTensors};
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
    F32(Vec<f32>),
    /// float16 or bfloat16 bit patterns, as the tensor's `kind` says.
    Bits16(Vec<u16>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FloatTensor {
    pub kind: FloatKind,
    pub shape: Vec<usize>,
    pub data: TensorData,
}

/// Reads the tensors `names`, in that order. Each must be F32, F16 or BF16.
pub fn read_float_tensors(path: &Path, names: &[&str]) -> Result<Vec<FloatTensor>> {
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|e| Error::Io(format!("{shown}: {e}")))?;
    // SAFETY: the mapping is read-only and dropped before we return; like every reader of
    // checkpoints we assume nobody truncates or rewrites the file while we read it.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::Io(format!("{shown}: {e}")))?;
    let file = SafeTensors::deserialize(&map)
        .map_err(|e| Error::InvalidArgument(format!("{shown} is not a valid safetensors file: {e}")))?;
    names.iter().map(|&name| read_one(&file, name, &shown.to_string())).collect()
}

fn read_one(file: &SafeTensors<'_>, name: &str, shown: &str) -> Result<FloatTensor> {
    let view = file.tensor(name).map_err(|_| {
        let mut names = file.names();
        names.sort();
        Error::InvalidArgument(format!("{shown} has no tensor named {name:?}; it has: {}", names.join(", ")))
    })?;
    let bytes = view.data();
    let (kind, data) = match view.dtype() {
        Dtype::F32 => (
            FloatKind::F32,
            TensorData::F32(bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()),
        ),
        Dtype::F16 => (FloatKind::F16, TensorData::Bits16(bits16(bytes))),
        Dtype::BF16 => (FloatKind::BF16, TensorData::Bits16(bits16(bytes))),
        other => {
            return Err(Error::InvalidArgument(format!(
                "{shown}: tensor {name:?} is {other:?}; embedding tables must be F32, F16 or BF16"
            )))
        }
    };
    Ok(FloatTensor { kind, shape: view.shape().to_vec(), data })
}

fn bits16(bytes: &[u8]) -> Vec<u16> {
    bytes.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A safetensors file written by hand from the format's definition: 8-byte little-endian
    /// header length, JSON header, data.
    fn write_file(dir: &Path) -> std::path::PathBuf {
        let header = r#"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"BF16","shape":[3],"data_offsets":[16,22]},"c":{"dtype":"I64","shape":[1],"data_offsets":[22,30]}}"#;
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header.as_bytes());
        for v in [1.0f32, -2.0, 3.5, 0.25] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        for v in [0x3F80u16, 0x4000, 0xC040] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        bytes.extend_from_slice(&7i64.to_le_bytes());
        let path = dir.join(format!("tokembed_test_{}.safetensors", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn reads_named_float_tensors_and_refuses_the_rest() {
        let path = write_file(&std::env::temp_dir());
        let got = read_float_tensors(&path, &["b", "a"]).unwrap();
        assert_eq!(
            got[0],
            FloatTensor {
                kind: FloatKind::BF16,
                shape: vec![3],
                data: TensorData::Bits16(vec![0x3F80, 0x4000, 0xC040])
            }
        );
        assert_eq!(
            got[1],
            FloatTensor { kind: FloatKind::F32, shape: vec![2, 2], data: TensorData::F32(vec![1.0, -2.0, 3.5, 0.25]) }
        );
        let missing = read_float_tensors(&path, &["zz"]).unwrap_err().to_string();
        assert!(missing.contains("no tensor named \"zz\"") && missing.contains("a, b, c"), "{missing}");
        assert!(read_float_tensors(&path, &["c"]).unwrap_err().to_string().contains("I64"));
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(read_float_tensors(&path, &["a"]), Err(Error::Io(_))));
    }
}
