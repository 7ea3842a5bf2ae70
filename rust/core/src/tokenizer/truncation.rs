//! Truncation of a text or pair to a budget of tokens, with HF's strategies and stride.

use crate::error::{Error, Result};
use crate::tokenizer::encoding::{Direction, Encoding};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TruncationStrategy {
    LongestFirst,
    OnlyFirst,
    OnlySecond,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruncationParams {
    #[serde(default)]
    pub direction: Direction,
    pub max_length: usize,
    pub strategy: TruncationStrategy,
    #[serde(default)]
    pub stride: usize,
}

/// Truncates `first` (and `second`) so that together they hold at most `max_length` tokens;
/// what is cut off becomes overflowing windows when `windows` (see `Encoding::truncate`).
pub fn truncate(
    first: &mut Encoding,
    second: Option<&mut Encoding>,
    p: &TruncationParams,
    windows: bool,
) -> Result<()> {
    if p.max_length == 0 {
        first.truncate(0, p.stride, p.direction, windows);
        if let Some(s) = second {
            s.truncate(0, p.stride, p.direction, windows);
        }
        return Ok(());
    }
    let total = first.len() + second.as_ref().map_or(0, |s| s.len());
    if total <= p.max_length {
        return Ok(());
    }
    let to_remove = total - p.max_length;
    let check_stride = |keep: usize| -> Result<()> {
        if keep > 0 && p.stride >= keep {
            return Err(Error::InvalidArgument(format!(
                "stride ({}) must be smaller than the number of tokens kept per window ({keep}); \
                 the window is max_length minus the special tokens",
                p.stride
            )));
        }
        Ok(())
    };
    match p.strategy {
        TruncationStrategy::LongestFirst => match second {
            Some(second) => {
                // Cut the longer one first, down to an even split of the budget at most.
                let (mut n1, mut n2) = (first.len(), second.len());
                let swap = n1 > n2;
                if swap {
                    std::mem::swap(&mut n1, &mut n2);
                }
                n2 = if n1 > p.max_length { n1 } else { n2.min(n1.max(p.max_length - n1)) };
                if n1 + n2 > p.max_length {
                    n1 = p.max_length / 2;
                    n2 = n1 + p.max_length % 2;
                }
                if swap {
                    std::mem::swap(&mut n1, &mut n2);
                }
                for (enc, keep) in [(&mut *first, n1), (&mut *second, n2)] {
                    if keep < enc.len() {
                        check_stride(keep)?;
                    }
                    enc.truncate(keep, p.stride, p.direction, windows);
                }
            }
            None => {
                check_stride(p.max_length)?;
                first.truncate(p.max_length, p.stride, p.direction, windows);
            }
        },
        TruncationStrategy::OnlyFirst | TruncationStrategy::OnlySecond => {
            let target = if p.strategy == TruncationStrategy::OnlyFirst {
                first
            } else {
                second.ok_or_else(|| {
                    Error::InvalidArgument("truncation 'only_second' needs a pair of sequences".to_string())
                })?
            };
            if target.len() <= to_remove {
                return Err(Error::InvalidArgument(format!(
                    "cannot truncate: removing {to_remove} tokens would leave nothing of a sequence of {} \
                     tokens; use 'longest_first' or a larger max_length",
                    target.len()
                )));
            }
            let keep = target.len() - to_remove;
            check_stride(keep)?;
            target.truncate(keep, p.stride, p.direction, windows);
        }
    }
    Ok(())
}
