//! Inverse frequencies and attention scaling of rotary embeddings, one function per scaling type
//! of HF `transformers.modeling_rope_utils` (default, linear, dynamic NTK, YaRN, Llama 3).
//!
//! HF computes the frequencies on float32 tensors and the scalars around them in Python doubles.
//! We mirror that split: f32 for every tensor operation, one rounding each, in torch's order
//! (`1.0 / t` is `reciprocal(t) * 1.0`, a Python scalar meets a float32 tensor as an f32), and
//! f64 for the Python scalars. The powers `theta^(2i/dim)` are correctly rounded f32 values,
//! computed in f64. Frequencies then agree with HF to the bit, which matters: an ulp of
//! `inv_freq` times a position of a few thousand is already a visible angle error.
//!
//! The scaling parameters arrive as HF's `rope_parameters` JSON object (or its older
//! `rope_scaling` spelling) and are checked here, so that every caller gets the same errors.

use crate::{Error, Result};
use serde_json::{Map, Value};
use std::f64::consts::PI;

/// YaRN parameters (`rope_type: "yarn"`), with HF's defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Yarn {
    pub factor: f64,
    pub original_max_position_embeddings: usize,
    /// Explicit `attention_factor`; otherwise derived from `factor`, `mscale`, `mscale_all_dim`.
    pub attention_factor: Option<f64>,
    pub beta_fast: f64,
    pub beta_slow: f64,
    pub mscale: Option<f64>,
    pub mscale_all_dim: Option<f64>,
    /// Round the correction range outward to whole dimensions (HF's default, `true`).
    pub truncate: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RopeScaling {
    Default,
    Linear {
        factor: f64,
    },
    /// Dynamic NTK: the base grows with the sequence length once it exceeds `max_position_embeddings`.
    Dynamic {
        factor: f64,
        max_position_embeddings: usize,
    },
    Yarn(Yarn),
    Llama3 {
        factor: f64,
        low_freq_factor: f64,
        high_freq_factor: f64,
        original_max_position_embeddings: usize,
    },
}

/// What the rotary kernel needs: one inverse frequency per rotated pair, and the factor HF
/// multiplies `cos` and `sin` by.
#[derive(Debug, Clone, PartialEq)]
pub struct Frequencies {
    pub inv_freq: Vec<f32>,
    pub attention_scaling: f64,
}

const SCALING_TYPES: &str = "default, linear, dynamic, yarn, llama3";

struct Params<'a> {
    rope_type: String,
    map: &'a Map<String, Value>,
}

impl Params<'_> {
    fn number(&self, key: &str) -> Result<Option<f64>> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(v) if v.is_finite() => Ok(Some(v)),
                _ => Err(self.bad(key, "a finite number")),
            },
            Some(_) => Err(self.bad(key, "a number")),
        }
    }

    fn required(&self, key: &str) -> Result<f64> {
        self.number(key)?.ok_or_else(|| {
            Error::InvalidArgument(format!("scaling[\"{key}\"] is required for rope_type \"{}\"", self.rope_type))
        })
    }

    fn positive(&self, key: &str) -> Result<f64> {
        let v = self.required(key)?;
        if v <= 0.0 {
            return Err(self.bad(key, "positive"));
        }
        Ok(v)
    }

    /// A length: from the parameters, else the model's `max_position_embeddings` (HF's fallback).
    fn length(&self, key: &str, fallback: Option<usize>) -> Result<usize> {
        match self.number(key)? {
            Some(v) if v >= 1.0 && v.fract() == 0.0 && v <= u32::MAX as f64 => Ok(v as usize),
            Some(_) => Err(self.bad(key, "a positive integer")),
            None => fallback.filter(|&n| n > 0).ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "rope_type \"{}\" needs scaling[\"{key}\"] or max_position_embeddings",
                    self.rope_type
                ))
            }),
        }
    }

    fn bad(&self, key: &str, what: &str) -> Error {
        let got = self.map.get(key).map(|v| v.to_string()).unwrap_or_default();
        Error::InvalidArgument(format!("scaling[\"{key}\"] must be {what}, got {got}"))
    }
}

