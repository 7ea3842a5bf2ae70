//! Whisper's log-mel features (`WhisperFeatureExtractor`): each waveform padded with zeros (or
//! cut) to a fixed length, a short-time Fourier transform with a periodic Hann window and
//! centred frames (reflect padding), the power spectrum through the mel filter bank, `log10`
//! floored at 1e-10, each waveform's values clamped from below at its maximum minus 8, then
//! `(x + 4) / 4`. Computed in f64 and returned as f32 `(n_mels, frames)` per waveform.

use super::mel::mel_filter_bank;
use crate::error::{Error, Result};
use crate::utils::memory::{try_with_capacity, try_zeroed};
use crate::utils::parallel;
use realfft::{RealFftPlanner, RealToComplex};

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

/// `(waveforms.len(), n_mels, frames)` row-major f32 features. A batch of at least as many
/// waveforms as threads is shared out by waveform (each computed whole on one thread, nothing
/// serial left); fewer waveforms share out their frames.
pub fn log_mel_spectrogram(waveforms: &[&[f32]], options: &LogMelOptions) -> Result<Vec<f32>> {
    options.check()?;
    let per_wave = options.n_mels * options.frames();
    let total =
        waveforms.len().checked_mul(per_wave).ok_or_else(|| Error::OutOfMemory("log-mel: output too large".into()))?;
    let mut out: Vec<f32> = try_with_capacity(total, "log-mel features")?;
    let extractor = Extractor::new(options);
    if waveforms.len() >= parallel::num_threads() {
        let parts = parallel::map_chunks(waveforms, |_, group| -> Result<Vec<f32>> {
            let mut part = Vec::with_capacity(group.len() * per_wave);
            for wave in group {
                part.extend(extractor.features(wave, false)?);
            }
            Ok(part)
        })?;
        parts.iter().for_each(|part| out.extend_from_slice(part));
    } else {
        for wave in waveforms {
            out.extend(extractor.features(wave, true)?);
        }
    }
    Ok(out)
}

/// What every waveform shares: the filters, the window and the FFT plan.
struct Extractor<'a> {
    options: &'a LogMelOptions,
    /// Each mel filter's nonzero run of bins: (first bin, weights).
    filters: Vec<(usize, Vec<f64>)>,
    window: Vec<f64>,
    fft: std::sync::Arc<dyn RealToComplex<f64>>,
}

impl<'a> Extractor<'a> {
    fn new(options: &'a LogMelOptions) -> Self {
        let (n_fft, n_mels) = (options.n_fft, options.n_mels);
        let n_freqs = n_fft / 2 + 1;
        let rate = options.sampling_rate as f64;
        let bank = mel_filter_bank(n_freqs, n_mels, 0.0, rate / 2.0, rate);
        // Each triangle covers a few bins: its nonzero run makes the mel step ~2 * n_freqs
        // products per frame instead of n_freqs * n_mels. The zeros skipped add nothing, so the
        // sums are those of the dense product, in the same order.
        let filters = (0..n_mels)
            .map(|m| {
                let column: Vec<f64> = (0..n_freqs).map(|k| bank[k * n_mels + m]).collect();
                let first = column.iter().position(|&w| w != 0.0).unwrap_or(0);
                let end = column.iter().rposition(|&w| w != 0.0).map_or(first, |last| last + 1);
                (first, column[first..end].to_vec())
            })
            .collect();
        // Periodic Hann: 0.5 - 0.5 cos(2 pi n / N).
        let window =
            (0..n_fft).map(|n| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * n as f64 / n_fft as f64).cos()).collect();
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n_fft);
        Extractor { options, filters, window, fft }
    }

    /// `(n_mels, frames)` features of one waveform; its frames on the pool if `in_parallel`.
    fn features(&self, wave: &[f32], in_parallel: bool) -> Result<Vec<f32>> {
        let (n_mels, frames) = (self.options.n_mels, self.options.frames());
        let signal = Centred { wave, n_samples: self.options.n_samples, pad: self.options.n_fft / 2 };
        let frame_ids: Vec<usize> = (0..frames).collect();
        let rows = if in_parallel {
            parallel::map_chunks(&frame_ids, |_, group| self.log_mel_rows(&signal, group))?
        } else {
            vec![self.log_mel_rows(&signal, &frame_ids)?]
        };
        let top = rows.iter().flatten().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        let mut features: Vec<f32> = try_zeroed(n_mels * frames, "log-mel features")?;
        for (t, value) in rows.iter().flatten().enumerate() {
            let (frame, m) = (t / n_mels, t % n_mels);
            features[m * frames + frame] = ((value.max(top - 8.0) + 4.0) / 4.0) as f32;
        }
        Ok(features)
    }

    /// log10 mel energies of the given frames, `(frames.len(), n_mels)`.
    fn log_mel_rows(&self, signal: &Centred, frames: &[usize]) -> Result<Vec<f64>> {
        let (n_fft, hop) = (self.options.n_fft, self.options.hop_length);
        let (mut input, mut spectrum) = (self.fft.make_input_vec(), self.fft.make_output_vec());
        let mut scratch = self.fft.make_scratch_vec();
        let mut power = vec![0.0; n_fft / 2 + 1];
        let mut rows = Vec::with_capacity(frames.len() * self.filters.len());
        for &t in frames {
            signal.frame(t * hop, &self.window, &mut input);
            self.fft
                .process_with_scratch(&mut input, &mut spectrum, &mut scratch)
                .map_err(|e| Error::InvalidArgument(format!("log-mel: FFT failed: {e}")))?;
            for (p, c) in power.iter_mut().zip(&spectrum) {
                *p = c.norm_sqr();
            }
            for (first, weights) in &self.filters {
                let energy: f64 = weights.iter().zip(&power[*first..]).map(|(w, p)| w * p).sum();
                rows.push(energy.max(1e-10).log10());
            }
        }
        Ok(rows)
    }
}

