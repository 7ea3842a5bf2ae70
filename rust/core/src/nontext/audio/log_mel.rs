//! Whisper's log-mel features (`WhisperFeatureExtractor`): each waveform padded with zeros (or
//! cut) to a fixed length, a short-time Fourier transform with a periodic Hann window and
//! centred frames (reflect padding), the power spectrum through the mel filter bank, `log10`
//! floored at 1e-10, each waveform's values clamped from below at its maximum minus 8, then
//! `(x + 4) / 4`. Computed in f64 and returned as f32 `(n_mels, frames)` per waveform.

use super::mel::mel_filter_bank;
use crate::error::{Error, Result};
use crate::utils::memory::{try_with_capacity, try_zeroed};
use crate::utils::parallel;
use realfft::RealFftPlanner;

/// The feature extractor's settings (Whisper's defaults from `Default`).
#[derive(Clone, Debug)]
pub struct LogMelOptions {
    pub sampling_rate: usize,
    pub n_fft: usize,
    pub hop_length: usize,
    pub n_mels: usize,
    /// Every waveform is padded with zeros or cut to this many samples (30 s at 16 kHz).
    pub n_samples: usize,
}

impl Default for LogMelOptions {
    fn default() -> Self {
        LogMelOptions { sampling_rate: 16_000, n_fft: 400, hop_length: 160, n_mels: 80, n_samples: 480_000 }
    }
}

impl LogMelOptions {
    /// Frames per waveform: the centred STFT's `1 + n_samples / hop`, less the last one, which
    /// Whisper drops.
    pub fn frames(&self) -> usize {
        self.n_samples / self.hop_length
    }

    fn check(&self) -> Result<()> {
        if self.n_fft < 2 || self.hop_length == 0 || self.n_mels == 0 || self.sampling_rate == 0 {
            return Err(Error::InvalidArgument(
                "log-mel: n_fft must be at least 2, hop_length, n_mels and sampling_rate above 0".into(),
            ));
        }
        // Reflect padding of n_fft / 2 needs that many samples on each side.
        if self.n_samples <= self.n_fft / 2 {
            return Err(Error::InvalidArgument(format!(
                "log-mel: n_samples ({}) must exceed n_fft / 2 ({})",
                self.n_samples,
                self.n_fft / 2
            )));
        }
        Ok(())
    }
}

/// `(waveforms.len(), n_mels, frames)` row-major f32 features.
pub fn log_mel_spectrogram(waveforms: &[&[f32]], options: &LogMelOptions) -> Result<Vec<f32>> {
    options.check()?;
    let (n_fft, hop, n_mels, frames) = (options.n_fft, options.hop_length, options.n_mels, options.frames());
    let n_freqs = n_fft / 2 + 1;
    let bank = mel_filter_bank(n_freqs, n_mels, 0.0, options.sampling_rate as f64 / 2.0, options.sampling_rate as f64);
    // Periodic Hann: 0.5 - 0.5 cos(2 pi n / N).
    let window: Vec<f64> =
        (0..n_fft).map(|n| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * n as f64 / n_fft as f64).cos()).collect();
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n_fft);
    let per_wave = n_mels * frames;
    let total =
        waveforms.len().checked_mul(per_wave).ok_or_else(|| Error::OutOfMemory("log-mel: output too large".into()))?;
    let mut out: Vec<f32> = try_zeroed(total, "log-mel features")?;
    for (wave, features) in waveforms.iter().zip(out.chunks_mut(per_wave.max(1))) {
        let padded = centred(wave, options.n_samples, n_fft / 2)?;
        // log10 mel energies, (frames, n_mels), frames on the pool.
        let frame_ids: Vec<usize> = (0..frames).collect();
        let rows = parallel::map_chunks(&frame_ids, |_, group| -> Result<Vec<f64>> {
            let (mut input, mut spectrum) = (fft.make_input_vec(), fft.make_output_vec());
            let mut scratch = fft.make_scratch_vec();
            let mut power = vec![0.0; n_freqs];
            let mut rows = Vec::with_capacity(group.len() * n_mels);
            for &t in group {
                let start = t * hop;
                for (x, (&s, &w)) in input.iter_mut().zip(padded[start..start + n_fft].iter().zip(&window)) {
                    *x = s * w;
                }
                fft.process_with_scratch(&mut input, &mut spectrum, &mut scratch)
                    .map_err(|e| Error::InvalidArgument(format!("log-mel: FFT failed: {e}")))?;
                for (p, c) in power.iter_mut().zip(&spectrum) {
                    *p = c.norm_sqr();
                }
                for m in 0..n_mels {
                    let energy: f64 = (0..n_freqs).map(|k| bank[k * n_mels + m] * power[k]).sum();
                    rows.push(energy.max(1e-10).log10());
                }
            }
            Ok(rows)
        })?;
        let top = rows.iter().flatten().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        for (t, value) in rows.iter().flatten().enumerate() {
            let (frame, m) = (t / n_mels, t % n_mels);
            features[m * frames + frame] = ((value.max(top - 8.0) + 4.0) / 4.0) as f32;
        }
    }
    Ok(out)
}

/// The waveform cut or zero-padded to `n_samples`, then reflect-padded by `pad` on each side
/// (as `numpy.pad(mode="reflect")`: the edge sample is not repeated).
fn centred(wave: &[f32], n_samples: usize, pad: usize) -> Result<Vec<f64>> {
    let mut padded: Vec<f64> = try_with_capacity(n_samples.saturating_add(2 * pad), "log-mel n_samples")?;
    let sample = |i: usize| wave.get(i).map_or(0.0, |&v| v as f64); // zeros past the end
    padded.extend((1..=pad).rev().map(sample));
    padded.extend((0..n_samples).map(sample));
    padded.extend((1..=pad).map(|i| sample(n_samples - 1 - i)));
    Ok(padded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect_padding_does_not_repeat_the_edge() {
        assert_eq!(centred(&[1.0, 2.0, 3.0, 4.0], 4, 2).unwrap(), vec![3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 2.0]);
        assert_eq!(centred(&[1.0, 2.0], 4, 1).unwrap(), vec![2.0, 1.0, 2.0, 0.0, 0.0, 0.0]);
        assert_eq!(centred(&[1.0, 2.0, 3.0, 4.0, 5.0], 3, 1).unwrap(), vec![2.0, 1.0, 2.0, 3.0, 2.0]);
    }

    #[test]
    fn a_pure_tone_peaks_in_the_mel_band_of_its_frequency() {
        let options = LogMelOptions { n_samples: 16_000, ..LogMelOptions::default() };
        let tone: Vec<f32> =
            (0..16_000).map(|n| (2.0 * std::f32::consts::PI * 1000.0 * n as f32 / 16_000.0).sin()).collect();
        let features = log_mel_spectrogram(&[&tone], &options).unwrap();
        let frames = options.frames();
        let column = |m: usize| features[m * frames + frames / 2];
        let best = (0..80).max_by(|&a, &b| column(a).total_cmp(&column(b))).unwrap();
        let bank = mel_filter_bank(201, 80, 0.0, 8000.0, 16000.0);
        // The 1 kHz bin is 25 (of 201 from 0 to 8 kHz); the loudest band weighs it most.
        let heaviest = (0..80).max_by(|&a, &b| bank[25 * 80 + a].total_cmp(&bank[25 * 80 + b])).unwrap();
        assert_eq!(best, heaviest);
    }

    #[test]
    fn bad_settings_are_errors() {
        let options = LogMelOptions { n_samples: 100, ..LogMelOptions::default() };
        assert!(log_mel_spectrogram(&[&[0.0; 10]], &options).is_err());
    }
}