impl RopeScaling {
    /// Parses HF's `rope_parameters` / `rope_scaling` object. The type is `rope_type` (or the
    /// older `type`); `rope_theta` and `partial_rotary_factor` belong to the caller and are
    /// rejected here; any other unknown key is an error rather than silently ignored.
    /// `max_position_embeddings` is the model's: dynamic needs it, and yarn/llama3 fall back to it
    /// for `original_max_position_embeddings` as HF does.
    pub fn from_hf_json(json: &str, max_position_embeddings: Option<usize>) -> Result<RopeScaling> {
        let value: Value = serde_json::from_str(json)
            .map_err(|e| Error::InvalidArgument(format!("scaling is not valid JSON: {e}")))?;
        let Value::Object(map) = value else {
            return Err(Error::InvalidArgument(format!("scaling must be an object, got {value}")));
        };
        let type_of = |key: &str| match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(Error::InvalidArgument(format!("scaling[\"{key}\"] must be a string, got {other}"))),
        };
        let rope_type = match (type_of("rope_type")?, type_of("type")?) {
            (Some(a), Some(b)) if a != b => {
                return Err(Error::InvalidArgument(format!(
                    "scaling has rope_type \"{a}\" and type \"{b}\"; give one, or the same"
                )))
            }
            (Some(a), _) | (None, Some(a)) => a,
            (None, None) => "default".to_string(),
        };
        let allowed: &[&str] = match rope_type.as_str() {
            "default" => &[],
            "linear" => &["factor"],
            "dynamic" => &["factor"],
            "yarn" => &[
                "factor",
                "original_max_position_embeddings",
                "attention_factor",
                "beta_fast",
                "beta_slow",
                "mscale",
                "mscale_all_dim",
                "truncate",
            ],
            "llama3" => &["factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"],
            other => {
                return Err(Error::InvalidArgument(format!(
                    "scaling rope_type \"{other}\" is not supported (supported: {SCALING_TYPES})"
                )))
            }
        };
        if let Some(key) =
            map.keys().find(|k| !matches!(k.as_str(), "rope_type" | "type") && !allowed.contains(&k.as_str()))
        {
            return Err(Error::InvalidArgument(format!(
                "scaling key \"{key}\" is not a parameter of rope_type \"{rope_type}\" (allowed: {})",
                if allowed.is_empty() { "none".to_string() } else { allowed.join(", ") }
            )));
        }
        let p = Params { rope_type: rope_type.clone(), map: &map };
        Ok(match rope_type.as_str() {
            "default" => RopeScaling::Default,
            "linear" => RopeScaling::Linear { factor: p.positive("factor")? },
            "dynamic" => RopeScaling::Dynamic {
                factor: p.positive("factor")?,
                max_position_embeddings: max_position_embeddings.filter(|&n| n > 0).ok_or_else(|| {
                    Error::InvalidArgument("rope_type \"dynamic\" needs max_position_embeddings".into())
                })?,
            },
            "yarn" => {
                let original = p.length("original_max_position_embeddings", max_position_embeddings)?;
                // HF: a missing factor is the ratio of the extended to the original context.
                let factor = match p.number("factor")? {
                    Some(f) if f > 0.0 => f,
                    Some(_) => return Err(p.bad("factor", "positive")),
                    None => match max_position_embeddings {
                        Some(m) => m as f64 / original as f64,
                        None => {
                            return Err(Error::InvalidArgument(
                                "rope_type \"yarn\" needs scaling[\"factor\"] or max_position_embeddings".into(),
                            ))
                        }
                    },
                };
                let truncate = match map.get("truncate") {
                    None | Some(Value::Null) => true,
                    Some(Value::Bool(b)) => *b,
                    Some(_) => return Err(p.bad("truncate", "true or false")),
                };
                // HF reads `beta_fast or 32`: a zero counts as missing.
                let beta_fast = p.number("beta_fast")?.filter(|&v| v != 0.0).unwrap_or(32.0);
                let beta_slow = p.number("beta_slow")?.filter(|&v| v != 0.0).unwrap_or(1.0);
                if beta_fast <= 0.0 || beta_slow <= 0.0 {
                    return Err(p.bad(if beta_fast <= 0.0 { "beta_fast" } else { "beta_slow" }, "positive"));
                }
                RopeScaling::Yarn(Yarn {
                    factor,
                    original_max_position_embeddings: original,
                    attention_factor: p.number("attention_factor")?,
                    beta_fast,
                    beta_slow,
                    mscale: p.number("mscale")?,
                    mscale_all_dim: p.number("mscale_all_dim")?,
                    truncate,
                })
            }
            _ => {
                let low_freq_factor = p.positive("low_freq_factor")?;
                let high_freq_factor = p.positive("high_freq_factor")?;
                if high_freq_factor <= low_freq_factor {
                    return Err(Error::InvalidArgument(format!(
                        "scaling[\"high_freq_factor\"] ({high_freq_factor}) must exceed scaling[\"low_freq_factor\"] \
                         ({low_freq_factor})"
                    )));
                }
                RopeScaling::Llama3 {
                    factor: p.positive("factor")?,
                    low_freq_factor,
                    high_freq_factor,
                    original_max_position_embeddings: p
                        .length("original_max_position_embeddings", max_position_embeddings)?,
                }
            }
        })
    }

    pub fn rope_type(&self) -> &'static str {
        match self {
            RopeScaling::Default => "default",
            RopeScaling::Linear { .. } => "linear",
            RopeScaling::Dynamic { .. } => "dynamic",
            RopeScaling::Yarn(_) => "yarn",
            RopeScaling::Llama3 { .. } => "llama3",
        }
    }

    /// Frequencies for rotating `dim` dimensions (`dim / 2` pairs) with base `theta`.
    /// `seq_len` matters only for dynamic scaling (HF: the largest position plus one; below
    /// `max_position_embeddings` the frequencies are the unscaled ones).
    pub fn frequencies(&self, dim: usize, theta: f64, seq_len: Option<usize>) -> Frequencies {
        let unscaled = || powers(dim, theta).into_iter().map(|p| 1.0 / p).collect::<Vec<f32>>();
        match self {
            RopeScaling::Default => Frequencies { inv_freq: unscaled(), attention_scaling: 1.0 },
            RopeScaling::Linear { factor } => {
                let f = *factor as f32;
                Frequencies { inv_freq: unscaled().into_iter().map(|v| v / f).collect(), attention_scaling: 1.0 }
            }
            RopeScaling::Dynamic { factor, max_position_embeddings } => {
                let max = *max_position_embeddings as f64;
                let len = seq_len.map_or(max, |s| (s as f64).max(max));
                let grown = theta * (factor * len / max - (factor - 1.0)).powf(dim as f64 / (dim as f64 - 2.0));
                let inv_freq = powers(dim, grown).into_iter().map(|p| 1.0 / p).collect();
                Frequencies { inv_freq, attention_scaling: 1.0 }
            }
            RopeScaling::Yarn(y) => yarn(y, dim, theta),
            RopeScaling::Llama3 { factor, low_freq_factor, high_freq_factor, original_max_position_embeddings } => {
                llama3(unscaled(), *factor, *low_freq_factor, *high_freq_factor, *original_max_position_embeddings)
            }
        }
    }
}

