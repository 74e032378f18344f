//! The matrix-vector products of the fast decode path, written by hand because candle's are
//! the bottleneck here (`bench/RESULTS.md`, "Local models": at one thread 55 % of a token went
//! to candle's generic Q8_0 dot product, which converts each block's f16 scale through a
//! function call, and its Q4_1 one has no SIMD at all).
//!
//! Weights stay in their 4- or 8-bit blocks of 32 with the scales widened to f32 at load;
//! activations are quantized to 8 bits per block of 32 (as llama.cpp and candle do), and each
//! block's integer dot product runs in AVX2 (`maddubs`) or AVX-512 VNNI (`dpbusd`) when the
//! CPU has it, with a scalar path everywhere else. Rows are shared among the rayon pool.

use rayon::prelude::*;

/// Weights and activations are quantized in blocks of this many values.
pub const QK: usize = 32;

/// A block of 32 4-bit weights: `w = d * q + m`, q in 0..16 (GGML's Q4_1 layout: byte `j`
/// holds value `j` in its low nibble and `j + 16` in its high one).
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct BlockQ4_1 {
    pub d: f32,
    pub m: f32,
    pub qs: [u8; 16],
}

/// A block of 32 8-bit weights: `w = d * q`.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct BlockQ8_0 {
    pub d: f32,
    pub qs: [i8; 32],
}

/// A weight matrix (`rows × cols`, row-major).
pub enum Mat {
    Q4_1 {
        rows: usize,
        cols: usize,
        b: Vec<BlockQ4_1>,
    },
    Q8_0 {
        rows: usize,
        cols: usize,
        b: Vec<BlockQ8_0>,
    },
    F32 {
        rows: usize,
        cols: usize,
        w: Vec<f32>,
    },
}

impl Mat {
    pub fn rows(&self) -> usize {
        match self {
            Mat::Q4_1 { rows, .. } | Mat::Q8_0 { rows, .. } | Mat::F32 { rows, .. } => *rows,
        }
    }

    pub fn cols(&self) -> usize {
        match self {
            Mat::Q4_1 { cols, .. } | Mat::Q8_0 { cols, .. } | Mat::F32 { cols, .. } => *cols,
        }
    }

    /// Row `r` as f32 (the embedding lookup).
    pub fn row_f32(&self, r: usize, out: &mut [f32]) {
        let cols = self.cols();
        match self {
            Mat::Q4_1 { b, .. } => {
                for (blk, o) in b[r * cols / QK..(r + 1) * cols / QK]
                    .iter()
                    .zip(out.chunks_exact_mut(QK))
                {
                    for j in 0..16 {
                        o[j] = blk.d * f32::from(blk.qs[j] & 0xF) + blk.m;
                        o[j + 16] = blk.d * f32::from(blk.qs[j] >> 4) + blk.m;
                    }
                }
            }
            Mat::Q8_0 { b, .. } => {
                for (blk, o) in b[r * cols / QK..(r + 1) * cols / QK]
                    .iter()
                    .zip(out.chunks_exact_mut(QK))
                {
                    for (v, q) in o.iter_mut().zip(blk.qs) {
                        *v = blk.d * f32::from(q);
                    }
                }
            }
            Mat::F32 { w, .. } => out.copy_from_slice(&w[r * cols..(r + 1) * cols]),
        }
    }
}

/// One activation vector: as given, and quantized per block (`d`: scale, `s`: `d * Σ q`)
/// unless it is exact.
#[derive(Default)]
pub struct Act {
    pub x: Vec<f32>,
    qs: Vec<i8>,
    d: Vec<f32>,
    s: Vec<f32>,
    exact: bool,
}

impl Act {
    /// Sets the vector (its length a multiple of [`QK`]); `exact`: products use it as f32
    /// against the weights widened row by row, else it is quantized to 8 bits.
    pub fn set(&mut self, x: &[f32], exact: bool) {
        self.x.clear();
        self.x.extend_from_slice(x);
        self.exact = exact;
        if exact {
            return;
        }
        let n = x.len() / QK;
        self.qs.resize(n * QK, 0);
        self.d.resize(n, 0.0);
        self.s.resize(n, 0.0);
        for (i, block) in x.chunks_exact(QK).enumerate() {
            let amax = block.iter().fold(0f32, |a, v| a.max(v.abs()));
            let d = amax / 127.0;
            let id = if d > 0.0 { 1.0 / d } else { 0.0 };
            let mut sum = 0i32;
            for (q, v) in self.qs[i * QK..(i + 1) * QK].iter_mut().zip(block) {
                *q = (v * id).round() as i8;
                sum += i32::from(*q);
            }
            self.d[i] = d;
            self.s[i] = d * sum as f32;
        }
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Level {
    Scalar,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Vnni,
}

fn level() -> Level {
    static LEVEL: std::sync::OnceLock<Level> = std::sync::OnceLock::new();
    *LEVEL.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
            if avx2
                && is_x86_feature_detected!("avx512vnni")
                && is_x86_feature_detected!("avx512vl")
                && std::env::var_os("EXLLM_LOCAL_NO_VNNI").is_none()
            {
                return Level::Vnni;
            }
            if avx2 {
                return Level::Avx2;
            }
        }
        Level::Scalar
    })
}

