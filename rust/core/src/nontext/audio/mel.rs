//! The mel filter bank of Whisper's feature extractor: triangular filters between mel-spaced
//! frequencies on the Slaney scale (linear below 1 kHz, logarithmic above), each scaled to unit
//! area ("Slaney" normalisation), as librosa and HF's `mel_filter_bank(norm="slaney",
//! mel_scale="slaney")` define them.

const MIN_LOG_HERTZ: f64 = 1000.0;
const MIN_LOG_MEL: f64 = 15.0; // 1000 Hz at 200/3 Hz per mel
const LOG_STEP: f64 = 27.0; // mels per log(6.4) above 1 kHz

fn hertz_to_mel(f: f64) -> f64 {
    if f < MIN_LOG_HERTZ {
        3.0 * f / 200.0
    } else {
        MIN_LOG_MEL + (f / MIN_LOG_HERTZ).ln() * LOG_STEP / 6.4f64.ln()
    }
}

fn mel_to_hertz(m: f64) -> f64 {
    if m < MIN_LOG_MEL {
        200.0 * m / 3.0
    } else {
        MIN_LOG_HERTZ * ((m - MIN_LOG_MEL) * 6.4f64.ln() / LOG_STEP).exp()
    }
}

/// `(n_freqs, n_mels)` row-major: the weight of FFT bin `k` (of `n_freqs` from 0 to
/// `sampling_rate / 2`) in mel filter `m`, filters spanning `min_hz..max_hz`.
pub fn mel_filter_bank(n_freqs: usize, n_mels: usize, min_hz: f64, max_hz: f64, sampling_rate: f64) -> Vec<f64> {
    let (lo, hi) = (hertz_to_mel(min_hz), hertz_to_mel(max_hz));
    // n_mels + 2 edges, evenly spaced in mels.
    let edges: Vec<f64> =
        (0..n_mels + 2).map(|i| mel_to_hertz(lo + (hi - lo) * i as f64 / (n_mels + 1) as f64)).collect();
    let nyquist = sampling_rate / 2.0;
    let mut bank = vec![0.0; n_freqs * n_mels];
    for k in 0..n_freqs {
        let f = if n_freqs > 1 { nyquist * k as f64 / (n_freqs - 1) as f64 } else { 0.0 };
        for m in 0..n_mels {
            let down = (f - edges[m]) / (edges[m + 1] - edges[m]);
            let up = (edges[m + 2] - f) / (edges[m + 2] - edges[m + 1]);
            let area = 2.0 / (edges[m + 2] - edges[m]);
            bank[k * n_mels + m] = down.min(up).max(0.0) * area;
        }
    }
    bank
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_is_linear_below_1khz_and_inverts() {
        assert!((hertz_to_mel(600.0) - 9.0).abs() < 1e-12);
        for f in [0.0, 440.0, 999.0, 1000.0, 4000.0, 8000.0] {
            assert!((mel_to_hertz(hertz_to_mel(f)) - f).abs() < 1e-9, "{f}");
        }
    }

    #[test]
    fn each_filter_is_a_triangle_of_unit_area_in_hertz() {
        let bank = mel_filter_bank(2001, 10, 0.0, 8000.0, 16000.0);
        for m in 0..10 {
            let area: f64 = (0..2001).map(|k| bank[k * 10 + m] * 4.0).sum();
            assert!((area - 1.0).abs() < 0.02, "filter {m}: {area}");
        }
    }
}