/// `theta ** (arange(0, dim, 2).float() / dim)` as torch computes it: the exponent divided in
/// f32, the base a Python scalar taken as f32, the power rounded once to f32.
fn powers(dim: usize, theta: f64) -> Vec<f32> {
    let base = theta as f32 as f64;
    (0..dim).step_by(2).map(|i| base.powf(((i as f32) / (dim as f32)) as f64) as f32).collect()
}

fn yarn(y: &Yarn, dim: usize, theta: f64) -> Frequencies {
    let get_mscale = |scale: f64, mscale: f64| if scale <= 1.0 { 1.0 } else { 0.1 * mscale * scale.ln() + 1.0 };
    let attention_scaling = match (y.attention_factor, y.mscale, y.mscale_all_dim) {
        (Some(a), _, _) => a,
        // HF tests `if mscale and mscale_all_dim`: zero counts as missing.
        (None, Some(m), Some(all)) if m != 0.0 && all != 0.0 => get_mscale(y.factor, m) / get_mscale(y.factor, all),
        _ => get_mscale(y.factor, 1.0),
    };
    // Dimension at which a frequency completes `rotations` turns over the original context (Python doubles).
    let correction_dim = |rotations: f64| {
        (dim as f64 * (y.original_max_position_embeddings as f64 / (rotations * 2.0 * PI)).ln()) / (2.0 * theta.ln())
    };
    let (mut low, mut high) = (correction_dim(y.beta_fast), correction_dim(y.beta_slow));
    if y.truncate {
        low = low.floor();
        high = high.ceil();
    }
    let low = low.max(0.0);
    let mut high = high.min(dim as f64 - 1.0);
    if low == high {
        high += 0.001; // HF: avoids dividing by zero in the ramp
    }
    let (low32, span32) = (low as f32, (high - low) as f32);
    let factor = y.factor as f32;
    let inv_freq = powers(dim, theta)
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let extrapolation = 1.0 / p;
            let interpolation = 1.0 / (factor * p);
            let ramp = ((i as f32 - low32) / span32).clamp(0.0, 1.0);
            let keep = 1.0 - ramp; // share of the unscaled frequency
            interpolation * (1.0 - keep) + extrapolation * keep
        })
        .collect();
    Frequencies { inv_freq, attention_scaling }
}