/// `row · a` for one row of `m`.
fn dot(m: &Mat, row: usize, a: &Act, lv: Level) -> f32 {
    match m {
        Mat::Q4_1 { cols, b, .. } => {
            let n = cols / QK;
            let w = &b[row * n..(row + 1) * n];
            match lv {
                #[cfg(target_arch = "x86_64")]
                Level::Vnni => unsafe { x86::q4_1_vnni(w, &a.qs, &a.d, &a.s) },
                #[cfg(target_arch = "x86_64")]
                Level::Avx2 => unsafe { x86::q4_1_avx2(w, &a.qs, &a.d, &a.s) },
                Level::Scalar => q4_1_scalar(w, &a.qs, &a.d, &a.s),
            }
        }
        Mat::Q8_0 { cols, b, .. } => {
            let n = cols / QK;
            let w = &b[row * n..(row + 1) * n];
            match lv {
                #[cfg(target_arch = "x86_64")]
                Level::Vnni => unsafe { x86::q8_0_vnni(w, &a.qs, &a.d) },
                #[cfg(target_arch = "x86_64")]
                Level::Avx2 => unsafe { x86::q8_0_avx2(w, &a.qs, &a.d) },
                Level::Scalar => q8_0_scalar(w, &a.qs, &a.d),
            }
        }
        Mat::F32 { cols, w, .. } => dot_f32(&w[row * cols..(row + 1) * cols], &a.x),
    }
}

/// `w · x` in f32 (lengths multiples of 8): AVX2 with FMA where the CPU has it (the
/// baseline x86-64 target would only vectorize it four lanes wide, without FMA).
pub fn dot_f32(w: &[f32], x: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if level() != Level::Scalar {
        let n = w.len().min(x.len());
        // SAFETY: AVX2 and FMA were detected; both slices hold `n` values.
        return unsafe { x86::dot_f32(&w[..n], &x[..n]) };
    }
    dot_f32_scalar(w, x)
}

/// [`dot_f32`] of one row with four vectors (each as long as the row).
fn dot4_f32(w: &[f32], xs: [&Vec<f32>; 4]) -> [f32; 4] {
    #[cfg(target_arch = "x86_64")]
    if level() != Level::Scalar && xs.iter().all(|x| x.len() == w.len()) {
        // SAFETY: AVX2 and FMA were detected; every slice holds `w.len()` values.
        return unsafe { x86::dot4_f32(w, xs) };
    }
    xs.map(|x| dot_f32_scalar(w, x))
}

fn dot_f32_scalar(w: &[f32], x: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    for (wc, xc) in w.chunks_exact(8).zip(x.chunks_exact(8)) {
        for k in 0..8 {
            acc[k] += wc[k] * xc[k];
        }
    }
    let n = w.len().min(x.len()) / 8 * 8;
    let tail: f32 = w[n..].iter().zip(&x[n..]).map(|(a, b)| a * b).sum();
    acc.iter().sum::<f32>() + tail
}

fn q4_1_scalar(w: &[BlockQ4_1], qs: &[i8], d: &[f32], s: &[f32]) -> f32 {
    let mut sum = 0f32;
    for (i, b) in w.iter().enumerate() {
        let x = &qs[i * QK..(i + 1) * QK];
        let mut acc = 0i32;
        for j in 0..16 {
            acc += i32::from(b.qs[j] & 0xF) * i32::from(x[j]);
            acc += i32::from(b.qs[j] >> 4) * i32::from(x[j + 16]);
        }
        sum += b.d * d[i] * acc as f32 + b.m * s[i];
    }
    sum
}