/// The waveform as the STFT sees it, without copying it: cut or zero-padded to `n_samples`,
/// then reflect-padded by `pad` on each side (as `numpy.pad(mode="reflect")`: the edge sample
/// is not repeated). `n_samples > pad` (checked by the options).
struct Centred<'a> {
    wave: &'a [f32],
    n_samples: usize,
    pad: usize,
}

impl Centred<'_> {
    /// Sample `i` of the padded signal (`0 <= i < n_samples + 2 * pad`).
    fn at(&self, i: usize) -> f64 {
        let j = if i < self.pad {
            self.pad - i // reflected at the start
        } else if i - self.pad < self.n_samples {
            i - self.pad
        } else {
            2 * (self.n_samples - 1) - (i - self.pad) // reflected at the end
        };
        self.wave.get(j).map_or(0.0, |&v| v as f64) // zeros past the waveform's end
    }

    /// `window` times the padded samples from `start`, into `out`.
    fn frame(&self, start: usize, window: &[f64], out: &mut [f64]) {
        let n = window.len();
        let inside = start >= self.pad && start + n <= self.pad + self.n_samples.min(self.wave.len());
        if inside {
            let samples = &self.wave[start - self.pad..start - self.pad + n];
            for ((x, &s), &w) in out.iter_mut().zip(samples).zip(window) {
                *x = s as f64 * w;
            }
        } else {
            for (k, (x, &w)) in out.iter_mut().zip(window).enumerate() {
                *x = self.at(start + k) * w;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect_padding_does_not_repeat_the_edge() {
        let padded = |wave: &[f32], n_samples, pad| {
            let signal = Centred { wave, n_samples, pad };
            (0..n_samples + 2 * pad).map(|i| signal.at(i)).collect::<Vec<_>>()
        };
        assert_eq!(padded(&[1.0, 2.0, 3.0, 4.0], 4, 2), vec![3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 2.0]);
        assert_eq!(padded(&[1.0, 2.0], 4, 1), vec![2.0, 1.0, 2.0, 0.0, 0.0, 0.0]);
        assert_eq!(padded(&[1.0, 2.0, 3.0, 4.0, 5.0], 3, 1), vec![2.0, 1.0, 2.0, 3.0, 2.0]);
        // A frame inside the waveform (the fast path) and one across its end agree with `at`.
        let wave: Vec<f32> = (0..50).map(|i| i as f32).collect();
        let signal = Centred { wave: &wave, n_samples: 40, pad: 4 };
        let window = vec![1.0; 8];
        for start in [0, 10, 36, 40] {
            let mut out = vec![0.0; 8];
            signal.frame(start, &window, &mut out);
            assert_eq!(out, (start..start + 8).map(|i| signal.at(i)).collect::<Vec<_>>(), "{start}");
        }
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