fn llama3(
    inv_freq: Vec<f32>,
    factor: f64,
    low_freq_factor: f64,
    high_freq_factor: f64,
    original: usize,
) -> Frequencies {
    let old = original as f64;
    let (low_wavelen, high_wavelen) = ((old / low_freq_factor) as f32, (old / high_freq_factor) as f32);
    let (factor, old, low, span) =
        (factor as f32, old as f32, low_freq_factor as f32, (high_freq_factor - low_freq_factor) as f32);
    let two_pi = (2.0 * PI) as f32;
    let inv_freq = inv_freq
        .into_iter()
        .map(|f| {
            let wavelen = (1.0 / f) * two_pi;
            let scaled = if wavelen > low_wavelen { f / factor } else { f };
            if wavelen < high_wavelen || wavelen > low_wavelen {
                return scaled;
            }
            let smooth = ((1.0 / wavelen) * old - low) / span;
            (1.0 - smooth) * scaled / factor + smooth * scaled
        })
        .collect();
    Frequencies { inv_freq, attention_scaling: 1.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<RopeScaling> {
        RopeScaling::from_hf_json(json, Some(2048))
    }

    #[test]
    fn positional_rope_scaling_default_frequencies() {
        let f = RopeScaling::Default.frequencies(8, 10000.0, None);
        let want: Vec<f32> = (0..4).map(|i| 1.0 / 10000f64.powf(2.0 * i as f64 / 8.0) as f32).collect();
        for (a, b) in f.inv_freq.iter().zip(&want) {
            assert!((a - b).abs() <= b * 2.0 * f32::EPSILON);
        }
        assert_eq!(f.inv_freq[0], 1.0);
        assert_eq!(f.attention_scaling, 1.0);
    }

    #[test]
    fn positional_rope_scaling_linear_divides_by_factor() {
        let base = RopeScaling::Default.frequencies(64, 10000.0, None).inv_freq;
        let lin = parse(r#"{"type": "linear", "factor": 4.0}"#).unwrap().frequencies(64, 10000.0, None).inv_freq;
        assert!(base.iter().zip(&lin).all(|(b, l)| *l == b / 4.0));
    }

    #[test]
    fn positional_rope_scaling_dynamic_is_default_up_to_max_positions() {
        let d = parse(r#"{"rope_type": "dynamic", "factor": 2.0}"#).unwrap();
        let base = RopeScaling::Default.frequencies(64, 10000.0, None);
        assert_eq!(d.frequencies(64, 10000.0, Some(100)), base);
        assert_eq!(d.frequencies(64, 10000.0, None), base);
        let longer = d.frequencies(64, 10000.0, Some(4096)).inv_freq;
        assert_eq!(longer[0], 1.0);
        assert!(longer[1..].iter().zip(&base.inv_freq[1..]).all(|(l, b)| l < b));
    }

    #[test]
    fn positional_rope_scaling_yarn_blends_between_extrapolation_and_interpolation() {
        let y = parse(r#"{"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 4096}"#).unwrap();
        let f = y.frequencies(64, 500000.0, None);
        let base = RopeScaling::Default.frequencies(64, 500000.0, None).inv_freq;
        assert_eq!(f.inv_freq[0], base[0]);
        assert_eq!(f.inv_freq[31], 1.0 / (4.0 * (1.0 / base[31])));
        assert!((f.attention_scaling - (0.1 * 4f64.ln() + 1.0)).abs() < 1e-15);
        let m = parse(r#"{"rope_type": "yarn", "factor": 40, "mscale": 0.707, "mscale_all_dim": 0.707}"#).unwrap();
        assert_eq!(m.frequencies(64, 10000.0, None).attention_scaling, 1.0);
        let a = parse(r#"{"rope_type": "yarn", "factor": 2, "attention_factor": 0.5}"#).unwrap();
        assert_eq!(a.frequencies(64, 10000.0, None).attention_scaling, 0.5);
    }

    #[test]
    fn positional_rope_scaling_yarn_factor_defaults_to_the_context_ratio() {
        let y = parse(r#"{"rope_type": "yarn", "original_max_position_embeddings": 512}"#).unwrap();
        match y {
            RopeScaling::Yarn(y) => assert_eq!(y.factor, 4.0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn positional_rope_scaling_llama3_keeps_high_and_divides_low_frequencies() {
        let l = parse(
            r#"{"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                "original_max_position_embeddings": 8192}"#,
        )
        .unwrap();
        let f = l.frequencies(64, 500000.0, None).inv_freq;
        let base = RopeScaling::Default.frequencies(64, 500000.0, None).inv_freq;
        assert_eq!(f[0], base[0]);
        assert_eq!(f[31], base[31] / 8.0);
    }

    #[test]
    fn positional_rope_scaling_errors_name_the_key() {
        let err = |j: &str| match parse(j) {
            Err(Error::InvalidArgument(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(err(r#"{"rope_type": "linear"}"#).contains("\"factor\""));
        assert!(err(r#"{"rope_type": "linear", "factor": "4"}"#).contains("\"factor\""));
        assert!(err(r#"{"rope_type": "longrope"}"#).contains("longrope"));
        assert!(err(r#"{"rope_type": "linear", "factor": 2, "low_freq_factor": 1}"#).contains("low_freq_factor"));
        assert!(err(r#"{"rope_type": "linear", "type": "yarn", "factor": 2}"#).contains("type"));
        assert!(err(r#"{"rope_type": "llama3", "factor": 8, "low_freq_factor": 4, "high_freq_factor": 1}"#)
            .contains("high_freq_factor"));
        assert!(err("[1]").contains("object"));
        assert!(err("{").contains("JSON"));
        assert!(RopeScaling::from_hf_json(r#"{"type": "dynamic", "factor": 2}"#, None).is_err());
        assert_eq!(parse("{}").unwrap(), RopeScaling::Default);
    }
}