fn q8_0_scalar(w: &[BlockQ8_0], qs: &[i8], d: &[f32]) -> f32 {
    let mut sum = 0f32;
    for (i, b) in w.iter().enumerate() {
        let x = &qs[i * QK..(i + 1) * QK];
        let acc: i32 =
            b.qs.iter()
                .zip(x)
                .map(|(a, b)| i32::from(*a) * i32::from(*b))
                .sum();
        sum += b.d * d[i] * acc as f32;
    }
    sum
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{BlockQ4_1, BlockQ8_0, QK};
    use std::arch::x86_64::*;

    #[inline(always)]
    unsafe fn nibbles(q: &[u8; 16]) -> __m256i {
        let raw = _mm_loadu_si128(q.as_ptr().cast());
        let mask = _mm_set1_epi8(0x0F);
        let lo = _mm_and_si128(raw, mask);
        let hi = _mm_and_si128(_mm_srli_epi16(raw, 4), mask);
        _mm256_set_m128i(hi, lo)
    }

    #[inline(always)]
    unsafe fn hsum(v: __m256) -> f32 {
        let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_movehdup_ps(s));
        _mm_cvtss_f32(s)
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn dot_f32(w: &[f32], x: &[f32]) -> f32 {
        let (mut a, mut b) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        let n = w.len() / 16 * 16;
        let mut i = 0;
        while i < n {
            a = _mm256_fmadd_ps(
                _mm256_loadu_ps(w.as_ptr().add(i)),
                _mm256_loadu_ps(x.as_ptr().add(i)),
                a,
            );
            b = _mm256_fmadd_ps(
                _mm256_loadu_ps(w.as_ptr().add(i + 8)),
                _mm256_loadu_ps(x.as_ptr().add(i + 8)),
                b,
            );
            i += 16;
        }
        let mut sum = hsum(_mm256_add_ps(a, b));
        for j in n..w.len() {
            sum += w[j] * x[j];
        }
        sum
    }

    /// Four [`dot_f32`]s in the same order of additions (so the same numbers), sharing the
    /// row's loads.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn dot4_f32(w: &[f32], xs: [&Vec<f32>; 4]) -> [f32; 4] {
        let mut a = [_mm256_setzero_ps(); 4];
        let mut b = [_mm256_setzero_ps(); 4];
        let n = w.len() / 16 * 16;
        let mut i = 0;
        while i < n {
            let w0 = _mm256_loadu_ps(w.as_ptr().add(i));
            let w1 = _mm256_loadu_ps(w.as_ptr().add(i + 8));
            for k in 0..4 {
                let x = xs[k].as_ptr();
                a[k] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x.add(i)), a[k]);
                b[k] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x.add(i + 8)), b[k]);
            }
            i += 16;
        }
        let mut out = [0f32; 4];
        for k in 0..4 {
            out[k] = hsum(_mm256_add_ps(a[k], b[k]));
            for j in n..w.len() {
                out[k] += w[j] * xs[k][j];
            }
        }
        out
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn q4_1_avx2(w: &[BlockQ4_1], qs: &[i8], d: &[f32], s: &[f32]) -> f32 {
        let ones = _mm256_set1_epi16(1);
        let mut acc = _mm256_setzero_ps();
        let mut mins = 0f32;
        for (i, b) in w.iter().enumerate() {
            let q = nibbles(&b.qs);
            let x = _mm256_loadu_si256(qs.as_ptr().add(i * QK).cast());
            let p = _mm256_madd_epi16(_mm256_maddubs_epi16(q, x), ones);
            let scale = _mm256_set1_ps(b.d * *d.get_unchecked(i));
            acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), scale, acc);
            mins += b.m * *s.get_unchecked(i);
        }
        hsum(acc) + mins
    }

    #[target_feature(enable = "avx2,fma,avx512vnni,avx512vl")]
    pub unsafe fn q4_1_vnni(w: &[BlockQ4_1], qs: &[i8], d: &[f32], s: &[f32]) -> f32 {
        let mut acc = _mm256_setzero_ps();
        let mut mins = 0f32;
        for (i, b) in w.iter().enumerate() {
            let q = nibbles(&b.qs);
            let x = _mm256_loadu_si256(qs.as_ptr().add(i * QK).cast());
            let p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q, x);
            let scale = _mm256_set1_ps(b.d * *d.get_unchecked(i));
            acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), scale, acc);
            mins += b.m * *s.get_unchecked(i);
        }
        hsum(acc) + mins
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn q8_0_avx2(w: &[BlockQ8_0], qs: &[i8], d: &[f32]) -> f32 {
        let ones = _mm256_set1_epi16(1);
        let mut acc = _mm256_setzero_ps();
        for (i, b) in w.iter().enumerate() {
            let q = _mm256_loadu_si256(b.qs.as_ptr().cast());
            let x = _mm256_loadu_si256(qs.as_ptr().add(i * QK).cast());
            // maddubs takes one unsigned side: |w| with w's sign moved onto x.
            let p = _mm256_maddubs_epi16(_mm256_sign_epi8(q, q), _mm256_sign_epi8(x, q));
            let p = _mm256_madd_epi16(p, ones);
            let scale = _mm256_set1_ps(b.d * *d.get_unchecked(i));
            acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), scale, acc);
        }
        hsum(acc)
    }

    #[target_feature(enable = "avx2,fma,avx512vnni,avx512vl")]
    pub unsafe fn q8_0_vnni(w: &[BlockQ8_0], qs: &[i8], d: &[f32]) -> f32 {
        let mut acc = _mm256_setzero_ps();
        for (i, b) in w.iter().enumerate() {
            let q = _mm256_loadu_si256(b.qs.as_ptr().cast());
            let x = _mm256_loadu_si256(qs.as_ptr().add(i * QK).cast());
            let p = _mm256_dpbusd_epi32(
                _mm256_setzero_si256(),
                _mm256_sign_epi8(q, q),
                _mm256_sign_epi8(x, q),
            );
            let scale = _mm256_set1_ps(b.d * *d.get_unchecked(i));
            acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), scale, acc);
        }
        hsum(acc)
    }
}

/// Below this many multiply-adds a product runs on the calling thread: on two cores a
/// parallel region's wake-up and the shared memory bus cost more than the second thread
/// gives for a 135M model's matrices (`bench/RESULTS.md`: 154 tok/s with this limit at two
/// threads, 116 with 256 K), so only its output projection and prompts are split.
const PARALLEL_MIN: usize = 2_000_000;

/// `out[r * acts.len() + t] = m[r] · acts[t]` for every row and activation.
pub fn matmul(m: &Mat, acts: &[Act], out: &mut Vec<f32>) {
    matmul_many(&[m], acts, &mut [out]);
}

/// [`matmul`] of several matrices taking the same activations (q, k, v; gate, up) in one
/// parallel region: with two threads, a region costs a few microseconds of wake-up, as much
/// as the smallest products themselves, so they share one.
pub fn matmul_many(ms: &[&Mat], acts: &[Act], outs: &mut [&mut Vec<f32>]) {
    let n = acts.len();
    let lv = level();
    let mut work = 0;
    let mut fits = n > 0;
    for (m, out) in ms.iter().zip(outs.iter_mut()) {
        out.clear();
        out.resize(m.rows() * n, f32::NAN);
        work += m.rows() * m.cols() * n;
        // The SIMD kernels read `cols` values of every activation: never past its end.
        fits &= acts.iter().all(|a| a.x.len() == m.cols());
    }
    if !fits {
        // Every output sized (and NaN), so callers index them safely.
        return;
    }
    let exact = acts.iter().any(|a| a.exact);
    let run = |m: &Mat, first: usize, chunk: &mut [f32]| {
        if exact {
            // Each row widened once, then an f32 product per activation.
            let mut row = vec![0f32; m.cols()];
            for (i, o) in chunk.chunks_exact_mut(n).enumerate() {
                m.row_f32(first + i, &mut row);
                // Four activations at a time share each load of the row.
                let mut t = 0;
                while t + 4 <= n {
                    let xs = [&acts[t].x, &acts[t + 1].x, &acts[t + 2].x, &acts[t + 3].x];
                    o[t..t + 4].copy_from_slice(&dot4_f32(&row, xs));
                    t += 4;
                }
                for (o, a) in o[t..].iter_mut().zip(&acts[t..]) {
                    *o = dot_f32(&row, &a.x);
                }
            }
            return;
        }
        for (i, o) in chunk.chunks_exact_mut(n).enumerate() {
            for (t, a) in acts.iter().enumerate() {
                o[t] = dot(m, first + i, a, lv);
            }
        }
    };
    let threads = rayon::current_num_threads();
    if threads <= 1 || work < PARALLEL_MIN {
        for (m, out) in ms.iter().zip(outs.iter_mut()) {
            run(m, 0, out);
        }
        return;
    }
    // Each matrix in `threads` parts (whole rows), all parts in one region.
    let mut parts: Vec<(&Mat, usize, &mut [f32])> = Vec::with_capacity(ms.len() * threads);
    for (m, out) in ms.iter().zip(outs.iter_mut()) {
        let per = m.rows().div_ceil(threads).max(1);
        for (c, chunk) in out.chunks_mut(per * n).enumerate() {
            parts.push((m, c * per, chunk));
        }
    }
    parts
        .into_par_iter()
        .for_each(|(m, first, chunk)| run(m, first, chunk));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rnd(seed: &mut u64) -> f32 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        ((*seed >> 11) as f64 / (1u64 << 53) as f64) as f32 * 2.0 - 1.0
    }

    #[test]
    fn every_kernel_agrees_with_the_scalar_one_and_with_f32() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let (rows, cols) = (8, 576);
        let w: Vec<f32> = (0..rows * cols).map(|_| rnd(&mut seed)).collect();
        let x: Vec<f32> = (0..cols).map(|_| rnd(&mut seed) * 3.0).collect();
        let q4: Vec<BlockQ4_1> = w
            .chunks_exact(QK)
            .map(|c| {
                let (lo, hi) = c
                    .iter()
                    .fold((f32::MAX, f32::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
                let d = (hi - lo) / 15.0;
                let mut qs = [0u8; 16];
                for j in 0..16 {
                    let q = |v: f32| ((v - lo) / d).round().clamp(0.0, 15.0) as u8;
                    qs[j] = q(c[j]) | (q(c[j + 16]) << 4);
                }
                BlockQ4_1 { d, m: lo, qs }
            })
            .collect();
        let q8: Vec<BlockQ8_0> = w
            .chunks_exact(QK)
            .map(|c| {
                let d = c.iter().fold(0f32, |a, v| a.max(v.abs())) / 127.0;
                let mut qs = [0i8; 32];
                for j in 0..QK {
                    qs[j] = (c[j] / d).round() as i8;
                }
                BlockQ8_0 { d, qs }
            })
            .collect();
        let mats = [
            Mat::Q4_1 { rows, cols, b: q4 },
            Mat::Q8_0 { rows, cols, b: q8 },
            Mat::F32 {
                rows,
                cols,
                w: w.clone(),
            },
        ];
        let mut a = Act::default();
        a.set(&x, false);
        for m in &mats {
            for r in 0..rows {
                let exact: f32 = w[r * cols..(r + 1) * cols]
                    .iter()
                    .zip(&x)
                    .map(|(a, b)| a * b)
                    .sum();
                let scalar = dot(m, r, &a, Level::Scalar);
                let fast = dot(m, r, &a, level());
                assert!(
                    (scalar - fast).abs() <= 1e-3 * (1.0 + scalar.abs()),
                    "{scalar} {fast}"
                );
                // 4 bits per weight: within a few percent of the row's scale.
                assert!(
                    (exact - scalar).abs() < 0.05 * cols as f32 / 8.0,
                    "{exact} {scalar}"
                );
                #[cfg(target_arch = "x86_64")]
                if is_x86_feature_detected!("avx2") {
                    let avx2 = dot(m, r, &a, Level::Avx2);
                    assert!((scalar - avx2).abs() <= 1e-3 * (1.0 + scalar.abs()));
                }
            }
        }
        // The f32 product, on lengths that are and are not multiples of 16.
        for len in [8, 64, 72, 576] {
            let (a, b) = (&w[..len], &x[..len]);
            let (simd, scalar) = (dot_f32(a, b), dot_f32_scalar(a, b));
            assert!(
                (simd - scalar).abs() <= 1e-4 * (1.0 + scalar.abs()),
                "{len}: {simd} {scalar}"
            );
        }
        // Four at once: each as one at a time.
        let v: Vec<Vec<f32>> = (0..4)
            .map(|k| x.iter().map(|e| e * (k as f32 - 1.5)).collect())
            .collect();
        let four = dot4_f32(&w[..cols], [&v[0], &v[1], &v[2], &v[3]]);
        for (f, x) in four.iter().zip(&v) {
            let one = dot_f32_scalar(&w[..cols], x);
            assert!((f - one).abs() <= 1e-3 * (1.0 + one.abs()), "{f} {one}");
            assert_eq!(
                *f,
                dot_f32(&w[..cols], x),
                "the same additions in the same order"
            );
        }
        // The row-parallel product gives the same numbers, for several activations.
        let mut b = Act::default();
        b.set(&x.iter().map(|v| -v).collect::<Vec<_>>(), false);
        let mut out = Vec::new();
        matmul(&mats[0], &[a, b], &mut out);
        assert_eq!(out.len(), rows * 2);
        assert!(
            (out[0] + out[1]).abs() < 1e-3 * (1.0 + out[0].abs()) + 0.05,
            "{out:?}"
        );
    }
}
